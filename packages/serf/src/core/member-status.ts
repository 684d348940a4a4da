/**
 * Serf member status (Go `MemberStatus`). The strings are Go's `String()` values, which the
 * agent shows (`serf members`) and puts in RPC replies; the numbers are the wire codes used in
 * conflict responses (`MemberStatusCode` in `@serf-ts/wire`).
 */
export const MemberStatus = {
  NONE: "none",
  ALIVE: "alive",
  LEAVING: "leaving",
  LEFT: "left",
  FAILED: "failed",
} as const;
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

const CODES: Readonly<Record<MemberStatus, number>> = {
  none: 0,
  alive: 1,
  leaving: 2,
  left: 3,
  failed: 4,
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
