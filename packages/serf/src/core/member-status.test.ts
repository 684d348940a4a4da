import { MemberStatusCode } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { MemberStatus, memberStatusCode, memberStatusFromCode } from "./member-status.ts";

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
