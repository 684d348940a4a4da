import { NO_CORE_METRICS, noopMetricsSink } from "./metrics-sink.ts";
import { SwimMetrics } from "./swim-metrics.ts";
import { NodeStateCode } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../options.ts";
import {
  aliveOf,
  CoreHarness,
  deadOf,
  pushStateOf,
  suspectOf,
  testAddress,
  testIp,
} from "../testing/core-harness.ts";
import { Awareness } from "./awareness.ts";
import type { CoreContext, MemberBroadcastMessage, TimerPayload } from "./context.ts";
import { DeadlineQueue } from "./deadlines.ts";
import { MemberTable } from "./members.ts";
import { seededRandom } from "./random.ts";
import type { MemberlistEvent } from "./types.ts";

const types = (events: readonly { type: string }[]): string[] => events.map((e) => e.type);

/** A CoreContext recording broadcasts and events, with a manual clock. */
function fakeContext() {
  const timers = new DeadlineQueue<TimerPayload>();
  const f = {
    now: 0,
    timers,
    events: [] as MemberlistEvent[],
    logs: [] as MemberlistEvent[],
    /** Counters emitted, as `key` strings in order. */
    counters: [] as string[],
    broadcasts: [] as MemberBroadcastMessage[],
    ctx: undefined as unknown as CoreContext,
    runUntil(t: number, table: MemberTable): void {
      for (;;) {
        const due = timers.popDue(t);
        if (due === undefined) break;
        f.now = Math.max(f.now, due.at);
        if (due.payload.kind === "suspicion") {
          table.suspicionExpired(due.payload.record, due.payload.suspicion);
        }
      }
      f.now = t;
    },
  };
  const awareness = new Awareness(8);
  f.ctx = {
    options: resolveOptions({}),
    random: seededRandom(1),
    delegates: {},
    awareness,
    selfName: "self",
    metrics: new SwimMetrics({
      ...NO_CORE_METRICS,
      sink: { ...noopMetricsSink, incrCounter: (key) => f.counters.push(key.join(".")) },
    }),
    now: () => f.now,
    emit: (e) => (e.type === "log" ? f.logs : f.events).push(e),
    applyAwarenessDelta: (d) => awareness.applyDelta(d),
    nextSeqNo: () => 1,
    broadcast: (m) => f.broadcasts.push(m),
    sendMessage: () => {},
    sendRaw: () => {},
    openStream: () => 0,
    schedule: (at, payload) => timers.schedule(at, payload),
    cancel: (d) => timers.cancel(d),
  };
  return f;
}

