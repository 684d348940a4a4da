/**
 * Typed memberlist 0.2.2 messages. Field names are Go's in camelCase; IP addresses are raw
 * bytes (4 for IPv4, 16 for IPv6 or IPv4-mapped), ports are uint16, Go `[]byte` fields are
 * `Uint8Array` or `null` for a nil slice.
 */

/**
 * Message type numbers: the first byte of every memberlist message. These numbers ARE the
 * protocol: append only, never renumber.
 */
export const MessageType = {
  PING: 0,
  INDIRECT_PING: 1,
  ACK: 2,
  SUSPECT: 3,
  ALIVE: 4,
  DEAD: 5,
  PUSH_PULL: 6,
  COMPOUND: 7,
  USER: 8,
  COMPRESS: 9,
  ENCRYPT: 10,
  NACK: 11,
  HAS_CRC: 12,
  ERR: 13,
  /** Cluster label header (memberlist >= 0.3 only; unknown to 0.2.2). */
  HAS_LABEL: 244,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Node states as numbered in push/pull (`pushNodeState.State`). */
export const NodeStateCode = {
  ALIVE: 0,
  SUSPECT: 1,
  DEAD: 2,
  LEFT: 3,
} as const;
export type NodeStateCode = (typeof NodeStateCode)[keyof typeof NodeStateCode];

/** Names of the node states, indexed by `NodeStateCode` (Go memberlist's `NodeStateType.String()`). */
export const NODE_STATE_NAMES = ["alive", "suspect", "dead", "left"] as const;
export type NodeStateName = (typeof NODE_STATE_NAMES)[number];

/** `"alive"`, `"suspect"`, `"dead"` or `"left"` for a `NodeStateCode`; `"unknown"` otherwise. */
export function nodeStateName(state: number): NodeStateName | "unknown" {
  return NODE_STATE_NAMES[state] ?? "unknown";
}

/** `[PMin, PMax, PCur, DMin, DMax, DCur]`: memberlist and delegate protocol versions. */
export type VersionBytes = Uint8Array;

/** Direct probe (type 0); also the request of a TCP fallback ping. */
export interface PingMessage {
  readonly type: "ping";
  readonly seqNo: number;
  /** Name of the node being pinged; empty = do not check. */
  readonly node: string;
  /** omitempty: `null`/empty is left out on the wire. */
  readonly sourceAddr: Uint8Array | null;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

/** Request to probe `node` on our behalf (type 1). */
export interface IndirectPingMessage {
  readonly type: "indirect-ping";
  readonly seqNo: number;
  readonly target: Uint8Array;
  readonly port: number;
  readonly node: string;
  readonly nack: boolean;
  readonly sourceAddr: Uint8Array | null;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

/** Ack of a ping (type 2). Serf puts its Vivaldi coordinate in `payload`. */
export interface AckMessage {
  readonly type: "ack";
  readonly seqNo: number;
  readonly payload: Uint8Array | null;
}

/** Negative ack from an indirect-probe intermediary (type 11). */
export interface NackMessage {
  readonly type: "nack";
  readonly seqNo: number;
}

/** Suspicion of `node` (type 3). */
export interface SuspectMessage {
  readonly type: "suspect";
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** Liveness announcement (type 4). */
export interface AliveMessage {
  readonly type: "alive";
  readonly incarnation: number;
  readonly node: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  readonly vsn: VersionBytes;
}

/** Death of `node` (type 5); `from === node` means it left gracefully. */
export interface DeadMessage {
  readonly type: "dead";
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** Delegate (serf) payload (type 8): raw bytes, first byte is the serf message type. */
export interface UserMessage {
  readonly type: "user";
  readonly payload: Uint8Array;
}

/** Error reply on a stream (type 13). */
export interface ErrorMessage {
  readonly type: "error";
  readonly error: string;
}

/** One node of a push/pull state exchange (`pushNodeState`). */
export interface PushNodeState {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  readonly incarnation: number;
  readonly state: NodeStateCode;
  readonly vsn: VersionBytes;
}

/** Push/pull state exchange (type 6, streams only). */
export interface PushPullMessage {
  readonly type: "push-pull";
  readonly join: boolean;
  readonly nodes: readonly PushNodeState[];
  /** Raw delegate state (serf: `02` + msgpack). */
  readonly userState: Uint8Array;
}

/** Messages carried in UDP packets (possibly inside compound/compress). */
export type PacketMessage =
  | PingMessage
  | IndirectPingMessage
  | AckMessage
  | NackMessage
  | SuspectMessage
  | AliveMessage
  | DeadMessage
  | UserMessage;

/** Messages carried on TCP streams (one request, one optional reply). */
export type StreamMessage = PingMessage | AckMessage | PushPullMessage | UserMessage | ErrorMessage;

export type MemberlistMessage = PacketMessage | StreamMessage;
