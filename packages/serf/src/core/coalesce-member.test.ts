import { describe, expect, it } from "vitest";
import { CoalesceStage } from "./coalesce.ts";
import { type MemberEvent, MemberEventCoalescer, MemberEventType } from "./coalesce-member.ts";

interface M {
  readonly name: string;
  readonly role?: string;
}
const me = (type: MemberEventType, ...members: M[]): MemberEvent<M> => ({ type, members });

describe("MemberEventCoalescer (§6.4)", () => {
  it("keeps the latest event per member and groups by type (Go TestMemberEventCoalesce_Basic)", () => {
    const c = new MemberEventCoalescer<M>();
    const stage = new CoalesceStage(c, { coalescePeriodMs: 5, quiescentPeriodMs: 5 });
    const send = [
      me(MemberEventType.JOIN, { name: "foo" }),
      me(MemberEventType.LEAVE, { name: "foo" }),
      me(MemberEventType.LEAVE, { name: "bar" }),
      me(MemberEventType.UPDATE, { name: "zip", role: "foo" }),
      me(MemberEventType.UPDATE, { name: "zip", role: "bar" }),
      me(MemberEventType.REAP, { name: "dead" }),
    ];
    for (const e of send) expect(stage.handle(e, 0)).toEqual([]);
    const out = stage.handleTimeout(5);
    expect(out).toEqual([
      me(MemberEventType.LEAVE, { name: "foo" }, { name: "bar" }),
      me(MemberEventType.UPDATE, { name: "zip", role: "bar" }),
      me(MemberEventType.REAP, { name: "dead" }),
    ]);
  });

  it("suppresses a repeat of the last delivered type, but never updates (Go TagUpdate)", () => {
    const c = new MemberEventCoalescer<M>();
    c.coalesce(me(MemberEventType.UPDATE, { name: "foo", role: "a" }));
    expect(c.flush()).toEqual([me(MemberEventType.UPDATE, { name: "foo", role: "a" })]);
    c.coalesce(me(MemberEventType.UPDATE, { name: "foo", role: "b" }));
    expect(c.flush()).toEqual([me(MemberEventType.UPDATE, { name: "foo", role: "b" })]);

    c.coalesce(me(MemberEventType.JOIN, { name: "bar" }));
    expect(c.flush()).toEqual([me(MemberEventType.JOIN, { name: "bar" })]);
    c.coalesce(me(MemberEventType.JOIN, { name: "bar" }));
    expect(c.flush()).toEqual([]);
    c.coalesce(me(MemberEventType.FAILED, { name: "bar" }));
    expect(c.flush()).toEqual([me(MemberEventType.FAILED, { name: "bar" })]);
    c.coalesce(me(MemberEventType.JOIN, { name: "bar" }));
    expect(c.flush()).toEqual([me(MemberEventType.JOIN, { name: "bar" })]);
  });

  it("does not re-deliver an old update at a later flush (Go 0.9.4 would)", () => {
    const c = new MemberEventCoalescer<M>();
    c.coalesce(me(MemberEventType.UPDATE, { name: "foo" }));
    c.flush();
    c.coalesce(me(MemberEventType.JOIN, { name: "other" }));
    expect(c.flush()).toEqual([me(MemberEventType.JOIN, { name: "other" })]);
  });

  it("forget() lets the same type through again", () => {
    const c = new MemberEventCoalescer<M>();
    c.coalesce(me(MemberEventType.JOIN, { name: "a" }));
    c.flush();
    c.forget("a");
    c.coalesce(me(MemberEventType.JOIN, { name: "a" }));
    expect(c.flush()).toEqual([me(MemberEventType.JOIN, { name: "a" })]);
  });

  it("handles only member events; user/query events pass through the stage", () => {
    const stage = new CoalesceStage(new MemberEventCoalescer<M>(), {
      coalescePeriodMs: 5,
      quiescentPeriodMs: 5,
    });
    const user = { type: "user", name: "deploy", lTime: 1, coalesce: true };
    expect(stage.handle(user, 0)).toEqual([user]);
    expect(new MemberEventCoalescer<M>().handles({ type: "query" })).toBe(false);
  });
});
