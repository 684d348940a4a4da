/**
 * Typed agent RPC messages (serf 0.9.4 "IPC"). Field names are Go's in camelCase (`LTime` is
 * `lTime`, `ID` is `id`); the mapping to Go's names lives only in the codecs (`headers.ts`,
 * `bodies.ts`, `records.ts`). Go `[]byte` fields are `Uint8Array`, or `null` for a nil slice;
 * Go `map[string]…` fields are `ReadonlyMap`s whose iteration order is the wire order (decoders
 * keep the order the peer wrote; encoders write the map's order). Go uint64 values (Seq, LTime,
 * query IDs) must stay within 2^53. Durations are milliseconds (the wire uses nanoseconds).
 */

import type { MemberEventType, MemberFields, UserEventFields } from "../serf/member.ts";

/** A Go `map[string]string` (tags, tag filters, stats sections), in wire order. */
export type StringMap = ReadonlyMap<string, string>;

// ---------------------------------------------------------------------------------------------
// Headers

/** Sent before every request body. `command` is a string: unknown commands exist on the wire. */
export interface RequestHeader {
  readonly command: string;
  /** Chosen by the client, echoed in every header that belongs to the request. */
  readonly seq: number;
}

/** Sent before every response body and every stream record. */
export interface ResponseHeader {
  /** `""` on success, else one of the strings of `error-strings.ts` or a command's error. */
  readonly error: string;
  readonly seq: number;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** `handshake`. Only version 1 exists. */
export interface HandshakeRequest {
  readonly version: number;
}

/** `auth`. */
export interface AuthRequest {
  readonly authKey: string;
}

/** `event`: broadcast a user event. */
export interface EventRequest {
  readonly name: string;
  readonly payload: Uint8Array | null;
  readonly coalesce: boolean;
}

/** `force-leave`. */
export interface ForceLeaveRequest {
  readonly node: string;
  /** Also erase the node (a `member-reap` follows). */
  readonly prune: boolean;
}

/** `join`. */
export interface JoinRequest {
  /** `host` or `host:port` (default port 7946). */
  readonly existing: readonly string[];
  /** `false` ignores user events older than the join. */
  readonly replay: boolean;
}

/** `members-filtered`: each non-empty value is an RE2 regexp, wrapped as `^…$`. */
export interface MembersFilteredRequest {
  readonly tags: StringMap;
  readonly status: string;
  readonly name: string;
}

/** `tags`: new tags = current − deleteTags, overlaid with tags. */
export interface TagsRequest {
  readonly tags: StringMap;
  readonly deleteTags: readonly string[];
}

/** `stream`: comma-separated event filter (`""` = `*`). */
export interface StreamRequest {
  readonly type: string;
}

/** `monitor`: `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERR`, any case. */
export interface MonitorRequest {
  readonly logLevel: string;
}

/** `stop`: the Seq of a stream or monitor of this connection. */
export interface StopRequest {
  readonly stop: number;
}

/** `query`. */
export interface QueryRequest {
  readonly filterNodes: readonly string[];
  /** Tag name → RE2 regexp. */
  readonly filterTags: StringMap;
  readonly requestAck: boolean;
  /** uint8. */
  readonly relayFactor: number;
  /**
   * Milliseconds (fractions allowed: the wire holds Go int64 nanoseconds, written as
   * `Math.round(timeoutMs * 1e6)`); 0 = the agent's default.
   */
  readonly timeoutMs: number;
  readonly name: string;
  readonly payload: Uint8Array | null;
}

/** `respond`: answer a query delivered on this connection's stream. */
export interface RespondRequest {
  readonly id: number;
  readonly payload: Uint8Array | null;
}

/** `install-key`, `use-key`, `remove-key`: a base64 key. */
export interface KeyRequest {
  readonly key: string;
}

/** `get-coordinate`. */
export interface GetCoordinateRequest {
  readonly node: string;
}

// ---------------------------------------------------------------------------------------------
// Response bodies

/** `join` response (always sent, also with an error). */
export interface JoinResponse {
  /** Nodes successfully contacted (int32). */
  readonly num: number;
}

/**
 * A cluster member as the agent reports it: tags in wire order, status `alive`, `leaving`,
 * `left`, `failed` (or `none`; see `MemberStatus`).
 */
export type Member = MemberFields<StringMap, string>;

/** Member status strings (the one definition is in `@serf-ts/wire`). */
export { MemberStatus } from "../serf/member.ts";

/** `members` / `members-filtered` response. */
export interface MembersResponse {
  readonly members: readonly Member[];
}

/** `install-key` / `use-key` / `remove-key` / `list-keys` response (always sent). */
export interface KeyResponse {
  /** list-keys: base64 key → nodes holding it. Other key commands: `null` (Go nil map). */
  readonly keys: ReadonlyMap<string, number> | null;
  /** Node name → error or warning text. */
  readonly messages: StringMap;
  readonly numErr: number;
  readonly numNodes: number;
  readonly numResp: number;
}

/** `stats` response: section → key → value, all strings. */
export type StatsResponse = ReadonlyMap<string, StringMap>;

/** A Vivaldi network coordinate (seconds). */
export interface RpcCoordinate {
  /** `null` for the zero coordinate (Go nil slice); 8 entries otherwise. */
  readonly vec: readonly number[] | null;
  readonly error: number;
  readonly adjustment: number;
  readonly height: number;
}

/** `get-coordinate` response; `ok` false (and a zero coordinate) for an unknown node. */
export interface CoordinateResponse {
  readonly coord: RpcCoordinate;
  readonly ok: boolean;
}

// ---------------------------------------------------------------------------------------------
// Stream records

/** Member event names of `stream` records (the one definition is in `@serf-ts/wire`). */
export { MemberEventType } from "../serf/member.ts";

/** `stream` record of a (coalesced) member event. */
export interface MemberEventRecord {
  readonly event: MemberEventType;
  readonly members: readonly Member[];
}

/** `stream` record of a user event. */
export interface UserEventRecord extends UserEventFields<Uint8Array | null> {
  readonly event: "user";
}

/** `stream` record of a query; answer it with `respond` and `id`. */
export interface QueryEventRecord {
  readonly event: "query";
  /** Per-connection counter starting at 1. */
  readonly id: number;
  readonly lTime: number;
  readonly name: string;
  readonly payload: Uint8Array | null;
}

/** A record of a `stream` subscription. */
export type StreamRecord = MemberEventRecord | UserEventRecord | QueryEventRecord;

/** Record types of a `query` response stream. */
export const QueryRecordType = {
  ACK: "ack",
  RESPONSE: "response",
  /** Sent once at the deadline; ends the stream. */
  DONE: "done",
} as const;
export type QueryRecordType = (typeof QueryRecordType)[keyof typeof QueryRecordType];

/** A record of a `query` response stream. */
export interface QueryRecord {
  readonly type: QueryRecordType;
  /** The acking/responding node; `""` for `done`. */
  readonly from: string;
  /** The response; `null` for `ack` and `done`. */
  readonly payload: Uint8Array | null;
}

/** A record of a `monitor` stream: one log line without its final newline. */
export interface LogRecord {
  readonly log: string;
}
