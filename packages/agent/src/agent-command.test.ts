/**
 * `runAgentCommand` in-process: console output, signals (an EventEmitter stands in for
 * `process`) and exit codes, on random loopback addresses.
 */

import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Agent } from "./agent.ts";
import { type AgentCommandIo, runAgentCommand } from "./agent-command.ts";
import { AGENT_HELP } from "./agent-help.ts";
import { openSyslogSink } from "./agent-syslog.ts";
import { testAddrs } from "./agent-test-config.harness.ts";

let dir: string;
const agents = new Set<Agent>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-cmd-"));
});
afterEach(async () => {
  await Promise.all([...agents].map((a) => a.shutdown()));
  agents.clear();
  rmSync(dir, { recursive: true, force: true });
});

interface TestIo extends AgentCommandIo {
  readonly signals: EventEmitter;
  out(): string;
  err(): string;
  agent(): Agent | undefined;
}

function testIo(): TestIo {
  let out = "";
  let err = "";
  let agent: Agent | undefined;
  const signals = new EventEmitter();
  return {
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    signals,
    agentOptions: {
      coalescing: {
        coalescePeriodMs: 600,
        quiescentPeriodMs: 200,
        userCoalescePeriodMs: 600,
        userQuiescentPeriodMs: 200,
      },
      handlerDrainMs: 0,
    },
    syslog: (facility) => openSyslogSink(facility, { socketPaths: [] }),
    onAgent: (a) => {
      agent = a;
      agents.add(a);
    },
    out: () => out,
    err: () => err,
    agent: () => agent,
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts the command and waits for the log stream banner. */
async function startCommand(args: string[], io = testIo()) {
  const exit = runAgentCommand(args, io);
  await Promise.race([
    waitFor("the log banner", () => io.out().includes("Log data will now stream in")),
    exit.then((code) => {
      throw new Error(`exited early with ${code}:\n${io.out()}${io.err()}`);
    }),
  ]);
  return { io, exit };
}

describe("runAgentCommand", () => {
  it("prints Go's banner, streams logs, and leaves gracefully on SIGINT (exit 0)", async () => {
    const { ip, bind, rpc } = await testAddrs();
    const { io, exit } = await startCommand([
      "-node=c1",
      `-bind=${bind}`,
      `-rpc-addr=${rpc}`,
      "-profile=local",
      "-tag",
      "role=web",
    ]);
    const banner = [
      "==> Starting Serf agent...",
      "==> Starting Serf agent RPC...",
      "==> Serf agent running!",
      "                      Node name: 'c1'",
      `                      Bind addr: '${bind}'`,
      `                       RPC addr: '${rpc}'`,
      "                      Encrypted: false",
      "                       Snapshot: false",
      "                        Profile: local",
      "    Message Compression Enabled: true",
      "",
      "==> Log data will now stream in as it occurs:",
      "",
      "",
    ].join("\n");
    expect(io.out().startsWith(banner)).toBe(true);
    const logs = io.out().slice(banner.length).split("\n");
    expect(logs[0]).toMatch(
      /^ {4}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[INFO\] agent: Serf agent starting$/,
    );
    expect(logs[1]).toMatch(
      new RegExp(`\\[INFO\\] serf: EventMemberJoin: c1 ${ip.replaceAll(".", "\\.")}$`),
    );
    await waitFor("the join event", () =>
      io.out().includes("[INFO] agent: Received event: member-join"),
    );

    io.signals.emit("SIGINT");
    expect(await exit).toBe(0);
    const tail = io.out().slice(io.out().indexOf("==> Caught signal"));
    expect(tail).toMatch(
      /^==> Caught signal: interrupt\n==> Gracefully shutting down agent\.\.\.\n.*\[INFO\] agent: requesting graceful leave from Serf\n/,
    );
    expect(tail).toContain(`[INFO] serf: EventMemberLeave: c1 ${ip}\n`);
    expect(tail).toMatch(
      /\[INFO\] agent: requesting serf shutdown\n.*\[INFO\] agent: shutdown complete\n$/,
    );
    expect(io.signals.listenerCount("SIGINT")).toBe(0);
  });

  it("exits 1 without leaving on SIGTERM, and 0 with leave_on_terminate", async () => {
    const a = await testAddrs();
    const first = await startCommand(["-node=t1", `-bind=${a.bind}`, `-rpc-addr=${a.rpc}`]);
    first.io.signals.emit("SIGTERM");
    expect(await first.exit).toBe(1);
    expect(first.io.out()).toContain("==> Caught signal: terminated\n");
    expect(first.io.out()).not.toContain("Gracefully shutting down");
    expect(first.io.out()).toContain("[WARN] serf: Shutdown without a Leave\n");

    const conf = join(dir, "conf.json");
    writeFileSync(
      conf,
      JSON.stringify({ leave_on_terminate: true, skip_leave_on_interrupt: true }),
    );
    const b = await testAddrs();
    const second = await startCommand([
      `-config-file=${conf}`,
      "-node=t2",
      `-bind=${b.bind}`,
      `-rpc-addr=${b.rpc}`,
    ]);
    second.io.signals.emit("SIGTERM");
    expect(await second.exit).toBe(0);
    expect(second.io.out()).toContain(
      "==> Caught signal: terminated\n==> Gracefully shutting down agent...\n",
    );

    const c = await testAddrs();
    const third = await startCommand([
      `-config-file=${conf}`,
      "-node=t3",
      `-bind=${c.bind}`,
      `-rpc-addr=${c.rpc}`,
    ]);
    third.io.signals.emit("SIGINT");
    expect(await third.exit).toBe(1);
    expect(third.io.out()).not.toContain("Gracefully shutting down");
  });

  it("a second signal during the graceful leave exits 1 at once", async () => {
    const a = await testAddrs();
    const { io, exit } = await startCommand(["-node=d1", `-bind=${a.bind}`, `-rpc-addr=${a.rpc}`]);
    io.signals.emit("SIGINT");
    await waitFor("the leave", () => io.out().includes("Gracefully shutting down agent..."));
    io.signals.emit("SIGINT");
    expect(await exit).toBe(1);
  });

  it("reloads on SIGHUP and keeps running", async () => {
    const confDir = join(dir, "conf.d");
    rmSync(confDir, { recursive: true, force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(confDir);
    writeFileSync(join(confDir, "a.json"), JSON.stringify({ tags: { v: "1" } }));
    const a = await testAddrs();
    const { io, exit } = await startCommand([
      `-config-dir=${confDir}`,
      "-node=h1",
      `-bind=${a.bind}`,
      `-rpc-addr=${a.rpc}`,
    ]);
    writeFileSync(join(confDir, "a.json"), JSON.stringify({ tags: { v: "2" }, log_level: "warn" }));
    io.signals.emit("SIGHUP");
    await waitFor("the new tags", () => io.agent()?.serf.localMember().tags.v === "2");
    expect(io.out()).toContain("==> Caught signal: hangup\n==> Reloading configuration...\n");
    expect(io.agent()?.logLevel).toBe("WARN");

    writeFileSync(join(confDir, "a.json"), "{");
    io.signals.emit("SIGHUP");
    await waitFor("the failed reload", () => io.out().includes("==> Failed to reload configs\n"));
    expect(io.out()).toContain(`==> Error decoding '${join(confDir, "a.json")}': unexpected EOF\n`);

    io.signals.emit("SIGINT");
    expect(await exit).toBe(0);
  });

  it("prints configuration errors as Go does", async () => {
    let io = testIo();
    expect(await runAgentCommand(["-bogus"], io)).toBe(1);
    expect(io.err()).toBe("flag provided but not defined: -bogus\n");
    expect(io.out()).toBe(`==> ${AGENT_HELP}\n`);

    io = testIo();
    expect(await runAgentCommand(["-h"], io)).toBe(0);
    expect(io.err()).toBe(`${AGENT_HELP}\n`);
    expect(io.out()).toBe("");

    io = testIo();
    expect(await runAgentCommand(["-log-level=foo"], io)).toBe(1);
    expect(io.out()).toBe(
      "==> Invalid log level: FOO. Valid log levels are: [TRACE DEBUG INFO WARN ERR]\n",
    );

    io = testIo();
    expect(await runAgentCommand(["-syslog"], io)).toBe(1);
    expect(io.out()).toBe("==> Syslog setup failed: Unix syslog delivery error\n");

    io = testIo();
    expect(await runAgentCommand(["-event-handler=foo=bar.sh"], io)).toBe(1);
    expect(io.out()).toBe("==> Invalid event script: Event 'foo' invoking 'bar.sh'\n");

    io = testIo();
    expect(await runAgentCommand(["-bind=127.0.0.1:x"], io)).toBe(1);
    expect(io.out()).toBe("==> Invalid bind address: address tcp/x: unknown port\n");

    io = testIo();
    const role = await testAddrs();
    const run = runAgentCommand(
      [
        "-role=db",
        "-retry-interval=10ms",
        `-bind=${role.bind}`,
        `-rpc-addr=${role.rpc}`,
        "-profile=nope",
      ],
      io,
    );
    expect(await run).toBe(1);
    expect(io.out()).toBe(
      [
        "==> Deprecation warning: 'Role' has been replaced with 'Tags'",
        "==> Warning: 'RetryInterval' is too low. Setting to 1s",
        "==> Unknown profile: nope",
        "",
      ].join("\n"),
    );
  });

  it("fails the start join with Go's error text (exit 1)", async () => {
    const a = await testAddrs();
    const io = testIo();
    const code = await runAgentCommand(
      ["-node=j1", `-bind=${a.bind}`, `-rpc-addr=${a.rpc}`, `-join=${a.ip}:1`],
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toMatch(
      new RegExp(
        "==> Joining cluster\\.\\.\\.\\(replay: false\\)\n==> 1 error occurred:\n\t\\* Failed to join " +
          `${a.ip.replaceAll(".", "\\.")}: dial tcp ${a.ip.replaceAll(".", "\\.")}:1: connect: connection refused\n\n\n$`,
      ),
    );
    expect(io.out()).not.toContain("Log data will now stream");
  });

  it("exits 1 when retry join gives up", async () => {
    const a = await testAddrs();
    const io = testIo();
    const code = await runAgentCommand(
      [
        "-node=r1",
        `-bind=${a.bind}`,
        `-rpc-addr=${a.rpc}`,
        `-retry-join=${a.ip}:1`,
        "-retry-max=1",
        "-retry-interval=1s",
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.out()).toContain("[WARN] agent: Join failed: 1 error occurred:\n");
    expect(io.out()).toContain("\n\n, retrying in 1s\n");
    expect(io.out()).toContain("[ERR] agent: maximum retry join attempts made, exiting\n");
  });
});
