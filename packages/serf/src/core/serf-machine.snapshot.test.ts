import { describe, expect, it } from "vitest";
import {
  parseSnapshot,
  type SnapshotRecord,
  serializeSnapshot,
} from "./snapshot/snapshot-format.ts";
import { replaySnapshot } from "./snapshot/snapshot-replay.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function text(records: readonly SnapshotRecord[]): string[] {
  return serializeSnapshot(records).trimEnd().split("\n");
}

function cluster(n: number, seed: number) {
  const c = new SerfSimCluster({ seed, options: { protocolVersion: 5 } });
  c.addNodes(n);
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
  return c;
}

describe("snapshot records (serf.md §13)", () => {
  it("alive / not-alive / clock / event-clock / query-clock / leave, as Go's snapshotter writes them", () => {
    const c = cluster(3, 121);
    c.act("node-1", (m, now) => m.userEvent("deploy", enc("v1"), false, now));
    c.runFor(1_000);
    c.act("node-2", (m, now) => m.query({ name: "_serf_ping" }, now)); // internal queries count
    c.runFor(4_000);
    c.crash("node-2");
    expect(c.runUntil(() => c.allSee("node-2", "failed"), 30_000)).toBeDefined();
    const lines = text(c.node("node-0").snapshot);
    expect(lines[0]).toBe("alive: node-0 10.0.0.0:7946");
    expect(lines).toContain("alive: node-1 10.0.0.1:7946");
    expect(lines).toContain("alive: node-2 10.0.0.2:7946");
    expect(lines).toContain("event-clock: 1");
    expect(lines).toContain("query-clock: 1");
    expect(lines.at(-1)?.startsWith("clock: ") || lines.at(-1) === "not-alive: node-2").toBe(true);
    expect(lines).toContain("not-alive: node-2");
    // clock lines only grow, and are member clock − 1.
    const clocks = lines.filter((l) => l.startsWith("clock: ")).map((l) => Number(l.slice(7)));
    expect(clocks.length).toBeGreaterThan(0);
    expect([...clocks].sort((a, b) => a - b)).toEqual(clocks);
    expect(new Set(clocks).size).toBe(clocks.length);
    expect(clocks.at(-1)).toBe(c.machine("node-0").clocks().member - 1);

    // Leave: a `leave` record; later member events are not recorded, clock lines continue.
    c.leave("node-0");
    const mark = c.node("node-0").snapshot.length;
    c.runFor(3_000);
    const after = text(c.node("node-0").snapshot.slice(mark - 1));
    expect(after[0]).toBe("leave");
    expect(after.slice(1).every((l) => l.startsWith("clock: "))).toBe(true);
  });

  it("replay restores the clocks, stops old events/queries, and rejoins a previous member", () => {
    const c = cluster(4, 122);
    c.act("node-0", (m, now) => m.userEvent("e1", enc("a"), false, now));
    c.act("node-1", (m, now) => m.query({ name: "q1" }, now));
    c.runFor(4_000);
    c.act("node-2", (m, now) => m.userEvent("e2", enc("b"), false, now));
    c.runFor(4_000);
    const n3 = c.node("node-3");
    expect(n3.eventsOf("user").map((e) => e.name)).toEqual(["e1", "e2"]);
    const before = n3.m.clocks();
    const file = serializeSnapshot(n3.snapshot);
    c.crash(n3);
    c.runFor(2_000);
    const state = replaySnapshot(parseSnapshot(file).records);
    expect(state.lastEventClock).toBe(2);
    expect(state.lastQueryClock).toBe(1);
    expect([...state.aliveNodes.keys()].sort()).toEqual(["node-0", "node-1", "node-2", "node-3"]);
    const eventsBefore = n3.eventsOf("user").length;
    c.restart(n3, [], { snapshot: state });
    const m3 = n3.m;
    expect(m3.clocks().event).toBeGreaterThanOrEqual(3);
    expect(m3.clocks().query).toBeGreaterThanOrEqual(2);
    expect(m3.clocks().member).toBeGreaterThanOrEqual(state.lastClock + 1);
    expect(m3.clocks().member).toBeLessThanOrEqual(before.member);
    expect(m3.minTimes()).toEqual({ event: 3, query: 2 });
    expect(c.runUntil(() => n3.eventsOf("rejoin-finished").length > 0, 10_000)).toBeDefined();
    const rejoin = n3.eventsOf("rejoin-finished")[0];
    expect(rejoin?.ok).toBe(true);
    expect(["node-0", "node-1", "node-2"]).toContain(rejoin?.node);
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
    c.runFor(5_000);
    // The push/pull carried e1 and e2 again: not re-delivered.
    expect(n3.eventsOf("user")).toHaveLength(eventsBefore);
    c.act("node-1", (m, now) => m.userEvent("e3", enc("c"), false, now));
    c.runFor(3_000);
    expect(
      n3
        .eventsOf("user")
        .map((e) => e.name)
        .slice(eventsBefore),
    ).toEqual(["e3"]);
  });

  it("after a graceful leave the replay has nothing to rejoin; rejoin_after_leave keeps it", () => {
    const c = cluster(3, 123);
    c.leave("node-2");
    expect(c.runUntil(() => c.machine("node-2").state === "left", 10_000)).toBeDefined();
    const records = parseSnapshot(serializeSnapshot(c.node("node-2").snapshot)).records;
    const plain = replaySnapshot(records);
    expect(plain.aliveNodes.size).toBe(0);
    expect(plain.left).toBe(true);
    const rejoin = replaySnapshot(records, { rejoinAfterLeave: true });
    expect(rejoin.aliveNodes.size).toBe(3);
    // Restarting from the plain replay starts no rejoin at all.
    c.stop("node-2");
    c.restart("node-2", [], { snapshot: plain });
    c.runFor(2_000);
    expect(c.node("node-2").eventsOf("rejoin-finished")).toEqual([]);
  });
});