describe("alive rule (memberlist.md §9.8)", () => {
  it("an unknown node becomes alive with a join event and is re-broadcast", () => {
    const h = new CoreHarness();
    h.drain();
    const d = h.packet(testAddress(2), aliveOf("b", 2, 1));
    expect(types(d.events)).toEqual(["join"]);
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.ALIVE);
    expect(h.machine.numMembers()).toBe(2);
    const queued = h.machine.broadcasts.orderedView().map((v) => v.broadcast.typed);
    expect(queued).toContainEqual(aliveOf("b", 2, 1));
  });

  it("an alive with incarnation 0 for an unknown node leaves a silent dead entry", () => {
    const h = new CoreHarness();
    h.drain();
    const d = h.packet(testAddress(2), aliveOf("b", 2, 0));
    expect(d.events).toEqual([]);
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.DEAD);
    expect(h.machine.estNumNodes()).toBe(2);
    expect(h.machine.numMembers()).toBe(1);
  });

  it("ignores wrong protocol versions", () => {
    const h = new CoreHarness();
    h.drain();
    for (const vsn of [
      Uint8Array.of(0, 5, 2, 2, 5, 5),
      Uint8Array.of(1, 0, 2, 2, 5, 5),
      Uint8Array.of(3, 2, 2, 2, 5, 5),
    ]) {
      const d = h.packet(testAddress(2), aliveOf("b", 2, 1, { vsn }));
      expect(types(d.events)).toEqual(["rejected"]);
    }
    expect(h.machine.nodeState("b")).toBeUndefined();
  });

  it("consults the alive delegate (only for 6-byte Vsn)", () => {
    const seen: string[] = [];
    const h = new CoreHarness(
      "self",
      1,
      {},
      {
        notifyAlive: (node) => {
          seen.push(node.name);
          return node.name === "evil" ? "other cluster" : undefined;
        },
      },
    );
    h.drain();
    expect(types(h.packet(testAddress(3), aliveOf("evil", 3, 1)).events)).toEqual(["rejected"]);
    expect(types(h.packet(testAddress(2), aliveOf("b", 2, 1)).events)).toEqual(["join"]);
    const short = h.packet(testAddress(4), aliveOf("c", 4, 1, { vsn: Uint8Array.of(1, 5, 2) }));
    expect(types(short.events)).toEqual(["rejected"]);
    // Go consults it for the local node's own start-up alive too.
    expect(seen).toEqual(["self", "evil", "b"]);
  });

  it("only takes higher incarnations for other nodes; meta changes emit update", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2, incarnation: 5 });
    const meta = Uint8Array.of(1, 2, 3);
    expect(h.packet(testAddress(2), aliveOf("b", 2, 5, { meta })).events).toEqual([]);
    expect(h.packet(testAddress(2), aliveOf("b", 2, 4, { meta })).events).toEqual([]);
    const d = h.packet(testAddress(2), aliveOf("b", 2, 6, { meta }));
    expect(types(d.events)).toEqual(["update"]);
    expect(h.machine.getNode("b")?.meta).toEqual(meta);
    expect(h.machine.nodeIncarnation("b")).toBe(6);
  });

  it("reports a conflict for a known live name at another address", () => {
    const conflicts: string[] = [];
    const h = new CoreHarness(
      "self",
      1,
      {},
      {
        notifyConflict: (existing, other) => conflicts.push(`${existing.address}/${other.address}`),
      },
    );
    h.addPeers({ name: "b", index: 2 });
    const d = h.packet(testAddress(9), aliveOf("b", 9, 7));
    expect(types(d.events)).toEqual(["conflict"]);
    expect(conflicts).toEqual(["10.0.0.2:7946/10.0.0.9:7946"]);
    expect(h.machine.getNode("b")?.address).toBe("10.0.0.2:7946");
    expect(h.machine.nodeIncarnation("b")).toBe(1);
  });

  it("lets a left node come back at another address at once, with any incarnation", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2, incarnation: 3 });
    h.packet(testAddress(2), deadOf("b", 3, "b"));
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.LEFT);
    const d = h.packet(testAddress(9), aliveOf("b", 9, 1));
    expect(types(d.events)).toEqual(["join"]);
    expect(h.machine.getNode("b")?.address).toBe("10.0.0.9:7946");
    expect(h.machine.nodeIncarnation("b")).toBe(1);
  });

  it("lets a dead node be reclaimed only after DeadNodeReclaimTime (never by default)", () => {
    // Probing off: a probe wrap would reap the dead entry after GossipToTheDeadTime.
    const quiet = { probeIntervalMs: 0, pushPullIntervalMs: 0 };
    const never = new CoreHarness("self", 1, quiet);
    never.addPeers({ name: "b", index: 2 });
    never.packet(testAddress(3), deadOf("b", 1, "x"));
    never.now += 1_000_000;
    expect(types(never.packet(testAddress(9), aliveOf("b", 9, 5)).events)).toEqual(["conflict"]);

    const h = new CoreHarness("self", 1, { ...quiet, deadNodeReclaimTimeMs: 10_000 });
    h.addPeers({ name: "b", index: 2 });
    h.packet(testAddress(3), deadOf("b", 1, "x"));
    h.now += 5_000;
    expect(types(h.packet(testAddress(9), aliveOf("b", 9, 5)).events)).toEqual(["conflict"]);
    h.now += 6_000;
    expect(types(h.packet(testAddress(9), aliveOf("b", 9, 1)).events)).toEqual(["join"]);
  });

  it("ignores an echo of our own alive; refutes one with other content", () => {
    const h = new CoreHarness("self", 1);
    h.drain();
    const mine = h.machine.localNode();
    const echo = aliveOf("self", 1, mine.incarnation, { meta: mine.meta });
    expect(h.packet(testAddress(2), echo).events).toEqual([]);
    const d = h.packet(testAddress(2), aliveOf("self", 1, 4, { meta: Uint8Array.of(9) }));
    expect(d.events).toContainEqual({
      type: "refute",
      reason: "alive",
      accusedIncarnation: 4,
      incarnation: 5,
      from: undefined,
    });
    expect(h.machine.localNode().incarnation).toBe(5);
    expect(h.machine.healthScore()).toBe(1);
    // A lower incarnation about us is ignored.
    expect(
      h.packet(testAddress(2), aliveOf("self", 1, 2, { meta: Uint8Array.of(9) })).events,
    ).toEqual([]);
  });

  it("substitutes the bind port for port 0", () => {
    const h = new CoreHarness();
    h.drain();
    h.packet(testAddress(2), aliveOf("b", 2, 1, { port: 0 }));
    expect(h.machine.getNode("b")?.port).toBe(7946);
  });
});

