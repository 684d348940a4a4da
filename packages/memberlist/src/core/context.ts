/**
 * The internal services the SWIM modules (member table, prober, gossip, push/pull) share. The
 * machine implements it; the modules never see transports, clocks or timers directly.
 */

import {
  type AliveMessage,
  type DeadMessage,
  NodeStateCode,
  type PacketMessage,
  type PingMessage,
  type PushPullMessage,
  type SuspectMessage,
} from "@serf-ts/wire";
import type { ResolvedMemberlistOptions } from "../options.ts";
import type { Awareness } from "./awareness.ts";
import type { Deadline } from "./deadlines.ts";
import type { Random } from "./random.ts";
import type { Suspicion } from "./suspicion.ts";
import type { SwimMetrics } from "./swim-metrics.ts";
import type { CoreDelegates, MemberlistEvent, StreamFailure, StreamReply } from "./types.ts";

/** Node state codes as plain module constants (hot paths compare them a lot). */
export const ALIVE: number = NodeStateCode.ALIVE;
export const SUSPECT: number = NodeStateCode.SUSPECT;
export const DEAD: number = NodeStateCode.DEAD;
export const LEFT: number = NodeStateCode.LEFT;

/** One member as stored in the local table (mutable; never handed out). */
export interface MemberRecord {
  readonly name: string;
  addr: Uint8Array;
  port: number;
  /** Cached `"ip:port"` of `addr`/`port`. */
  address: string;
  meta: Uint8Array;
  /** Always 6 bytes. */
  vsn: Uint8Array;
  incarnation: number;
  /** NodeStateCode. */
  state: number;
  stateChange: number;
}

/** A running suspicion and its timer (kept beside the table: few nodes are ever suspect). */
export interface SuspicionState {
  readonly suspicion: Suspicion;
  timer: Deadline<TimerPayload> | undefined;
}

/** What a core timer does when it fires. */
export type TimerPayload =
  | { readonly kind: "probe-tick" }
  | { readonly kind: "gossip-tick" }
  | { readonly kind: "push-pull-arm" }
  | { readonly kind: "push-pull-tick" }
  | { readonly kind: "probe-timeout"; readonly seqNo: number }
  | { readonly kind: "probe-deadline"; readonly seqNo: number }
  | { readonly kind: "relay-timeout"; readonly seqNo: number }
  | { readonly kind: "suspicion"; readonly record: MemberRecord; readonly suspicion: Suspicion }
  | { readonly kind: "exchange-timeout"; readonly exchange: number };

/** A memberlist-owned broadcast about one node. */
export type MemberBroadcastMessage = AliveMessage | SuspectMessage | DeadMessage;

/** Services shared by the core modules. */
export interface CoreContext {
  readonly options: ResolvedMemberlistOptions;
  readonly random: Random;
  readonly delegates: CoreDelegates;
  readonly awareness: Awareness;
  readonly selfName: string;
  /** Metrics (Go memberlist's `metrics.*` calls). */
  readonly metrics: SwimMetrics;
  /** Time of the input being processed. */
  now(): number;
  emit(event: MemberlistEvent): void;
  /** Adds to the Lifeguard health score (emits a `health` event when it changes). */
  applyAwarenessDelta(delta: number): void;
  /** Next ping sequence number (uint32, wraps). */
  nextSeqNo(): number;
  /** Queues a gossip broadcast keyed by `msg.node`; `finished` runs when it leaves the queue. */
  broadcast(msg: MemberBroadcastMessage, finished?: () => void): void;
  /**
   * Sends one message through Go's `sendMsg` path: piggy-backs queued broadcasts, no CRC.
   */
  sendMessage(to: string, node: string | undefined, msg: PacketMessage, pingSeqNo?: number): void;
  /** Sends messages as they are (compound if several), no piggy-backing (Go `rawSendMsgPacket`). */
  sendRaw(
    to: string,
    node: string | undefined,
    msgs: readonly PacketMessage[],
    crc: boolean,
    pingSeqNo?: number,
  ): void;
  /** Requests a stream exchange; the reply comes back through `onReply` (or a timeout failure). */
  openStream(
    to: string,
    node: string | undefined,
    message: PingMessage | PushPullMessage,
    timeoutMs: number,
    onReply: (reply: StreamReply | StreamFailure) => { ok: boolean; error: string | undefined },
  ): number;
  schedule(at: number, payload: TimerPayload): Deadline<TimerPayload>;
  cancel(deadline: Deadline<TimerPayload> | undefined): void;
}
