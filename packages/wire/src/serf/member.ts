/**
 * The member vocabulary of serf, defined once for every package: a member's status (Go
 * `MemberStatus`: `String()` names for people and RPC, numbers on the wire) and the member
 * event names (Go `EventType.String()`), used by the serf machine, its coalescers, the agent's
 * handlers and filters, and the RPC and HTTP schemas.
 */

/** Serf member status as numbered on the wire (inside conflict responses). */
export const MemberStatusCode = {
  NONE: 0,
  ALIVE: 1,
  LEAVING: 2,
  LEFT: 3,
  FAILED: 4,
} as const;
export type MemberStatusCode = (typeof MemberStatusCode)[keyof typeof MemberStatusCode];

/**
 * Serf member status (Go `MemberStatus`). The strings are Go's `String()` values, which the
 * agent shows (`serf members`) and puts in RPC replies; the numbers are `MemberStatusCode`.
 */
export const MemberStatus = {
  NONE: "none",
  ALIVE: "alive",
  LEAVING: "leaving",
  LEFT: "left",
  FAILED: "failed",
} as const;
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

const CODES: Readonly<Record<MemberStatus, MemberStatusCode>> = {
  none: MemberStatusCode.NONE,
  alive: MemberStatusCode.ALIVE,
  leaving: MemberStatusCode.LEAVING,
  left: MemberStatusCode.LEFT,
  failed: MemberStatusCode.FAILED,
};
const BY_CODE: readonly MemberStatus[] = ["none", "alive", "leaving", "left", "failed"];

/** Wire code of a status (0 none … 4 failed). */
export function memberStatusCode(status: MemberStatus): number {
  return CODES[status];
}

/** Status of a wire code; Go prints unknown codes as `unknown`, here they are `undefined`. */
export function memberStatusFromCode(code: number): MemberStatus | undefined {
  return BY_CODE[code];
}

/** Member event names (Go `EventType.String()`), as handlers, filters and streams name them. */
export const MemberEventType = {
  JOIN: "member-join",
  LEAVE: "member-leave",
  FAILED: "member-failed",
  UPDATE: "member-update",
  REAP: "member-reap",
} as const;
export type MemberEventType = (typeof MemberEventType)[keyof typeof MemberEventType];

/** The member event names in Go's order. */
export const MEMBER_EVENT_TYPES = [
  MemberEventType.JOIN,
  MemberEventType.LEAVE,
  MemberEventType.FAILED,
  MemberEventType.UPDATE,
  MemberEventType.REAP,
] as const;