describe("suspect rule", () => {
  it("ignores unknown nodes and old incarnations", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2, incarnation: 3 });
    expect(h.packet(testAddress(3), suspectOf("zz", 1, "c")).events).toEqual([]);
    expect(h.packet(testAddress(3), suspectOf("b", 2, "c")).events).toEqual([]);
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.ALIVE);
  });

  it("marks alive nodes suspect and re-gossips; refutes when about us", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2, incarnation: 3 });
    const d = h.packet(testAddress(3), suspectOf("b", 4, "c"));
    expect(types(d.events)).toEqual(["suspect"]);
    expect(h.machine.nodeIncarnation("b")).toBe(4);
    expect(h.machine.broadcasts.orderedView().map((v) => v.broadcast.typed)).toContainEqual(
      suspectOf("b", 4, "c"),
    );
    const me = h.packet(testAddress(3), suspectOf("self", 7, "c"));
    expect(me.events).toContainEqual({
      type: "refute",
      reason: "suspect",
      accusedIncarnation: 7,
      incarnation: 8,
      from: "c",
    });
    expect(h.machine.nodeState("self")).toBe(NodeStateCode.ALIVE);
  });

  it("re-gossips only new confirmations, up to k", () => {
    const h = new CoreHarness();
    h.addPeers(
      { name: "b", index: 2 },
      { name: "c", index: 3 },
      { name: "d", index: 4 },
      { name: "e", index: 5 },
    );
    h.packet(testAddress(3), suspectOf("b", 1, "c"));
    const queued = (): number => h.machine.broadcasts.numQueued();
    // Drain the queue by reading it through a gossip-sized request.
    h.machine.broadcasts.reset();
    h.packet(testAddress(3), suspectOf("b", 1, "c")); // same From: no news
    expect(queued()).toBe(0);
    h.packet(testAddress(4), suspectOf("b", 1, "d")); // new From: re-gossiped
    expect(queued()).toBe(1);
    h.machine.broadcasts.reset();
    h.packet(testAddress(5), suspectOf("b", 1, "e"));
    expect(queued()).toBe(1);
    h.machine.broadcasts.reset();
    // k = SuspicionMult - 2 = 2 confirmations reached: no more re-gossip.
    h.packet(testAddress(1), suspectOf("b", 1, "self"));
    expect(queued()).toBe(0);
  });

  it("declares dead when the Lifeguard timer fires (LAN, 4 nodes, one confirmation ≈ 11.4 s)", () => {
    const f = fakeContext();
    const table = new MemberTable(f.ctx);
    for (const [name, i] of [
      ["self", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ] as const) {
      table.aliveNode(aliveOf(name, i, 1), { bootstrap: name === "self" });
    }
    f.now = 1_000;
    table.suspectNode(suspectOf("b", 1, "c"));
    expect(f.timers.peek()).toBe(1_000 + 24_000); // max: k = 2 confirmations expected
    f.now = 2_000;
    table.suspectNode(suspectOf("b", 1, "d"));
    // min 4 s, max 24 s, k = 2; one confirmation → 11.381 s after the suspicion started.
    expect(f.timers.peek()).toBe(1_000 + 11_381);
    f.runUntil(12_380, table);
    expect(table.get("b")?.state).toBe(NodeStateCode.SUSPECT);
    f.runUntil(12_381, table);
    expect(table.get("b")?.state).toBe(NodeStateCode.DEAD);
    expect(f.broadcasts).toContainEqual(deadOf("b", 1, "self"));
    expect(types(f.events)).toEqual(["join", "join", "join", "join", "suspect", "leave"]);
    // Go's counters: 4 alive, 1 suspect, then a timeout short of k = 2 confirmations, 1 dead.
    expect(f.counters).toEqual([
      ...Array(4).fill("memberlist.msg.alive"),
      "memberlist.msg.suspect",
      "memberlist.degraded.timeout",
      "memberlist.msg.dead",
    ]);
  });

  it("fires at once when a confirmation moves the deadline into the past", () => {
    const f = fakeContext();
    const table = new MemberTable(f.ctx);
    for (const [name, i] of [
      ["self", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ] as const) {
      table.aliveNode(aliveOf(name, i, 1), { bootstrap: name === "self" });
    }
    table.suspectNode(suspectOf("b", 1, "c"));
    f.now = 20_000;
    table.suspectNode(suspectOf("b", 1, "d"));
    expect(f.timers.peek()).toBe(20_000);
    f.runUntil(20_000, table);
    expect(table.get("b")?.state).toBe(NodeStateCode.DEAD);
  });

  it("an alive with a higher incarnation cancels the suspicion", () => {
    const h = new CoreHarness("self", 1, { probeIntervalMs: 0, gossipIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 });
    h.packet(testAddress(3), suspectOf("b", 1, "c"));
    h.packet(testAddress(2), aliveOf("b", 2, 2));
    const d = h.advance(60_000);
    expect(types(d.events)).not.toContain("leave");
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.ALIVE);
  });
});

