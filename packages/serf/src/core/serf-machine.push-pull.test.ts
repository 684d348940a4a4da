import {
  decodeSerfMessage,
  encodeSerfMessage,
  encodeTags,
  type PushNodeState,
  type PushPullState,
} from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { AGENT_VSN, aliveFor, SerfHarness, testAddress, testIp } from "../testing/serf-harness.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function node(name: string, i: number, state: 0 | 1 | 2 | 3 = 0): PushNodeState {
  return {
    name,
    addr: testIp(i),
    port: 7946,
    meta: encodeTags({}),
    incarnation: 1,
    state,
    vsn: AGENT_VSN,
  };
}

function serfState(p: Partial<Omit<PushPullState, "type">>): Uint8Array {
  return encodeSerfMessage({
    type: "push-pull",
    lTime: p.lTime ?? 1,
    statusLTimes: p.statusLTimes ?? new Map(),
    leftMembers: p.leftMembers ?? [],
    eventLTime: p.eventLTime ?? 1,
    events: p.events ?? new Array(512).fill(null),
    queryLTime: p.queryLTime ?? 1,
  });
}

describe("push/pull (serf.md §3.3, §5.5)", () => {
  it("local state: clocks, every member's status LTime, left members, a 512-slot event ring", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.serf(2, { type: "join", lTime: 4, node: "node-2" });
    h.m.userEvent("ev", enc("x"), false, h.now);
    const reply = h.m.handleStreamRequest(
      testAddress(2),
      { type: "push-pull", join: false, nodes: [node("node-2", 2)], userState: serfState({}) },
      h.now,
    );
    expect(reply?.type).toBe("push-pull");
    const state = decodeSerfMessage((reply as { userState: Uint8Array }).userState);
    expect(state.type).toBe("push-pull");
    if (state.type !== "push-pull") return;
    expect(state.lTime).toBe(h.m.clocks().member);
    expect(state.eventLTime).toBe(2);
    expect(state.queryLTime).toBe(1);
    expect([...state.statusLTimes]).toEqual([
      ["node-1", 0],
      ["node-2", 4],
    ]);
    expect(state.leftMembers).toEqual([]);
    expect(state.events).toHaveLength(512);
    expect(state.events[1]).toEqual({ lTime: 1, events: [{ name: "ev", payload: enc("x") }] });
  });

  it("merge: witnesses clocks − 1, applies left members with LTime + 1 and joins, delivers events", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.packet(3, [aliveFor("node-3", 3)]);
    const events = new Array(512).fill(null);
    events[9] = { lTime: 9, events: [{ name: "remote", payload: enc("p") }] };
    h.m.handleStreamRequest(
      testAddress(2),
      {
        type: "push-pull",
        join: false,
        nodes: [node("node-2", 2), node("node-3", 3)],
        userState: serfState({
          lTime: 30,
          eventLTime: 20,
          queryLTime: 40,
          statusLTimes: new Map([
            ["node-2", 5],
            ["node-3", 7],
            ["ghost", 9],
          ]),
          leftMembers: ["node-2"],
          events,
        }),
      },
      h.now,
    );
    const ev = h.drain();
    expect(h.m.clocks()).toEqual({ member: 30, event: 20, query: 40 });
    // Left member: a synthetic leave with LTime + 1 (the creeping quirk of Go).
    expect(h.m.member("node-2")?.status).toBe("leaving");
    expect(h.m.memberStatusLTime("node-2")).toBe(6);
    expect(h.m.memberStatusLTime("node-3")).toBe(7);
    // Unknown member: buffered as a recent join intent.
    h.packet(5, [aliveFor("ghost", 5)]);
    expect(h.m.memberStatusLTime("ghost")).toBe(9);
    expect(ev.filter((e) => e.type === "user")).toEqual([
      { type: "user", name: "remote", payload: enc("p"), lTime: 9, coalesce: false },
    ]);
    // Synthetic intents are not rebroadcast.
    expect(h.m.queueDepths().intent).toBe(0);
  });

  it("a node that missed a graceful leave learns 'left' (not failed) from push/pull", () => {
    const c = new SerfSimCluster({
      seed: 71,
      options: { protocolVersion: 5, reconnectIntervalMs: 2_000 },
    });
    c.addNodes(5);
    for (let i = 1; i < 5; i++) c.join(`node-${i}`, ["node-0"]);
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
    c.faults.partition([["node-4"]]);
    c.leave("node-3");
    expect(c.runUntil(() => c.machine("node-3").state === "left", 10_000)).toBeDefined();
    c.stop("node-3");
    c.runFor(20_000);
    expect(c.statusOf("node-0", "node-3")).toBe("left");
    expect(c.statusOf("node-4", "node-3")).not.toBe("left");
    c.faults.heal();
    expect(c.runUntil(() => c.statusOf("node-4", "node-3") === "left", 120_000)).toBeDefined();
    expect(c.runUntil(() => c.converged(), 60_000)).toBeDefined();
    // Everyone agrees on left; node-4 never saw a graceful member-leave before the heal.
    expect(c.allSee("node-3", "left")).toBe(true);
  });
});
