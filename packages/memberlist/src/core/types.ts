/**
 * Public types of the sans-I/O SWIM core: node snapshots, events, transmits and delegates.
 * See `swim-machine.ts` for the contract that ties them together.
 */

import type {
  AckMessage,
  ErrorMessage,
  NodeStateCode,
  PacketMessage,
  PingMessage,
  PushPullMessage,
  StreamMessage,
} from "@serf-ts/wire";
import type { MemberlistLogRecord } from "./log-records.ts";

/** A snapshot of one member as seen by the local node (Go `Node` + incarnation). */
export interface NodeInfo {
  readonly name: string;
  /** Advertised IP, 4 or 16 raw bytes. */
  readonly addr: Uint8Array;
  readonly port: number;
  /** `"ip:port"` (IPv6 as `"[ip]:port"`): where packets and streams for this node go. */
  readonly address: string;
  /** Delegate metadata (serf tags), at most 512 bytes. Do not mutate. */
  readonly meta: Uint8Array;
  /** 0 alive, 1 suspect, 2 dead, 3 left ({@link NodeStateCode}). */
  readonly state: NodeStateCode;
  readonly incarnation: number;
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]` (zeros when the node never sent versions). */
  readonly vsn: Uint8Array;
  /** Time (ms, caller's clock) of the last state change as seen locally. */
  readonly stateChangeMs: number;
}

/** Identity of the local node. */
export interface LocalNodeIdentity {
  /** Cluster-unique node name. */
  readonly name: string;
  /** Advertised IP: 4 raw bytes for IPv4 (preferred), 16 for IPv6. */
  readonly addr: Uint8Array;
  /** Advertised port (UDP and TCP). */
  readonly port: number;
  /** Initial metadata; ignored when `CoreDelegates.nodeMeta` is provided. */
  readonly meta?: Uint8Array | undefined;
}

/** Why the local node refuted. */
export type RefuteReason = "suspect" | "dead" | "alive";

/** Notifications drained with `SwimMachine.pollEvent()`. */
export type MemberlistEvent =
  /** A node became alive (new, or back from dead/left). Also fires for the local node at start. */
  | { readonly type: "join"; readonly node: NodeInfo }
  /** A node was declared dead (`node.state` 2) or left gracefully (`node.state` 3). */
  | { readonly type: "leave"; readonly node: NodeInfo }
  /** A node's metadata changed. */
  | { readonly type: "update"; readonly node: NodeInfo }
  /** A node became suspect (informational; Go has no delegate call for it). */
  | { readonly type: "suspect"; readonly node: NodeInfo; readonly from: string }
  /** An alive message claimed a known name from another address (Go `NotifyConflict`). */
  | { readonly type: "conflict"; readonly existing: NodeInfo; readonly other: NodeInfo }
  /** The local node refuted an accusation with a new incarnation. */
  | {
      readonly type: "refute";
      readonly reason: RefuteReason;
      readonly accusedIncarnation: number;
      readonly incarnation: number;
      readonly from: string | undefined;
    }
  /** The Lifeguard health score changed (0 = healthy). */
  | { readonly type: "health"; readonly score: number }
  /** A push/pull exchange finished (periodic or join). */
  | {
      readonly type: "push-pull";
      readonly exchange: number;
      readonly peer: string;
      readonly join: boolean;
      readonly ok: boolean;
      readonly error: string | undefined;
    }
  /** The leave broadcast was transmitted to its limit (or nobody else is alive). */
  | { readonly type: "leave-complete" }
  /** The latest local alive broadcast (meta update) was transmitted to its limit. */
  | { readonly type: "update-complete"; readonly incarnation: number }
  /** An alive or a push/pull merge was refused by an admission delegate or a sanity rule. */
  | {
      readonly type: "rejected";
      readonly kind: "alive" | "merge";
      readonly node: string | undefined;
      readonly reason: string;
    }
  /** An input was ignored (ping for another node, unexpected stream message, …). */
  | { readonly type: "dropped"; readonly from: string; readonly reason: string }
  /** A probe failed over UDP but the TCP fallback ping reached the node (Go WARN). */
  | { readonly type: "probe-fallback"; readonly node: string }
  /** One of memberlist 0.2.2's log lines (Go's level and wording), for the driver's logger. */
  | MemberlistLogRecord;

/** A UDP datagram to send. */
export interface PacketTransmit {
  readonly kind: "packet";
  /** Destination `"ip:port"`. */
  readonly to: string;
  /** Destination node name when known (node-aware transports, logging). */
  readonly node: string | undefined;
  /**
   * Encoded messages (each starts with its type byte). One part is sent as is; several are
   * wrapped in a compound (never more than 255 parts). The driver then compresses, adds the
   * CRC if `crc`, and encrypts.
   */
  readonly messages: readonly Uint8Array[];
  /** The same messages, typed, in the same order (simulators and logging skip the codec). */
  readonly typed: readonly PacketMessage[];
  /**
   * Wrap in a hasCrc header: set exactly where Go 0.2.2 does (gossip and suspect probes to a
   * node with PMax ≥ 5).
   */
  readonly crc: boolean;
  /**
   * Set on a probe's direct ping: the driver calls the machine's `handlePingSent(pingSeqNo,
   * now)` right before handing it to the network, so the round trip is timed from the send
   * (Go stamps it just before the syscall), not from when the probe was planned.
   */
  readonly pingSeqNo?: number;
}

/** A stream (TCP) exchange to run: dial `to`, write `message`, read one reply. */
export interface StreamTransmit {
  readonly kind: "stream";
  readonly to: string;
  readonly node: string | undefined;
  /** Id to report the outcome with `handleStreamReply`. */
  readonly exchange: number;
  /** `push-pull` (periodic or join) or `ping` (TCP fallback probe). */
  readonly message: PingMessage | PushPullMessage;
  /**
   * Bound for the whole exchange, relative to the `now` of the call that produced it. The core
   * itself gives up at the same moment and ignores later replies.
   */
  readonly timeoutMs: number;
}

export type Transmit = PacketTransmit | StreamTransmit;

/** The reply a stream exchange produced. */
export type StreamReply = StreamMessage;

/** A stream exchange that failed (dial error, timeout, connection closed, decode error). */
export interface StreamFailure {
  readonly error: string;
  /**
   * True when the connection was established before the failure (write, read, decode or a
   * timeout after the dial). Go logs a failed TCP fallback ping only then.
   */
  readonly connected?: boolean;
}

/** Outcome of a stream exchange as judged by the core. */
export interface ExchangeOutcome {
  readonly exchange: number;
  readonly kind: "push-pull" | "ping";
  readonly ok: boolean;
  readonly error: string | undefined;
}

/**
 * Hooks the upper layer (serf) plugs in. All are optional, called synchronously from inside
 * `handle*` / `join` / `leave` / `updateMeta`, and must be pure: no I/O, no clock, no re-entry
 * into the machine. Anything asynchronous goes through events.
 */
export interface CoreDelegates {
  /** Metadata for the local node, at most `limit` (512) bytes (Go `Delegate.NodeMeta`). */
  nodeMeta?(limit: number): Uint8Array;
  /** A user message (type 8) arrived by packet or stream (Go `NotifyMsg`). */
  notifyUserMessage?(payload: Uint8Array): void;
  /**
   * Delegate broadcasts to piggy-back: raw payloads (without the `08` user type byte) whose
   * total size, counting `overhead` bytes per message, is at most `limit` (Go `GetBroadcasts`).
   */
  getBroadcasts?(overhead: number, limit: number): readonly Uint8Array[];
  /**
   * Whether `getBroadcasts` may return anything now. With it, the gossip timer sleeps while
   * neither queue holds a broadcast (Go's ticker sends nothing then either); call
   * `SwimMachine.wakeGossip` when the delegate queues one. Without it, the timer never sleeps
   * while `getBroadcasts` is set.
   */
  hasBroadcasts?(): boolean;
  /** Delegate state for a push/pull (Go `LocalState`). */
  localState?(join: boolean): Uint8Array;
  /** Delegate state received in a push/pull (Go `MergeRemoteState`); only if non-empty. */
  mergeRemoteState?(state: Uint8Array, join: boolean): void;
  /** Payload for acks we send (Go `PingDelegate.AckPayload`; serf: its Vivaldi coordinate). */
  ackPayload?(): Uint8Array;
  /** A direct probe was acked after `rttMs` (Go `NotifyPingComplete`). */
  notifyPingComplete?(node: NodeInfo, rttMs: number, payload: Uint8Array | null): void;
  /**
   * Admission filter for alive messages (Go `AliveDelegate.NotifyAlive`): return a reason to
   * ignore the message, `undefined` to accept. Only consulted for alives carrying 6 Vsn bytes.
   */
  notifyAlive?(node: NodeInfo): string | undefined;
  /**
   * Admission filter for join push/pulls (Go `MergeDelegate.NotifyMerge`): return a reason to
   * reject the whole remote state, `undefined` to accept.
   */
  notifyMerge?(nodes: readonly NodeInfo[]): string | undefined;
  /** A node name is claimed from two addresses (Go `ConflictDelegate.NotifyConflict`). */
  notifyConflict?(existing: NodeInfo, other: NodeInfo): void;
}

/** Stream messages the core may answer (re-exported for driver convenience). */
export type StreamRequest = StreamMessage;
export type { AckMessage, ErrorMessage };
