/**
 * Typed serf 0.9.4 messages. Field names are Go's in camelCase. Go `uint64` Lamport times are
 * `number` (decoding rejects values beyond 2^53); Go `[]byte` fields are `Uint8Array`, or
 * `null` where Go distinguishes a nil slice (`c0`) from an empty one (`a0`).
 */

import type { MemberFields } from "./member.ts";

/**
 * Serf message type numbers: the first byte of every serf payload (after memberlist's user
 * message byte `08`). These numbers ARE the protocol: append only, never renumber.
 */
export const SerfMessageType = {
  LEAVE: 0,
  JOIN: 1,
  /** Only as memberlist push/pull user state. */
  PUSH_PULL: 2,
  USER_EVENT: 3,
  QUERY: 4,
  QUERY_RESPONSE: 5,
  /** Only inside a `_serf_conflict` query response payload. */
  CONFLICT_RESPONSE: 6,
  /** Only inside a key-management query payload. */
  KEY_REQUEST: 7,
  /** Only inside a key-management query response payload. */
  KEY_RESPONSE: 8,
  RELAY: 9,
} as const;
export type SerfMessageType = (typeof SerfMessageType)[keyof typeof SerfMessageType];

/** Bits of `QueryMessage.flags`. */
export const QueryFlag = {
  /** The originator wants an ack from every node that processes the query. */
  ACK: 1,
  /** Receivers must not re-gossip the query. */
  NO_BROADCAST: 2,
} as const;
export type QueryFlag = (typeof QueryFlag)[keyof typeof QueryFlag];

/** Bits of `QueryResponseMessage.flags`. */
export const QueryResponseFlag = {
  /** The response is an ack (no payload), not a handler response. */
  ACK: 1,
} as const;
export type QueryResponseFlag = (typeof QueryResponseFlag)[keyof typeof QueryResponseFlag];

/** Filter type numbers: the first byte of each element of `QueryMessage.filters`. */
export const FilterType = {
  NODE: 0,
  TAG: 1,
} as const;
export type FilterType = (typeof FilterType)[keyof typeof FilterType];

export { MemberStatusCode } from "./member.ts";

/** Leave intent (type 0): `LTime`, `Node`, `Prune`. */
export interface LeaveMessage {
  readonly type: "leave";
  /** Member clock. */
  readonly lTime: number;
  readonly node: string;
  /** Erase the member after it left (`force-leave -prune`). */
  readonly prune: boolean;
}

/** Join intent (type 1): `LTime`, `Node`. */
export interface JoinMessage {
  readonly type: "join";
  /** Member clock. */
  readonly lTime: number;
  readonly node: string;
}

/** One user event inside a push/pull event slot (`userEvent`: `Name`, `Payload`). */
export interface UserEventEntry {
  readonly name: string;
  /** `null` = nil (`c0`). */
  readonly payload: Uint8Array | null;
}

/** One slot of the user event ring buffer (`userEvents`: `Events`, `LTime`). */
export interface UserEventCollection {
  readonly lTime: number;
  readonly events: readonly UserEventEntry[];
}

/** Push/pull user state (type 2): the sender's clocks, member status times and event buffer. */
export interface PushPullState {
  readonly type: "push-pull";
  /** Sender's member clock. */
  readonly lTime: number;
  /** Every known member → its status LTime. Encoded in the Map's iteration order. */
  readonly statusLTimes: ReadonlyMap<string, number>;
  /** Names of members in state left. */
  readonly leftMembers: readonly string[];
  /** Sender's event clock. */
  readonly eventLTime: number;
  /** The whole event ring buffer (Go: 512 slots), `null` for unused slots. */
  readonly events: readonly (UserEventCollection | null)[];
  /** Sender's query clock. */
  readonly queryLTime: number;
}

/** User event (type 3): `CC`, `LTime`, `Name`, `Payload`. */
export interface UserEventMessage {
  readonly type: "user-event";
  /** Event clock. */
  readonly lTime: number;
  readonly name: string;
  /** `null` = nil (`c0`, what Go sends for an empty payload). */
  readonly payload: Uint8Array | null;
  /** Can coalesce. */
  readonly cc: boolean;
}

