import { describe, expect, it } from "vitest";
import {
  MEMBER_EVENT_TYPES,
  MemberEventType,
  MemberStatus,
  MemberStatusCode,
  memberStatusCode,
  memberStatusFromCode,
} from "./member.ts";

describe("MemberStatus", () => {
  it("maps to the wire codes", () => {
    expect(memberStatusCode(MemberStatus.ALIVE)).toBe(MemberStatusCode.ALIVE);
    expect(memberStatusCode(MemberStatus.FAILED)).toBe(MemberStatusCode.FAILED);
    for (const s of Object.values(MemberStatus)) {
      expect(memberStatusFromCode(memberStatusCode(s))).toBe(s);
    }
    expect(memberStatusFromCode(9)).toBeUndefined();
  });
});

describe("member event names", () => {
  it("are Go's EventType strings, in Go's order", () => {
    expect(MEMBER_EVENT_TYPES).toEqual([
      "member-join",
      "member-leave",
      "member-failed",
      "member-update",
      "member-reap",
    ]);
    expect(Object.values(MemberEventType)).toEqual(MEMBER_EVENT_TYPES);
  });
});
