/**
 * Interop with the Go agent (Debian serf 0.9.4): Go writes a snapshot that our parser reads,
 * and Go replays a snapshot that our serializer wrote. Needs the `serf` binary on PATH: in CI
 * (CI=true) its absence fails the suite, elsewhere the tests are skipped with a warning.
 */

import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseSnapshot, type SnapshotRecord, serializeSnapshot } from "./snapshot-format.ts";
import { replaySnapshot } from "./snapshot-replay.ts";

const SERF = "serf";
const hasSerf = spawnSync(SERF, ["version"], { stdio: "ignore", timeout: 10_000 }).status === 0;
const inCI = process.env.CI === "true";
if (!hasSerf && !inCI) {
  console.warn("snapshot-interop: `serf` binary not on PATH, skipping Go interop tests");
}

interface Agent {
  readonly proc: ChildProcess;
  readonly rpcAddr: string;
  readonly bindAddr: string;
  log: string;
}

/** A random loopback address 127.x.y.z (x,y,z in 1..254) and two random ports. */
function randomAddrs(): { ip: string; port: number; rpcPort: number } {
  const octet = (): number => randomInt(1, 255);
  const ip = `127.${octet()}.${octet()}.${octet()}`;
  const port = randomInt(20_000, 40_000);
  return { ip, port, rpcPort: port + randomInt(1, 20_000) };
}

function run(args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(SERF, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`serf ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const running = new Set<ChildProcess>();

async function startAgent(node: string, snapshot: string): Promise<Agent> {
  const { ip, port, rpcPort } = randomAddrs();
  const bindAddr = `${ip}:${port}`;
  const rpcAddr = `${ip}:${rpcPort}`;
  const proc = spawn(
    SERF,
    [
      "agent",
      `-node=${node}`,
      `-bind=${bindAddr}`,
      `-rpc-addr=${rpcAddr}`,
      `-snapshot=${snapshot}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(proc);
  const agent: Agent = { proc, rpcAddr, bindAddr, log: "" };
  const onData = (d: Buffer): void => {
    agent.log += d.toString("utf8");
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  // Ready once the RPC endpoint answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serf agent exited early:\n${agent.log}`);
    try {
      await run(["info", `-rpc-addr=${rpcAddr}`], 2000);
      return agent;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`serf agent not ready: ${err}\n${agent.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** SIGINT (graceful leave), then wait for the exit; SIGKILL after 10 s. */
async function stopAgent(agent: Agent): Promise<void> {
  const { proc } = agent;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  if (proc.pid !== undefined) process.kill(proc.pid, "SIGINT");
  const timer = setTimeout(() => {
    if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, "SIGKILL");
  }, 10_000);
  await exited;
  clearTimeout(timer);
  running.delete(proc);
}

describe("snapshot interop with the Go agent", () => {
  it.runIf(inCI)("the Go `serf` binary is on PATH in CI", () => {
    expect(hasSerf).toBe(true);
  });

  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "serf-ts-interop-"));
  });
  afterEach(async () => {
    for (const proc of running) {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid, "SIGKILL");
      }
    }
    running.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasSerf)("parses a snapshot written by Go", { timeout: 60_000 }, async () => {
    const path = join(dir, "go.snap");
    const agent = await startAgent("go-a", path);
    try {
      await run(["event", `-rpc-addr=${agent.rpcAddr}`, "deploy", "v1"]);
      await run(["event", `-rpc-addr=${agent.rpcAddr}`, "deploy", "v2"]);
      await run(["event", `-rpc-addr=${agent.rpcAddr}`, "-coalesce=false", "other", ""]);
      await run(["query", `-rpc-addr=${agent.rpcAddr}`, "-timeout=300ms", "ping"]);
    } finally {
      await stopAgent(agent);
    }
    const text = await readFile(path, "utf8");
    const parsed = parseSnapshot(text);
    expect(parsed.tornTail).toBeUndefined();
    expect(parsed.records.filter((r) => r.kind === "unrecognized")).toEqual([]);
    // Our serializer reproduces Go's file exactly.
    expect(serializeSnapshot(parsed.records)).toBe(text);
    expect(parsed.records).toContainEqual({ kind: "alive", name: "go-a", addr: agent.bindAddr });
    expect(parsed.records).toContainEqual({ kind: "event-clock", value: 3 });
    expect(parsed.records).toContainEqual({ kind: "query-clock", value: 1 });
    expect(parsed.records).toContainEqual({ kind: "leave" });

    // Graceful leave: replay forgets members and clocks (later clock lines still apply)...
    const left = replaySnapshot(parsed.records);
    expect(left.left).toBe(true);
    expect(left.aliveNodes.size).toBe(0);
    expect(left.lastEventClock).toBe(0);
    // ...unless rejoining after a leave.
    const rejoin = replaySnapshot(parsed.records, { rejoinAfterLeave: true });
    expect([...rejoin.aliveNodes]).toEqual([["go-a", agent.bindAddr]]);
    expect(rejoin.lastEventClock).toBe(3);
    expect(rejoin.lastQueryClock).toBe(1);
  });

  it.skipIf(!hasSerf)("Go replays a snapshot written by us", { timeout: 60_000 }, async () => {
    const path = join(dir, "ts.snap");
    const { ip, port } = randomAddrs();
    const records: SnapshotRecord[] = [
      { kind: "comment", text: " written by serf-ts" },
      // A peer that is gone: Go tries to rejoin it, fails, and carries on.
      { kind: "alive", name: "ghost", addr: `${ip}:${port}` },
      { kind: "alive", name: "gone", addr: `${ip}:${port + 1}` },
      { kind: "not-alive", name: "gone" },
      { kind: "clock", value: 40 },
      { kind: "event-clock", value: 7 },
      { kind: "query-clock", value: 9 },
      { kind: "coordinate", text: "legacy" },
    ];
    const written = serializeSnapshot(records);
    await writeFile(path, written);

    const agent = await startAgent("go-b", path);
    let info: { serf: Record<string, string> };
    try {
      info = JSON.parse(await run(["info", "-format=json", `-rpc-addr=${agent.rpcAddr}`])) as {
        serf: Record<string, string>;
      };
    } finally {
      await stopAgent(agent);
    }
    // Each clock was incremented to 1 at start, then witnessed the restored value (→ v + 1).
    expect(info.serf.member_time).toBe("41");
    expect(info.serf.event_time).toBe("8");
    expect(info.serf.query_time).toBe("10");
    expect(agent.log).toContain("Attempting re-join to previously known node: ghost");
    expect(agent.log).not.toContain("gone");
    expect(agent.log).not.toMatch(/Unrecognized snapshot line|Failed to (convert|parse)/);

    // Go appended to our file; the whole thing still parses and replays.
    const after = await readFile(path, "utf8");
    expect(after.startsWith(written)).toBe(true);
    const parsed = parseSnapshot(after);
    expect(serializeSnapshot(parsed.records)).toBe(after);
    expect(replaySnapshot(parsed.records, { rejoinAfterLeave: true }).lastClock).toBeGreaterThan(
      40,
    );
  });
});
