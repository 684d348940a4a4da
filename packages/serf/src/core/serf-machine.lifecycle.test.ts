import { describe, expect, it } from "vitest";
import type { SerfOptions } from "../options.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";

const FAST: SerfOptions = {
  protocolVersion: 5,
  reapIntervalMs: 1_000,
  reconnectIntervalMs: 2_000,
  reconnectTimeoutMs: 30_000,
  tombstoneTimeoutMs: 30_000,
};

function cluster(n: number, seed: number, options: SerfOptions = FAST): SerfSimCluster {
  const c = new SerfSimCluster({ seed, options });
  c.addNodes(n);
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(
    c.runUntil(() => c.converged(), 30_000),
    `seed ${seed}: no convergence`,
  ).toBeDefined();
  return c;
}

describe("graceful leave (serf.md §5.6)", () => {
  it("leaving → left locally, left (never failed) everywhere, then reaped after the tombstone timeout", () => {
    const c = cluster(5, 31);
    const leaver = c.node("node-3");
    c.leave(leaver);
    expect(leaver.m.state).toBe("leaving");
    expect(c.runUntil(() => leaver.m.state === "left", 10_000)).toBeDefined();
    const finished = leaver.eventsOf("leave-finished");
    expect(finished).toEqual([{ type: "leave-finished", ok: true, error: undefined }]);
    // Intent → memberlist dead → LeavePropagateDelay (1 s).
    const at = leaver.events.find((e) => e.event.type === "leave-finished")?.at ?? 0;
    expect(at).toBeGreaterThanOrEqual(1_000);
    expect(leaver.m.localMember().status).toBe("left");
    c.stop(leaver);
    expect(c.runUntil(() => c.allSee("node-3", "left"), 5_000)).toBeDefined();
    c.runFor(5_000);
    for (const n of c.upNodes()) {
      const types = n.events
        .map((e) => e.event)
        .filter((e) => e.type.startsWith("member-") && "members" in e)
        .filter((e) => "members" in e && e.members[0]?.name === "node-3")
        .map((e) => e.type);
      expect(types).toEqual(["member-join", "member-leave"]);
    }
    // Tombstone: reaped after 30 s (+ reap interval).
    expect(c.runUntil(() => c.allSee("node-3", undefined), 40_000)).toBeDefined();
    for (const n of c.upNodes()) {
      expect(n.eventsOf("member-reap").map((e) => e.members[0]?.name)).toEqual(["node-3"]);
    }
  });

  it("a lone node leaves without waiting for a broadcast; a second leave is an error until done", () => {
    const c = new SerfSimCluster({ seed: 32, options: FAST });
    const n = c.addNode();
    c.leave(n);
    expect(() => n.m.leave(c.now)).toThrow("Leave already in progress");
    c.runFor(1_500);
    expect(n.m.state).toBe("left");
    n.m.leave(c.now); // left already: ok again
    c.pump(n);
    expect(n.eventsOf("leave-finished").map((e) => e.ok)).toEqual([true, true]);
    expect(() => n.m.join(["10.0.0.9:7946"], false, c.now)).toThrow(
      "Serf can't Join after Leave or Shutdown",
    );
  });

  it("0.9.4: a leave whose intent is not out within BroadcastTimeout fails and stays leaving", () => {
    // 4 transmissions are needed (RetransmitMult 4 × ceil(log10(4))), 3 per 200 ms gossip
    // round: not done within 100 ms.
    const c = cluster(4, 33, { ...FAST, broadcastTimeoutMs: 100 });
    c.leave("node-2");
    c.runFor(3_000);
    const n = c.node("node-2");
    expect(n.eventsOf("leave-finished")).toEqual([
      { type: "leave-finished", ok: false, error: "timeout while waiting for graceful leave" },
    ]);
    expect(n.m.state).toBe("leaving");
    // The others saw the intent anyway.
    expect(c.allSee("node-2", "leaving")).toBe(true);
  });
});

