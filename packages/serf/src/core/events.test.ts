import { describe, expect, it } from "vitest";
import {
  createCoalescePipeline,
  isSerfMemberEvent,
  type Member,
  type SerfEvent,
} from "./events.ts";

/** The windows Go's agent uses: 3 s / 1 s for member and user events. */
const WINDOWS_3S_1S = {
  coalescePeriodMs: 3000,
  quiescentPeriodMs: 1000,
  userCoalescePeriodMs: 3000,
  userQuiescentPeriodMs: 1000,
};

function member(name: string): Member {
  return {
    name,
    addr: Uint8Array.of(10, 0, 0, 1),
    port: 7946,
    tags: {},
    status: "alive",
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 5,
  };
}

describe("createCoalescePipeline", () => {
  it("is absent unless both windows are set", () => {
    expect(
      createCoalescePipeline({
        coalescePeriodMs: 0,
        quiescentPeriodMs: 1000,
        userCoalescePeriodMs: 3000,
        userQuiescentPeriodMs: 0,
      }),
    ).toBeUndefined();
  });

  it("agent windows: member events grouped per type, user events by name (newest LTime)", () => {
    const p = createCoalescePipeline(WINDOWS_3S_1S);
    expect(p).toBeDefined();
    if (p === undefined) return;
    const out: SerfEvent[] = [];
    const feed = (e: SerfEvent, now: number) => out.push(...p.handle(e, now));
    feed({ type: "member-join", members: [member("a")] }, 0);
    feed({ type: "member-join", members: [member("b")] }, 100);
    feed(
      { type: "user", name: "deploy", payload: new Uint8Array(), lTime: 1, coalesce: true },
      100,
    );
    feed(
      { type: "user", name: "deploy", payload: new Uint8Array(), lTime: 2, coalesce: true },
      200,
    );
    feed({ type: "user", name: "now", payload: new Uint8Array(), lTime: 3, coalesce: false }, 200);
    feed({ type: "leave-finished", ok: true, error: undefined }, 200);
    expect(out.map((e) => e.type)).toEqual(["user", "leave-finished"]);
    expect(p.nextDeadline()).toBe(1100);
    out.push(...p.handleTimeout(1200));
    const memberEvents = out.filter(isSerfMemberEvent);
    expect(memberEvents).toHaveLength(1);
    expect(memberEvents[0]?.members.map((m) => m.name)).toEqual(["a", "b"]);
    const users = out.filter((e) => e.type === "user");
    expect(users.map((e) => (e.type === "user" ? e.lTime : 0))).toEqual([3, 2]);
  });
});
