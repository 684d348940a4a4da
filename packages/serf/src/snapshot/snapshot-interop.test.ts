/**
 * Interop with the Go agent (Debian serf 0.9.4): Go writes a snapshot that our parser reads,
 * and Go replays a snapshot that our serializer wrote. Agents come from `@serf-ts/testkit`: a
 * missing `serf` binary fails the suite under CI=true and skips it with a warning elsewhere.
 */

import { randomInt } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GoAgent,
  randomLoopbackIp,
  requireGoSerf,
  startGoAgent,
  stopAll,
} from "@serf-ts/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  parseSnapshot,
  type SnapshotRecord,
  serializeSnapshot,
} from "../core/snapshot/snapshot-format.ts";
import { replaySnapshot } from "../core/snapshot/snapshot-replay.ts";

const haveGo = requireGoSerf();

/** A Go agent writing to (and replaying) `snapshot`; info-level log, as the checks expect. */
function startAgent(name: string, snapshot: string): Promise<GoAgent> {
  return startGoAgent({ name, snapshot, logLevel: "info", startTimeoutMs: 10_000 });
}

describe.skipIf(!haveGo)("snapshot interop with the Go agent", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "serf-ts-interop-"));
  });
  afterEach(async () => {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it("parses a snapshot written by Go", { timeout: 60_000 }, async () => {
    const path = join(dir, "go.snap");
    const agent = await startAgent("go-a", path);
    try {
      await agent.cli(["event", "deploy", "v1"]);
      await agent.cli(["event", "deploy", "v2"]);
      await agent.cli(["event", "-coalesce=false", "other", ""]);
      await agent.cli(["query", "-timeout=300ms", "ping"]);
    } finally {
      await agent.stop("SIGINT", 10_000); // graceful leave
    }
    const text = await readFile(path, "utf8");
    const parsed = parseSnapshot(text);
    expect(parsed.tornTail).toBeUndefined();
    expect(parsed.records.filter((r) => r.kind === "unrecognized")).toEqual([]);
    // Our serializer reproduces Go's file exactly.
    expect(serializeSnapshot(parsed.records)).toBe(text);
    expect(parsed.records).toContainEqual({ kind: "alive", name: "go-a", addr: agent.bindAddress });
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
    expect([...rejoin.aliveNodes]).toEqual([["go-a", agent.bindAddress]]);
    expect(rejoin.lastEventClock).toBe(3);
    expect(rejoin.lastQueryClock).toBe(1);
  });

  it("Go replays a snapshot written by us", { timeout: 60_000 }, async () => {
    const path = join(dir, "ts.snap");
    // Nothing listens on a fresh random loopback IP.
    const ip = randomLoopbackIp();
    const port = randomInt(20_000, 60_000);
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
      info = JSON.parse(await agent.cli(["info", "-format=json"])) as {
        serf: Record<string, string>;
      };
    } finally {
      await agent.stop("SIGINT", 10_000);
    }
    // Each clock was incremented to 1 at start, then witnessed the restored value (→ v + 1).
    expect(info.serf.member_time).toBe("41");
    expect(info.serf.event_time).toBe("8");
    expect(info.serf.query_time).toBe("10");
    expect(agent.log()).toContain("Attempting re-join to previously known node: ghost");
    expect(agent.log()).not.toContain("gone");
    expect(agent.log()).not.toMatch(/Unrecognized snapshot line|Failed to (convert|parse)/);

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