describe("failure, reconnect and reap (serf.md §5.8)", () => {
  it("a crashed node is failed everywhere, reconnect attempts it, and it is reaped after ReconnectTimeout", () => {
    const c = cluster(5, 41);
    c.crash("node-4");
    expect(c.runUntil(() => c.allSee("node-4", "failed"), 30_000)).toBeDefined();
    // Reconnect attempts happen (probability failed/alive = 1/4 per node and 2 s round).
    expect(
      c.runUntil(() => c.upNodes().some((n) => n.eventsOf("reconnect").length > 0), 20_000),
    ).toBeDefined();
    const r = c.upNodes().flatMap((n) => n.eventsOf("reconnect"))[0];
    expect(r).toEqual({ type: "reconnect", node: "node-4", address: "10.0.0.4:7946" });
    expect(c.runUntil(() => c.allSee("node-4", undefined), 40_000)).toBeDefined();
    for (const n of c.upNodes()) {
      expect(n.eventsOf("member-reap").map((e) => e.members[0]?.name)).toEqual(["node-4"]);
      expect(n.m.stats().failed).toBe(0);
    }
  });

  it("a failed node that comes back is reconnected and alive again", () => {
    const c = cluster(4, 42, { ...FAST, reconnectTimeoutMs: 300_000 });
    c.crash("node-3");
    expect(c.runUntil(() => c.allSee("node-3", "failed"), 30_000)).toBeDefined();
    // Past GossipToTheDeadTime (30 s) nobody gossips to it any more: after a restart without a
    // join, only the others' reconnect task can bring it back.
    c.runFor(35_000);
    const before = c.upNodes().flatMap((n) => n.eventsOf("reconnect")).length;
    c.restart("node-3");
    expect(c.runUntil(() => c.converged(), 60_000)).toBeDefined();
    expect(c.upNodes().flatMap((n) => n.eventsOf("reconnect")).length).toBeGreaterThan(before);
    for (const n of c.upNodes()) {
      if (n.name === "node-3") continue;
      const types = n
        .eventsOf("member-join")
        .concat(n.eventsOf("member-failed"))
        .filter((e) => e.members[0]?.name === "node-3");
      expect(types.map((e) => e.type).sort()).toEqual([
        "member-failed",
        "member-join",
        "member-join",
      ]);
    }
  });
});

describe("force leave (serf.md §5.7)", () => {
  it("moves a failed node to left everywhere", () => {
    const c = cluster(4, 51);
    c.crash("node-3");
    expect(c.runUntil(() => c.allSee("node-3", "failed"), 30_000)).toBeDefined();
    const op = c.act("node-0", (m, now) => m.forceLeave("node-3", false, now));
    expect(c.runUntil(() => c.allSee("node-3", "left"), 5_000)).toBeDefined();
    c.runFor(2_000);
    expect(c.node("node-0").eventsOf("force-leave-finished")).toEqual([
      { type: "force-leave-finished", op, node: "node-3", ok: true, error: undefined },
    ]);
    for (const n of c.upNodes()) {
      expect(n.eventsOf("member-leave").map((e) => e.members[0]?.name)).toEqual(["node-3"]);
    }
  });

  it("with prune, erases the node everywhere (member-reap)", () => {
    const c = cluster(4, 52);
    c.crash("node-2");
    expect(c.runUntil(() => c.allSee("node-2", "failed"), 30_000)).toBeDefined();
    c.act("node-1", (m, now) => m.forceLeave("node-2", true, now));
    expect(c.runUntil(() => c.allSee("node-2", undefined), 5_000)).toBeDefined();
    for (const n of c.upNodes()) {
      expect(n.eventsOf("member-reap").map((e) => e.members[0]?.name)).toEqual(["node-2"]);
      expect(n.eventsOf("member-leave").map((e) => e.members[0]?.name)).toEqual(["node-2"]);
    }
    // No reconnect to a pruned node.
    const before = c.upNodes().flatMap((n) => n.eventsOf("reconnect")).length;
    c.runFor(20_000);
    expect(c.upNodes().flatMap((n) => n.eventsOf("reconnect")).length).toBe(before);
  });
});
