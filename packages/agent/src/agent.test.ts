/**
 * In-process `Agent` tests on loopback: random 127.x.y.z addresses and ports, real serf
 * nodes, real `/bin/sh` event handler scripts. Every agent a test starts is shut down.
 */

import { randomInt } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent, type AgentOptions, type AgentUi } from "./agent.ts";
import { AgentError } from "./agent-errors.ts";
import { type AgentConfig, tagRecord } from "./config/agent-config.ts";
import { loopbackMdnsSocketOptions } from "./discovery/mdns-common.ts";
import type { AgentEvent } from "./rpc/agent-backend.ts";
import { testConfig as sharedTestConfig } from "./agent-test-config.harness.ts";

let dir: string;
const running = new Set<Agent>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-test-"));
});
afterEach(async () => {
  await Promise.all([...running].map((a) => a.shutdown()));
  running.clear();
  rmSync(dir, { recursive: true, force: true });
});

function testConfig(overrides: Partial<AgentConfig> = {}): Promise<AgentConfig> {
  return sharedTestConfig("node", overrides);
}

/** Captured console of an agent. */
class Capture {
  text = "";
  readonly ui: AgentUi = {
    output: (m) => this.write(`==> ${m}\n`),
    info: (m) => this.write(`    ${m}\n`),
    error: (m) => this.write(`==> ${m}\n`),
  };
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

const FAST: AgentOptions = {
  coalescing: {
    coalescePeriodMs: 600,
    quiescentPeriodMs: 200,
    userCoalescePeriodMs: 600,
    userQuiescentPeriodMs: 200,
  },
  handlerDrainMs: 0,
};

async function start(
  config: AgentConfig,
  options: AgentOptions = {},
): Promise<{ agent: Agent; out: Capture }> {
  const out = new Capture();
  const agent = await Agent.create(config, {
    ...FAST,
    logOutput: out,
    ui: out.ui,
    env: { ...process.env, OUT_DIR: dir },
    ...options,
  });
  running.add(agent);
  return { agent, out };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** An executable script in the test directory. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function ipOf(addr: string): string {
  return addr.slice(0, addr.lastIndexOf(":"));
}

describe("Agent", () => {
  it("starts serf from the config and prints Go's start-up lines", async () => {
    const config = await testConfig({ nodeName: "solo", tags: tagRecord({ role: "web" }) });
    const { agent, out } = await start(config);
    expect(out.text.split("\n").filter((l) => l.startsWith("==> "))).toEqual([
      "==> Starting Serf agent...",
      "==> Starting Serf agent RPC...",
    ]);
    expect(agent.bindAddr).toBe(config.bindAddr);
    expect(agent.rpcAddress).toBe(config.rpcAddr);
    expect(agent.members().map((m) => [m.name, m.status, m.tags.get("role")])).toEqual([
      ["solo", "alive", "web"],
    ]);
    await waitFor("log lines", () => out.text.includes("Received event: member-join"));
    expect(out.text).toMatch(
      /^ {4}\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[INFO\] agent: Serf agent starting$/m,
    );
    expect(out.text).toContain(`[INFO] serf: EventMemberJoin: solo ${ipOf(config.bindAddr)}\n`);
    const stats = agent.stats();
    expect(stats.get("agent")?.get("name")).toBe("solo");
    expect(stats.get("serf")?.get("encrypted")).toBe("false");
    expect(stats.get("tags")?.get("role")).toBe("web");
    await agent.shutdown();
    expect(out.text).toContain("[INFO] agent: requesting serf shutdown\n");
    expect(out.text).toContain("[WARN] serf: Shutdown without a Leave\n");
    expect(out.text).toContain("[INFO] agent: shutdown complete\n");
    expect(await agent.done).toEqual({ reason: "shutdown" });
  });

  it("joins two agents and runs member-join handlers with Go's stdin and environment", async () => {
    const join = script(
      "join.sh",
      '{ echo "EVENT=$SERF_EVENT SELF=$SERF_SELF_NAME ROLE=$SERF_SELF_ROLE TAG=$SERF_TAG_MY_TAG_X"; cat; } >> "$OUT_DIR/$SERF_SELF_NAME.joins"',
    );
    const a = await start(
      await testConfig({
        nodeName: "a",
        tags: tagRecord({ role: "web", "my-tag.x": "1" }),
        eventHandlers: [`member-join=${join}`],
      }),
    );
    const b = await start(
      await testConfig({ nodeName: "b", eventHandlers: [`member-join=${join}`] }),
    );
    expect(await b.agent.join([a.agent.serf.localAddress], false)).toBe(1);
    expect(b.out.text).toContain(
      `[INFO] agent: joining: [${a.agent.serf.localAddress}] replay: false\n`,
    );
    expect(b.out.text).toContain("[INFO] agent: joined: 1 nodes\n");

    const ipA = ipOf(a.agent.bindAddr);
    const ipB = ipOf(b.agent.bindAddr);
    await waitFor("a's handler to see b", () =>
      readText(join.replace("join.sh", "a.joins")).includes(`b\t${ipB}`),
    );
    const aJoins = readText(join.replace("join.sh", "a.joins"));
    // The local node's own join at start-up, then b's.
    expect(aJoins).toContain("EVENT=member-join SELF=a ROLE=web TAG=1\n");
    expect(aJoins).toMatch(
      new RegExp(
        `^a\\t${ipA.replaceAll(".", "\\.")}\\tweb\\t(role=web,my-tag\\.x=1|my-tag\\.x=1,role=web)\\n`,
        "m",
      ),
    );
    expect(aJoins).toContain(`b\t${ipB}\t\t\n`);
    await waitFor("b's handler to see a", () =>
      readText(join.replace("join.sh", "b.joins")).includes(`a\t${ipA}\tweb\t`),
    );
    expect(
      a.agent
        .members()
        .map((m) => m.name)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(a.out.text).toContain(`[INFO] serf: EventMemberJoin: b ${ipB}\n`);
  });

  it("delivers user events and queries to handlers; handler output answers queries", async () => {
    const user = script(
      "user.sh",
      '{ echo "$SERF_EVENT $SERF_USER_EVENT $SERF_USER_LTIME $SERF_SELF_NAME"; cat; } >> "$OUT_DIR/user.txt"',
    );
    const pong = script(
      "pong.sh",
      'printf "pong from %s: " "$SERF_SELF_NAME"; cat; echo "$SERF_QUERY_NAME" >&2',
    );
    const a = await start(await testConfig({ nodeName: "a" }));
    const b = await start(
      await testConfig({
        nodeName: "b",
        eventHandlers: [`user:deploy=${user}`, `query:ping=${pong}`],
      }),
    );
    await b.agent.join([a.agent.serf.localAddress], false);
    await waitFor("both members", () => a.agent.members().length === 2);

    const seen: AgentEvent[] = [];
    const unsubscribe = b.agent.subscribeEvents((e) => seen.push(e));
    a.agent.userEvent("deploy", new TextEncoder().encode("v1.2.3"), false);
    a.agent.userEvent("other", null, false);
    await waitFor("the user handler", () => readText(join(dir, "user.txt")).includes("v1.2.3"));
    expect(readText(join(dir, "user.txt"))).toMatch(/^user deploy \d+ b\nv1\.2\.3\n$/);
    await waitFor("the stream record", () =>
      seen.some((e) => e.type === "user" && e.name === "other"),
    );
    const deploy = seen.find((e) => e.type === "user" && e.name === "deploy");
    expect(deploy).toMatchObject({ type: "user", coalesce: false });
    expect(b.out.text).toContain("[INFO] agent: Received event: user-event: deploy\n");
    unsubscribe();

    const q = a.agent.query({
      name: "ping",
      payload: new TextEncoder().encode("hi"),
      filterNodes: [],
      filterTags: new Map(),
      requestAck: true,
      relayFactor: 0,
      timeoutMs: 3000,
    });
    const responses: Array<[string, string]> = [];
    for await (const r of q.responses) {
      responses.push([r.from, new TextDecoder().decode(r.payload ?? new Uint8Array())]);
      if (responses.length === 1) q.close?.();
    }
    expect(responses).toEqual([["b", "pong from b: hi\nping\n"]]);
    expect(b.out.text).toContain("[INFO] agent: Received event: query: ping\n");

    // Too big an answer: Go's warning, nothing sent.
    script("big.sh", "head -c 2000 /dev/zero | tr '\\0' x");
    const big = await start(
      await testConfig({ nodeName: "big", eventHandlers: [`query:big=${join(dir, "big.sh")}`] }),
    );
    await big.agent.join([a.agent.serf.localAddress], false);
    const q2 = a.agent.query({
      name: "big",
      payload: null,
      filterNodes: ["big"],
      filterTags: new Map(),
      requestAck: false,
      relayFactor: 0,
      timeoutMs: 1500,
    });
    const bigResponses: string[] = [];
    for await (const r of q2.responses) bigResponses.push(r.from);
    expect(bigResponses).toEqual([]);
    await waitFor("the size warning", () =>
      big.out.text.includes(
        "[WARN] agent: Failed to respond to query 'query: big': failed to respond to key query: response exceeds limit of 1024 bytes\n",
      ),
    );

    expect(() =>
      a.agent.query({
        name: "_serf_x",
        payload: null,
        filterNodes: [],
        filterTags: new Map(),
        requestAck: false,
        relayFactor: 0,
        timeoutMs: 0,
      }),
    ).toThrow("Queries cannot contain the '_serf_' prefix");
  });

  it("coalesces member joins into one handler run", async () => {
    const join = script(
      "join.sh",
      'cat >> "$OUT_DIR/joins.txt"; echo "--" >> "$OUT_DIR/joins.txt"',
    );
    const a = await start(
      await testConfig({ nodeName: "a", eventHandlers: [`member-join=${join}`] }),
      {
        coalescing: {
          coalescePeriodMs: 3000,
          quiescentPeriodMs: 1000,
          userCoalescePeriodMs: 3000,
          userQuiescentPeriodMs: 1000,
        },
      },
    );
    const b = await start(await testConfig({ nodeName: "b" }));
    const c = await start(await testConfig({ nodeName: "c" }));
    await Promise.all([
      b.agent.join([a.agent.serf.localAddress], false),
      c.agent.join([a.agent.serf.localAddress], false),
    ]);
    await waitFor(
      "the coalesced join",
      () => readText(join.replace("join.sh", "joins.txt")).split("--").length >= 2,
      8000,
    );
    await a.agent.whenHandlersIdle();
    const runs = readText(join.replace("join.sh", "joins.txt"))
      .split("--\n")
      .filter((r) => r !== "");
    // The start-up join of `a` and the two joins all fall into one window.
    expect(runs).toHaveLength(1);
    expect(
      runs[0]
        ?.split("\n")
        .filter((l) => l !== "")
        .map((l) => l.split("\t")[0])
        .sort(),
    ).toEqual(["a", "b", "c"]);
  });

  it("keeps tags in the tags file and restores them", async () => {
    const tagsFile = join(dir, "tags.json");
    const config = await testConfig({ nodeName: "t", tagsFile });
    const first = await start(config);
    expect(existsSync(tagsFile)).toBe(false);
    await first.agent.setTags(
      new Map([
        ["role", "db"],
        ["a<b", "1&2"],
      ]),
      [],
    );
    expect(readFileSync(tagsFile, "utf8")).toBe(
      '{\n  "a\\u003cb": "1\\u00262",\n  "role": "db"\n}',
    );
    expect(statSync(tagsFile).mode & 0o777).toBe(0o600);
    await expect(first.agent.setTags(new Map([["x", "y".repeat(600)]]), [])).rejects.toThrow(
      /^Encoded length of tags exceeds limit of 512 bytes$/,
    );
    await first.agent.setTags(new Map(), ["a<b", "x"]);
    expect(readFileSync(tagsFile, "utf8")).toBe('{\n  "role": "db"\n}');
    await first.agent.shutdown();

    const fresh = await testConfig();
    const second = await start({ ...config, bindAddr: fresh.bindAddr, rpcAddr: fresh.rpcAddr });
    expect(second.agent.serf.localMember().tags).toEqual({ role: "db" });
    expect(second.out.text).toContain(`[INFO] agent: Restored 1 tag(s) from ${tagsFile}\n`);

    await expect(
      Agent.create(await testConfig({ tagsFile, tags: tagRecord({ x: "1" }) }), { rpc: false }),
    ).rejects.toThrow(
      new AgentError(
        "SERF_ERR_AGENT_SETUP",
        "Failed to setup the Serf agent: Tags config not allowed while using tag files",
      ),
    );
  });

  it("rejoins from the snapshot after a crash, not after a leave unless -rejoin", async () => {
    const a = await start(await testConfig({ nodeName: "a" }));
    const snapshotPath = join(dir, "b.snapshot");
    const bConfig = await testConfig({ nodeName: "b", snapshotPath });
    const b1 = await start(bConfig);
    await b1.agent.join([a.agent.serf.localAddress], false);
    await b1.agent.shutdown(); // no leave: like kill -9
    expect(readText(snapshotPath)).toContain(`alive: a ${a.agent.serf.localAddress}`);

    const b2 = await start(bConfig);
    await waitFor("the rejoin", () =>
      b2.agent.members().some((m) => m.name === "a" && m.status === "alive"),
    );
    expect(b2.out.text).toContain(
      `[INFO] serf: Attempting re-join to previously known node: a: ${a.agent.serf.localAddress}\n`,
    );
    await waitFor("the rejoin log", () =>
      b2.out.text.includes("Re-joined to previously known node: a"),
    );
    await b2.agent.leave();
    await b2.agent.shutdown();
    expect(readText(snapshotPath), readText(snapshotPath)).toMatch(/^leave$/m);

    const b3 = await start(bConfig);
    await new Promise((r) => setTimeout(r, 1000));
    expect(b3.agent.members().map((m) => m.name)).toEqual(["b"]);
    expect(b3.out.text).not.toContain("Attempting re-join");
    await b3.agent.shutdown();

    const b4 = await start({ ...bConfig, rejoinAfterLeave: true });
    expect(b4.out.text).toContain("[INFO] serf: Ignoring previous leave in snapshot\n");
    await waitFor("the rejoin after leave", () => b4.agent.members().some((m) => m.name === "a"));
  });

  it("reloads handlers, log level and tags", async () => {
    const one = script("one.sh", 'echo "one $SERF_USER_EVENT" >> "$OUT_DIR/reload.txt"');
    const two = script("two.sh", 'echo "two $SERF_USER_EVENT" >> "$OUT_DIR/reload.txt"');
    const config = await testConfig({
      nodeName: "r",
      eventHandlers: [`user=${one}`],
      tags: tagRecord({ v: "1" }),
    });
    const { agent, out } = await start(config);
    agent.userEvent("first", null, false);
    await waitFor("handler one", () => readText(join(dir, "reload.txt")).includes("one first"));

    await agent.setTags(new Map([["rpc", "x"]]), []);
    await agent.reload({
      ...config,
      eventHandlers: [`user=${two}`],
      logLevel: "debug",
      tags: tagRecord({ v: "2" }),
    });
    expect(agent.logLevel).toBe("DEBUG");
    // Go: tags are replaced by the configured ones (RPC-set tags are lost).
    expect(agent.serf.localMember().tags).toEqual({ v: "2" });
    agent.userEvent("second", null, false);
    await waitFor("handler two", () => readText(join(dir, "reload.txt")).includes("two second"));
    expect(readText(join(dir, "reload.txt"))).not.toContain("one second");
    // stats keeps listing the start-up handlers, as Go does.
    expect([...(agent.stats().get("event_handlers") ?? new Map())]).toEqual([["user:", one]]);

    await agent.reload({ ...config, logLevel: "foo" });
    expect(out.text).toContain(
      "==> Invalid log level: FOO. Valid log levels are: [TRACE DEBUG INFO WARN ERR]\n",
    );
    expect(agent.logLevel).toBe("DEBUG");
  });

  it("reports start-up failures with Go's texts and releases what it opened", async () => {
    // RPC address in use.
    const ip = randomLoopbackIp();
    const blocker: Server = createServer();
    const port = await freePort(ip, { udp: true });
    await new Promise<void>((resolve) => blocker.listen(port, ip, resolve));
    try {
      const config = await testConfig({ rpcAddr: `${ip}:${port}` });
      await expect(Agent.create(config)).rejects.toThrow(
        `Error starting RPC listener: listen tcp ${ip}:${port}: bind: address already in use`,
      );
      // The gossip port was released again.
      const again = await start({ ...config, rpcAddr: (await testConfig()).rpcAddr });
      await again.agent.shutdown();

      // Gossip address in use.
      const inUse = await testConfig({ bindAddr: `${ip}:${port}` });
      await expect(Agent.create(inUse, { rpc: false })).rejects.toThrow(
        "Failed to start the Serf agent: Error creating Serf: Failed to create memberlist: Could " +
          "not set up network transport: failed to obtain an address: Failed to start TCP " +
          `listener on "${ip}" port ${port}: listen tcp ${ip}:${port}: bind: address already in use`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    const ifaces = () => ({
      lo: [
        {
          address: "fe80::1",
          netmask: "ffff:ffff:ffff:ffff::",
          family: "IPv6" as const,
          mac: "00:00:00:00:00:00",
          internal: true,
          cidr: "fe80::1/64",
          scopeid: 1,
        },
        {
          address: "127.0.0.1",
          netmask: "255.0.0.0",
          family: "IPv4" as const,
          mac: "00:00:00:00:00:00",
          internal: true,
          cidr: "127.0.0.1/8",
        },
      ],
    });
    const picked = await start(
      await testConfig({
        interface: "lo",
        bindAddr: `0.0.0.0:${await freePort("0.0.0.0", { udp: true })}`,
      }),
      {
        rpc: false,
        networkInterfaces: ifaces,
      },
    );
    expect(picked.out.text.startsWith("==> Using interface 'lo' address '127.0.0.1'\n")).toBe(true);
    expect(picked.agent.bindAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    await picked.agent.shutdown();
    await expect(
      Agent.create(await testConfig({ interface: "lo", bindAddr: "127.0.0.11:0" }), {
        rpc: false,
        networkInterfaces: ifaces,
      }),
    ).rejects.toThrow("Interface 'lo' has no '127.0.0.11' address");

    await expect(Agent.create(await testConfig({ protocol: 9 }), { rpc: false })).rejects.toThrow(
      "Failed to start the Serf agent: Error creating Serf: Protocol version '9' too high. Must be in range: [2, 5]",
    );
    await expect(
      Agent.create(await testConfig({ encryptKey: "aGVsbG8=" }), { rpc: false }),
    ).rejects.toThrow(
      "Failed to start the Serf agent: Error creating Serf: Failed to create memberlist: key size must be 16, 24 or 32 bytes",
    );
    await expect(
      Agent.create(await testConfig({ encryptKey: "!!" }), { rpc: false }),
    ).rejects.toThrow("Invalid encryption key: illegal base64 data at input byte 0");
    await expect(
      Agent.create(await testConfig({ profile: "fast" }), { rpc: false }),
    ).rejects.toThrow("Unknown profile: fast");
    const keyring = join(dir, "keyring.json");
    writeFileSync(keyring, "[]");
    await expect(
      Agent.create(await testConfig({ keyringFile: keyring }), { rpc: false }),
    ).rejects.toThrow("Failed to setup the Serf agent: Keyring file contains no keys");
    await expect(
      Agent.create(await testConfig({ keyringFile: join(dir, "nope.json") }), { rpc: false }),
    ).rejects.toThrow(
      `Failed to setup the Serf agent: stat ${join(dir, "nope.json")}: no such file or directory`,
    );
    await expect(
      Agent.create(await testConfig({ interface: "lo", bindAddr: "127.0.0.1:0" }), {
        rpc: false,
        networkInterfaces: () => ({ lo: [] }),
      }),
    ).rejects.toThrow("Interface 'lo' has no addresses");
  });

  it("encrypts with a keyring file and reports it", async () => {
    const keyring = join(dir, "keyring.json");
    writeFileSync(keyring, '[\n  "T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s="\n]');
    const { agent, out } = await start(await testConfig({ keyringFile: keyring }));
    expect(agent.encrypted).toBe(true);
    expect(out.text).toContain(`[INFO] agent: Restored keyring with 1 keys from ${keyring}\n`);
    const listed = await agent.listKeys();
    expect([...(listed.keys ?? new Map())]).toEqual([
      ["T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=", 1],
    ]);
    const installed = await agent.installKey("HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=");
    expect(installed.error ?? "").toBe("");
    await waitFor("the keyring file", () =>
      readText(keyring).includes("HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8="),
    );
  });

  it("joins agents found through mDNS (-discover), on loopback multicast", async () => {
    const cluster = `c${randomInt(1_000_000)}`;
    const mdns = {
      ...loopbackMdnsSocketOptions(await freePort("0.0.0.0", { udp: true })),
      pollIntervalMs: 300,
    };
    const a = await start(await testConfig({ nodeName: "a", discover: cluster }), { mdns });
    const b = await start(await testConfig({ nodeName: "b", discover: cluster }), { mdns });
    await waitFor(
      "the mDNS join",
      () => a.agent.members().length === 2 && b.agent.members().length === 2,
    );
    await waitFor("the mDNS log", () =>
      `${a.out.text}${b.out.text}`.includes("[INFO] agent.mdns: Joined 1 hosts\n"),
    );
  });

  it("gives up retry join after retry_max_attempts + 1 rounds", async () => {
    const closed = `${randomLoopbackIp()}:1`;
    const { agent, out } = await start(
      await testConfig({ retryJoin: [closed], retryMaxAttempts: 2, retryIntervalMs: 100 }),
    );
    expect(await agent.startRetryJoin()).toBe(false);
    expect(await agent.done).toEqual({ reason: "retry-join-failed" });
    expect(out.text.match(/\[INFO\] agent: Joining cluster\.\.\.\(replay: false\)/g)).toHaveLength(
      3,
    );
    expect(out.text).toContain(", retrying in 100ms\n");
    expect(out.text).toContain("[ERR] agent: maximum retry join attempts made, exiting\n");
  });
});
