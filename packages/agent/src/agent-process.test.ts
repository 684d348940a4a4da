/**
 * Process-level test of the agent executable (`src/bin.ts` run through tsx) against the real
 * Go `serf` 0.9.4: the Go CLI talks to our RPC server, a Go agent on another loopback address
 * sees our graceful leave as `left` and a SIGKILL as `failed`.
 *
 * Needs the Go `serf` binary (`SERF_BIN` overrides the path): without it the test fails when
 * `CI=true` and is skipped loudly otherwise. Every process started here is killed by pid.
 */

import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SERF = process.env.SERF_BIN ?? "serf";
const hasSerf = spawnSync(SERF, ["version"], { timeout: 5000 }).status === 0;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

if (!hasSerf) {
  if (process.env.CI === "true") {
    describe("agent process vs Go serf", () => {
      it("needs the Go serf binary", () => {
        throw new Error(`Go serf binary not found ('${SERF}'); required when CI=true`);
      });
    });
  } else {
    console.warn(
      `SKIPPING agent-process.test.ts: Go serf binary '${SERF}' not found (set SERF_BIN)`,
    );
  }
}

function randomLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}
function randomPort(): number {
  return randomInt(20_000, 60_000);
}

interface Proc {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

const procs = new Set<ChildProcess>();

function launch(command: string, args: string[]): Proc {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  procs.add(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) => {
    child.on("close", (code) => {
      procs.delete(child);
      res(code);
    });
  });
  return { child, output: () => out, exited };
}

function launchOurs(args: string[]): Proc {
  return launch(process.execPath, [
    "--conditions=@serf-ts/source",
    "--import",
    "tsx",
    BIN,
    ...args,
  ]);
}

function killByPid(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  }
}

function serfCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(SERF, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      res({ code, stdout, stderr });
    });
  });
}

/** `serf members` rows as name → status. */
async function memberStatus(rpcAddr: string): Promise<Map<string, string>> {
  const { stdout } = await serfCli(["members", `-rpc-addr=${rpcAddr}`]);
  const rows = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [name, , status] = line.trim().split(/\s+/);
    if (name !== undefined && status !== undefined) rows.set(name, status);
  }
  return rows;
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!hasSerf)("agent process vs Go serf", () => {
  let dir: string;
  let goRpc: string;
  let goBind: string;
  let goAgent: Proc;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-agent-proc-"));
    const ip = randomLoopback();
    goBind = `${ip}:${randomPort()}`;
    goRpc = `${ip}:${randomPort()}`;
    goAgent = launch(SERF, [
      "agent",
      "-node=go1",
      `-bind=${goBind}`,
      `-rpc-addr=${goRpc}`,
      "-profile=local",
    ]);
    await waitFor(
      "the Go agent",
      () => goAgent.output().includes("Log data will now stream in"),
      15_000,
    );
  }, 20_000);

  afterAll(async () => {
    for (const child of [...procs]) killByPid(child, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  function ourArgs(
    name: string,
    extra: string[] = [],
  ): { args: string[]; bind: string; rpc: string; ip: string } {
    const ip = randomLoopback();
    const bind = `${ip}:${randomPort()}`;
    const rpc = `${ip}:${randomPort()}`;
    return {
      ip,
      bind,
      rpc,
      args: [
        `-node=${name}`,
        `-bind=${bind}`,
        `-rpc-addr=${rpc}`,
        "-profile=local",
        `-join=${goBind}`,
        ...extra,
      ],
    };
  }

  it("prints the banner, serves the Go CLI, leaves gracefully on SIGINT (seen as left)", async () => {
    const handler = join(dir, "deploy.sh");
    writeFileSync(handler, `#!/bin/sh\n{ echo "$SERF_USER_EVENT"; cat; } > "${dir}/deploy.txt"\n`);
    chmodSync(handler, 0o755);
    const { args, bind, rpc } = ourArgs("ts1", [`-event-handler=user:deploy=${handler}`]);
    const ours = launchOurs(args);
    await waitFor(
      "our banner",
      () => ours.output().includes("Log data will now stream in"),
      20_000,
    );
    expect(ours.output()).toContain(
      [
        "==> Starting Serf agent...",
        "==> Starting Serf agent RPC...",
        "==> Serf agent running!",
        "                      Node name: 'ts1'",
        `                      Bind addr: '${bind}'`,
        `                       RPC addr: '${rpc}'`,
        "                      Encrypted: false",
        "                       Snapshot: false",
        "                        Profile: local",
        "    Message Compression Enabled: true",
        "==> Joining cluster...(replay: false)",
        "    Join completed. Synced with 1 initial agents",
        "",
        "==> Log data will now stream in as it occurs:",
        "",
      ].join("\n"),
    );

    // The Go CLI against our RPC server.
    const ourView = await memberStatus(rpc);
    expect(ourView.get("ts1")).toBe("alive");
    expect(ourView.get("go1")).toBe("alive");
    expect((await memberStatus(goRpc)).get("ts1")).toBe("alive");

    // A user event sent through the Go agent runs our handler.
    expect((await serfCli(["event", `-rpc-addr=${goRpc}`, "deploy", "v9"])).code).toBe(0);
    await waitFor(
      "our handler",
      () =>
        existsSync(join(dir, "deploy.txt")) &&
        readFileSync(join(dir, "deploy.txt"), "utf8") === "deploy\nv9\n",
      10_000,
    );

    killByPid(ours.child, "SIGINT");
    expect(await ours.exited).toBe(0);
    expect(ours.output()).toContain(
      "==> Caught signal: interrupt\n==> Gracefully shutting down agent...\n",
    );
    await waitFor(
      "go1 to see ts1 left",
      async () => (await memberStatus(goRpc)).get("ts1") === "left",
      10_000,
    );
  }, 60_000);

  it("is seen as failed after SIGKILL", async () => {
    const { args } = ourArgs("ts2");
    const ours = launchOurs(args);
    await waitFor(
      "our banner",
      () => ours.output().includes("Log data will now stream in"),
      20_000,
    );
    await waitFor(
      "go1 to see ts2",
      async () => (await memberStatus(goRpc)).get("ts2") === "alive",
      10_000,
    );
    killByPid(ours.child, "SIGKILL");
    await ours.exited;
    await waitFor(
      "go1 to see ts2 failed",
      async () => (await memberStatus(goRpc)).get("ts2") === "failed",
      30_000,
    );
  }, 60_000);

  it("leaves and exits 0 on RPC leave (serf leave)", async () => {
    const { args, rpc } = ourArgs("ts3");
    const ours = launchOurs(args);
    await waitFor(
      "our banner",
      () => ours.output().includes("Log data will now stream in"),
      20_000,
    );
    const leave = await serfCli(["leave", `-rpc-addr=${rpc}`]);
    expect(leave.code).toBe(0);
    expect(leave.stdout).toContain("Graceful leave complete");
    expect(await ours.exited).toBe(0);
    expect(ours.output()).toContain("[INFO] agent.ipc: Graceful leave triggered\n");
    await waitFor(
      "go1 to see ts3 left",
      async () => (await memberStatus(goRpc)).get("ts3") === "left",
      10_000,
    );
  }, 60_000);
});