/**
 * Query (type 4). `filters` holds each filter as its raw bytes (type byte + msgpack, see
 * `encodeFilter`/`decodeFilter`): an undecodable filter does not make the query undecodable
 * (Go still rebroadcasts it but does not process it).
 */
export interface QueryMessage {
  readonly type: "query";
  /** Query clock. */
  readonly lTime: number;
  /** Random uint32 query ID. */
  readonly id: number;
  /** Originator's advertise IP (4 or 16 bytes); responses go to `addr:port`. */
  readonly addr: Uint8Array;
  /** uint16. */
  readonly port: number;
  /** Originator's node name. */
  readonly sourceNode: string;
  /** `null` = nil (`c0`, no filters). */
  readonly filters: readonly Uint8Array[] | null;
  /** uint32 bit set of `QueryFlag`. */
  readonly flags: number;
  /** uint8: extra relayed copies of every ack/response. */
  readonly relayFactor: number;
  /** Go `time.Duration` (int64 nanoseconds). */
  readonly timeoutNs: number;
  readonly name: string;
  /** `null` = nil (`c0`). */
  readonly payload: Uint8Array | null;
}

/** A node filter: passes if the local node name is in `nodes`. */
export interface NodeFilter {
  readonly type: "node";
  readonly nodes: readonly string[];
}

/** A tag filter: passes if RE2 `expr` (unanchored) matches the local value of tag `tag`. */
export interface TagFilter {
  readonly type: "tag";
  readonly tag: string;
  readonly expr: string;
}

export type QueryFilter = NodeFilter | TagFilter;

/** Query ack or response (type 5): `Flags`, `From`, `ID`, `LTime`, `Payload`. */
export interface QueryResponseMessage {
  readonly type: "query-response";
  /** LTime of the query. */
  readonly lTime: number;
  /** ID of the query (uint32). */
  readonly id: number;
  /** Responder's node name. */
  readonly from: string;
  /** uint32 bit set of `QueryResponseFlag`. */
  readonly flags: number;
  /** `null` = nil (`c0`, acks). */
  readonly payload: Uint8Array | null;
}

/**
 * A serf `Member` as carried in conflict responses: tags encoded in the Map's iteration order
 * (Go's is random), status a `MemberStatusCode` (Go `int`).
 */
export type SerfMember = MemberFields<ReadonlyMap<string, string>, number>;

/**
 * Conflict response (type 6, payload of a `_serf_conflict` response): the responder's view
 * of the node, or `null` (msgpack nil) when it does not know it.
 */
export interface ConflictResponseMessage {
  readonly type: "conflict-response";
  readonly member: SerfMember | null;
}

/** Key request (type 7, payload of the key-management queries): `Key`. */
export interface KeyRequestMessage {
  readonly type: "key-request";
  /** Raw key (16/24/32 bytes); empty for `_serf_list-keys`. */
  readonly key: Uint8Array;
}

/** Key response (type 8, payload of key-management responses). */
export interface KeyResponseMessage {
  readonly type: "key-response";
  readonly result: boolean;
  readonly message: string;
  /** Base64 (std, padded) keys, primary first; `null` = nil (`c0`). */
  readonly keys: readonly string[] | null;
  /** Base64 primary key, `""` unless listing. */
  readonly primaryKey: string;
}

/** `relayHeader.DestAddr`: a Go `net.UDPAddr`. */
export interface RelayDestAddr {
  /** 4 or 16 bytes. */
  readonly ip: Uint8Array;
  /** Go `int`, 0..65535 here. */
  readonly port: number;
  /** IPv6 zone, usually `""`. */
  readonly zone: string;
}

/**
 * Relay (type 9): `relayHeader` followed by a complete inner serf message (type byte + body),
 * kept as raw bytes because the relaying node forwards them unchanged (as `08` + bytes).
 */
export interface RelayMessage {
  readonly type: "relay";
  readonly destAddr: RelayDestAddr;
  readonly destName: string;
  /** The inner serf message, type byte included (Go relays query responses: `05 …`). */
  readonly message: Uint8Array;
}

export type SerfMessage =
  | LeaveMessage
  | JoinMessage
  | PushPullState
  | UserEventMessage
  | QueryMessage
  | QueryResponseMessage
  | ConflictResponseMessage
  | KeyRequestMessage
  | KeyResponseMessage
  | RelayMessage;
