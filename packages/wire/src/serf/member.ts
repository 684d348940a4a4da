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

/**
 * The fields of a member (Go `serf.Member`), shared by its three representations, which differ
 * only in how tags and status are held: the serf library's `Member` (tags as a record, status
 * name), the RPC schema's `Member` (tags as an ordered map, status name) and the `SerfMember` of
 * conflict responses (ordered map, `MemberStatusCode`).
 */
export interface MemberFields<Tags, Status> {
  readonly name: string;
  /** Advertised IP, 4 (IPv4) or 16 raw bytes. */
  readonly addr: Uint8Array;
  /** uint16. */
  readonly port: number;
  readonly tags: Tags;
  readonly status: Status;
  /** memberlist protocol range and current version (`PMin`, `PMax`, `PCur`; uint8). */
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly protocolCur: number;
  /** serf protocol range and current version (`DMin`, `DMax`, `DCur`; uint8). */
  readonly delegateMin: number;
  readonly delegateMax: number;
  readonly delegateCur: number;
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

/**
 * The fields of a delivered user event, shared by the serf library's event (`payload` empty
 * when none was sent), the agent's RPC backend event and the RPC `stream` record (`payload`
 * `null` for none, as Go's nil slice). The gossip message (`UserEventMessage`, with Go's `cc`)
 * and the handler scripts' input are the other two stages a user event passes through.
 */
export interface UserEventFields<Payload extends Uint8Array | null> {
  readonly name: string;
  readonly payload: Payload;
  /** Lamport time of the event clock. */
  readonly lTime: number;
  /** The sender allowed coalescing (Go `CC`). */
  readonly coalesce: boolean;
}
