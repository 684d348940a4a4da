import { describe, expect, it } from "vitest";
import type { SerfMemberEvent } from "./events.ts";
import { aliveFor, deadFor, SerfHarness } from "../testing/serf-harness.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";

function memberEvents(events: readonly { type: string }[]): string[] {
  return events
    .filter((e): e is SerfMemberEvent => e.type.startsWith("member-"))
    .map((e) => `${e.type}:${e.members.map((m) => `${m.name}/${m.status}`).join(",")}`);
}

describe("member state machine (serf.md §5)", () => {
  it("the local node is a member at start, alive, with its tags and versions", () => {
    const h = new SerfHarness({ tags: { role: "web" } });
    expect(memberEvents(h.events)).toEqual(["member-join:node-1/alive"]);
    const me = h.m.localMember();
    expect(me.tags).toEqual({ role: "web" });
    expect([me.protocolMin, me.protocolMax, me.protocolCur]).toEqual([1, 5, 2]);
    expect([me.delegateMin, me.delegateMax, me.delegateCur]).toEqual([2, 5, 5]);
    expect(h.m.clocks()).toEqual({ member: 1, event: 1, query: 1 });
  });

  it("memberlist join / dead / update map to member-join / member-failed / member-update", () => {
    const h = new SerfHarness();
    expect(memberEvents(h.packet(2, [aliveFor("node-2", 2, 1, { role: "db" })]))).toEqual([
      "member-join:node-2/alive",
    ]);
    expect(h.m.member("node-2")?.tags).toEqual({ role: "db" });
    expect(memberEvents(h.packet(2, [aliveFor("node-2", 2, 2, { role: "cache" })]))).toEqual([
      "member-update:node-2/alive",
    ]);
    expect(h.m.member("node-2")?.tags).toEqual({ role: "cache" });
    expect(memberEvents(h.packet(3, [deadFor("node-2", 2, "node-3")]))).toEqual([
      "member-failed:node-2/failed",
    ]);
    expect(h.m.stats().failed).toBe(1);
    // Back alive: failed list cleared.
    expect(memberEvents(h.packet(2, [aliveFor("node-2", 2, 3)]))).toEqual([
      "member-join:node-2/alive",
    ]);
    expect(h.m.stats().failed).toBe(0);
  });

  it("a leave intent turns alive → leaving, and memberlist's dead then means left", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.serf(2, { type: "leave", lTime: 5, node: "node-2", prune: false });
    expect(h.m.member("node-2")?.status).toBe("leaving");
    expect(h.m.memberStatusLTime("node-2")).toBe(5);
    expect(h.m.clocks().member).toBe(6); // witnessed
    expect(h.m.queueDepths().intent).toBe(1); // news: rebroadcast
    expect(memberEvents(h.packet(2, [deadFor("node-2", 1, "node-2")]))).toEqual([
      "member-leave:node-2/left",
    ]);
    expect(h.m.stats().left).toBe(1);
  });

  it("intents that arrive before memberlist's join are buffered; the newest decides", () => {
    const h = new SerfHarness();
    // A join intent, then a newer leave intent, for a node memberlist has not reported yet.
    h.serf(3, { type: "join", lTime: 10, node: "node-3" });
    h.serf(3, { type: "leave", lTime: 12, node: "node-3", prune: false });
    // A stale one is neither stored nor rebroadcast.
    const before = h.m.queueDepths().intent;
    h.serf(3, { type: "join", lTime: 11, node: "node-3" });
    expect(h.m.queueDepths().intent).toBe(before);
    h.packet(3, [aliveFor("node-3", 3)]);
    expect(h.m.member("node-3")?.status).toBe("leaving");
    expect(h.m.memberStatusLTime("node-3")).toBe(12);

    // Join intent only → alive with that LTime.
    h.serf(4, { type: "join", lTime: 20, node: "node-4" });
    h.packet(4, [aliveFor("node-4", 4)]);
    expect(h.m.member("node-4")?.status).toBe("alive");
    expect(h.m.memberStatusLTime("node-4")).toBe(20);
  });

  it("ordering: a join intent newer than the leave brings a leaving member back; older ones are ignored", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.serf(2, { type: "leave", lTime: 8, node: "node-2", prune: false });
    expect(h.m.member("node-2")?.status).toBe("leaving");
    const q = h.m.queueDepths().intent;
    h.serf(2, { type: "join", lTime: 7, node: "node-2" }); // older: ignored, not rebroadcast
    expect(h.m.member("node-2")?.status).toBe("leaving");
    expect(h.m.queueDepths().intent).toBe(q);
    h.serf(2, { type: "leave", lTime: 8, node: "node-2", prune: false }); // same: ignored
    expect(h.m.queueDepths().intent).toBe(q);
    h.serf(2, { type: "join", lTime: 9, node: "node-2" });
    expect(h.m.member("node-2")?.status).toBe("alive");
    expect(h.m.queueDepths().intent).toBe(q + 1);
  });

  it("refutes a leave intent about itself with a fresh join intent", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    const q = h.m.queueDepths().intent;
    h.serf(2, { type: "leave", lTime: 40, node: "node-1", prune: false });
    expect(h.m.localMember().status).toBe("alive");
    // The leave is not rebroadcast; our join intent (LTime = clock after witnessing 40) is.
    expect(h.m.queueDepths().intent).toBe(q + 1);
    expect(h.m.memberStatusLTime("node-1")).toBe(41);
    expect(h.m.clocks().member).toBe(42);
  });

  it("a leave intent for a failed member makes it left (forced) with member-leave", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.packet(3, [deadFor("node-2", 1, "node-3")]);
    expect(h.m.member("node-2")?.status).toBe("failed");
    const ev = h.serf(3, { type: "leave", lTime: 3, node: "node-2", prune: false });
    expect(memberEvents(ev)).toEqual(["member-leave:node-2/left"]);
    expect(h.m.stats()).toMatchObject({ failed: 0, left: 1 });
  });

  it("a pruning leave intent for a leaving member erases it after BroadcastTimeout + LeavePropagateDelay", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.serf(2, { type: "leave", lTime: 5, node: "node-2", prune: true });
    expect(h.m.member("node-2")?.status).toBe("leaving");
    expect(memberEvents(h.advance(5_999))).toEqual([]);
    expect(memberEvents(h.advance(1))).toEqual(["member-reap:node-2/leaving"]);
    expect(h.m.member("node-2")).toBeUndefined();
  });

  it("recent intents expire after RecentIntentTimeout", () => {
    const h = new SerfHarness({
      options: { protocolVersion: 5, recentIntentTimeoutMs: 10_000, reapIntervalMs: 1_000 },
    });
    h.serf(3, { type: "leave", lTime: 12, node: "node-3", prune: false });
    h.advance(12_000);
    h.packet(3, [aliveFor("node-3", 3)]);
    expect(h.m.member("node-3")?.status).toBe("alive");
    expect(h.m.memberStatusLTime("node-3")).toBe(0);
  });

  it("a merge hook (Go MergeDelegate) can refuse members", () => {
    const seen: string[][] = [];
    const h = new SerfHarness({
      hooks: {
        merge: (members) => {
          seen.push(members.map((m) => `${m.name}/${m.status}/${m.tags.role ?? ""}`));
          return members.some((m) => m.name.startsWith("evil")) ? "no evil" : undefined;
        },
      },
    });
    h.packet(2, [aliveFor("evil-2", 2, 1, { role: "x" })]);
    h.packet(3, [aliveFor("node-3", 3)]);
    expect(h.m.member("evil-2")).toBeUndefined();
    expect(h.m.member("node-3")?.status).toBe("alive");
    // The local node passes through it too (memberlist consults it for every alive).
    expect(seen).toEqual([["node-1/none/"], ["evil-2/none/x"], ["node-3/none/"]]);
  });

  it("tag changes propagate as member-update (simulated)", () => {
    const c = new SerfSimCluster({ seed: 21 });
    c.addNodes(4);
    for (let i = 1; i < 4; i++) c.join(`node-${i}`, ["node-0"]);
    expect(c.runUntil(() => c.converged(), 10_000)).toBeDefined();
    const op = c.act("node-2", (m, now) => m.setTags({ role: "db", dc: "east" }, now));
    expect(
      c.runUntil(() => c.nodes.every((n) => n.m.member("node-2")?.tags.role === "db"), 5_000),
    ).toBeDefined();
    c.runFor(2_000);
    expect(c.node("node-2").eventsOf("tags-updated")).toEqual([
      { type: "tags-updated", op, ok: true, error: undefined },
    ]);
    for (const n of c.nodes) {
      const updates = n.eventsOf("member-update").filter((e) => e.members[0]?.name === "node-2");
      expect(updates.length).toBeGreaterThanOrEqual(1);
      expect(n.m.member("node-2")?.tags).toEqual({ role: "db", dc: "east" });
    }
  });

  it("join reports contacted seeds and fails when none answers", () => {
    const c = new SerfSimCluster({ seed: 22 });
    c.addNodes(3);
    c.crash("node-2");
    const j = c.join("node-1", ["node-2", "node-0"]);
    c.runFor(2_000);
    expect(c.node("node-1").eventsOf("join-finished")).toEqual([
      { type: "join-finished", join: j, contacted: 1, error: undefined },
    ]);
    // The join intent went out: node-0 knows node-1's join LTime.
    expect(c.machine("node-0").memberStatusLTime("node-1")).toBeGreaterThan(0);
    const k = c.join("node-1", ["node-2"]);
    c.runFor(2_000);
    const failed = c
      .node("node-1")
      .eventsOf("join-finished")
      .find((e) => e.join === k);
    expect(failed?.contacted).toBe(0);
    expect(failed?.error).toMatch(/Failed to join 10\.0\.0\.2:7946: connection refused/);
  });
});
