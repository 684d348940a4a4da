import { describe, expect, it } from "vitest";
import { CoalesceStage } from "./coalesce.ts";
import { type CoalescibleUserEvent, UserEventCoalescer } from "./coalesce-user.ts";

interface U extends CoalescibleUserEvent {
  readonly payload?: string;
}
const ue = (lTime: number, name: string, coalesce = true, payload?: string): U =>
  payload === undefined
    ? { type: "user", lTime, name, coalesce }
    : { type: "user", lTime, name, coalesce, payload };

describe("UserEventCoalescer (§6.4)", () => {
  it("keeps only the newest LTime per name, all events of it (Go TestUserEventCoalesce_Basic)", () => {
    const stage = new CoalesceStage(new UserEventCoalescer<U>(), {
      coalescePeriodMs: 5,
      quiescentPeriodMs: 5,
    });
    for (const e of [
      ue(1, "foo"),
      ue(2, "foo"),
      ue(2, "bar", true, "test1"),
      ue(2, "bar", true, "test2"),
    ]) {
      expect(stage.handle(e, 0)).toEqual([]);
    }
    expect(stage.handleTimeout(5)).toEqual([
      ue(2, "foo"),
      ue(2, "bar", true, "test1"),
      ue(2, "bar", true, "test2"),
    ]);
  });

  it("ignores an older LTime arriving late", () => {
    const c = new UserEventCoalescer<U>();
    c.coalesce(ue(5, "a"));
    c.coalesce(ue(3, "a"));
    expect(c.flush()).toEqual([ue(5, "a")]);
    expect(c.flush()).toEqual([]);
  });

  it("passes events with CC=false and non-user events through (Go passThrough)", () => {
    const stage = new CoalesceStage(new UserEventCoalescer<U>(), {
      coalescePeriodMs: 5,
      quiescentPeriodMs: 5,
    });
    expect(stage.handle(ue(1, "a", false), 0)).toEqual([ue(1, "a", false)]);
    const member = { type: "member-join", members: [] };
    expect(stage.handle(member, 0)).toEqual([member]);
    expect(stage.nextDeadline()).toBeUndefined();
  });
});