describe("dead rule", () => {
  it("marks dead (or left when From == Node), ignores old incarnations and repeats", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2, incarnation: 3 }, { name: "c", index: 3 });
    expect(h.packet(testAddress(3), deadOf("b", 2, "c")).events).toEqual([]);
    const d = h.packet(testAddress(3), deadOf("b", 3, "c"));
    expect(types(d.events)).toEqual(["leave"]);
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.DEAD);
    expect(h.packet(testAddress(3), deadOf("b", 3, "c")).events).toEqual([]);
    const left = h.packet(testAddress(3), deadOf("c", 1, "c"));
    expect(left.events[0]).toMatchObject({ type: "leave", node: { state: NodeStateCode.LEFT } });
    expect(h.machine.numMembers()).toBe(1);
  });

  it("refutes a dead message about us unless we are leaving", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2 });
    const d = h.packet(testAddress(2), deadOf("self", 1, "b"));
    expect(types(d.events)).toEqual(["health", "refute"]);
    expect(h.machine.localNode().incarnation).toBe(2);
    h.machine.leave(h.now);
    expect(h.machine.nodeState("self")).toBe(NodeStateCode.LEFT);
    // After leaving, alive messages about us are ignored.
    h.packet(testAddress(2), aliveOf("self", 1, 99));
    expect(h.machine.nodeState("self")).toBe(NodeStateCode.LEFT);
  });
});

describe("push/pull merge", () => {
  it("downgrades remote dead/suspect entries to our own suspicion; keeps left as left", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 }, { name: "d", index: 4 });
    const reply = h.machine.handleStreamRequest(
      testAddress(5),
      {
        type: "push-pull",
        join: false,
        nodes: [
          pushStateOf("b", 2, 1, NodeStateCode.DEAD),
          pushStateOf("c", 3, 1, NodeStateCode.SUSPECT),
          pushStateOf("d", 4, 1, NodeStateCode.LEFT),
          pushStateOf("e", 5, 1, NodeStateCode.ALIVE),
        ],
        userState: new Uint8Array(0),
      },
      h.now,
    );
    expect(reply?.type).toBe("push-pull");
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.SUSPECT);
    expect(h.machine.nodeState("c")).toBe(NodeStateCode.SUSPECT);
    expect(h.machine.nodeState("d")).toBe(NodeStateCode.LEFT);
    expect(h.machine.nodeState("e")).toBe(NodeStateCode.ALIVE);
    const suspects = h.drain().events.filter((e) => e.type === "suspect");
    expect(suspects.map((e) => (e as { from: string }).from)).toEqual(["self", "self"]);
  });

  it("rejects the whole remote state when protocol versions are incompatible", () => {
    const h = new CoreHarness();
    h.drain();
    h.machine.handleStreamRequest(
      testAddress(5),
      {
        type: "push-pull",
        join: true,
        nodes: [
          pushStateOf("e", 5, 1, NodeStateCode.ALIVE, { vsn: Uint8Array.of(1, 5, 2, 2, 5, 1) }),
          pushStateOf("f", 6, 1, NodeStateCode.ALIVE),
        ],
        userState: new Uint8Array(0),
      },
      h.now,
    );
    expect(h.machine.nodeState("e")).toBeUndefined();
    expect(h.machine.nodeState("f")).toBeUndefined();
    expect(h.drain().events).toContainEqual(
      expect.objectContaining({ type: "rejected", kind: "merge" }),
    );
  });
});

describe("reaping (memberlist.md §9.9)", () => {
  it("forgets dead nodes after GossipToTheDeadTime at a probe wrap; keeps left nodes", () => {
    const h = new CoreHarness("self", 1, { gossipIntervalMs: 0, pushPullIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 }, { name: "d", index: 4 });
    h.packet(testAddress(4), deadOf("b", 1, "d"));
    h.packet(testAddress(3), deadOf("c", 1, "c"));
    h.advance(20_000);
    expect(h.machine.nodeState("b")).toBe(NodeStateCode.DEAD);
    h.advance(40_000);
    expect(h.machine.nodeState("b")).toBeUndefined();
    expect(h.machine.nodeState("c")).toBe(NodeStateCode.LEFT);
    expect(h.machine.getNode("c")?.addr).toEqual(testIp(3));
  });
});
