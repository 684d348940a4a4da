/**
 * The internal services the serf modules (queries, membership operations, message intake)
 * share. {@link SerfMachine} implements it; the modules never see the SWIM machine, the
 * timer queue or the snapshot sink directly, as memberlist's `CoreContext` does for its
 * prober and push/pull.
 */

import type { Deadline, TransmitLimitedQueue } from "@serf-ts/memberlist/core";
import type { Coordinate, SerfMessage, SerfMessageType, UserEventMessage } from "@serf-ts/wire";
import type { VivaldiClient } from "./coordinate/client.ts";
import type { Member, SerfEvent } from "./events.ts";
import type { ResolvedSerfOptions } from "../options.ts";
import type { QueryBuffer, UserEventBuffer } from "./event-buffer.ts";
import type { KeyringPort } from "./internal-queries.ts";
import type { LamportClock } from "./lamport.ts";
import type { Random } from "./random.ts";
import type { SerfMachineLogger, SerfState } from "./serf-machine-types.ts";
import type { SerfMemberTable } from "./serf-members.ts";
import type { SerfMetrics } from "./serf-metrics.ts";

/** A serf-owned gossip broadcast (intent, event or query). */
export interface SerfBroadcast {
  readonly message: Uint8Array;
  finished?(): void;
}

/** What a serf timer does when it fires (dispatched by `SerfMachine.fire`). */
export type SerfTimer =
  | { readonly kind: "reap" }
  | { readonly kind: "reconnect" }
  | { readonly kind: "queue-check" }
  | { readonly kind: "snapshot-clock" }
  | { readonly kind: "query-deadline"; readonly lTime: number; readonly id: number }
  | { readonly kind: "respond-expire"; readonly handle: number }
  | { readonly kind: "leave-timeout"; readonly phase: LeavePhase }
  | { readonly kind: "leave-propagated" }
  | { readonly kind: "prune"; readonly name: string }
  | { readonly kind: "force-leave-timeout"; readonly op: number }
  | { readonly kind: "tags-timeout"; readonly op: number };

/** Where the graceful leave (serf.md §5.6) stands. */
export type LeavePhase = "idle" | "intent" | "memberlist" | "propagate" | "done" | "failed";

export const EMPTY = new Uint8Array(0);

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Services shared by the serf modules. */
export interface SerfContext {
  readonly options: ResolvedSerfOptions;
  /** The local node name, advertised address and port. */
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly random: Random;
  readonly keyring: KeyringPort | undefined;
  readonly log: SerfMachineLogger;
  /** Serf's metrics (Go's names). */
  readonly metrics: SerfMetrics;
  readonly table: SerfMemberTable;
  readonly queryClock: LamportClock;
  readonly queryBuffer: QueryBuffer;
  readonly queryQueue: TransmitLimitedQueue<SerfBroadcast>;
  /** Time of the input being processed. */
  now(): number;
  /** The current local tags. */
  tags(): ReadonlyMap<string, string>;
  emit(event: SerfEvent): void;
  /** Sends a serf message as a memberlist user packet (deferred inside SwimMachine calls). */
  sendTo(to: string, payload: Uint8Array, node: string | undefined): void;
  schedule(at: number, timer: SerfTimer): Deadline<SerfTimer>;
  /** Live members as memberlist counts them. */
  numMembers(): number;
  /** Go `DefaultQueryTimeout`. */
  defaultQueryTimeoutMs(): number;
  isShut(): boolean;
  shutdownWith(reason: "requested" | "name-conflict", now: number | undefined): void;
  /** Go `Snapshotter`'s query-clock record (for every query processed, internal ones too). */
  snapshotQueryClock(lTime: number): void;

  // Membership operations (join, leave, reconnect, reap)
  /** The member (intent) Lamport clock. */
  readonly clock: LamportClock;
  state(): SerfState;
  setState(state: SerfState): void;
  /** Next operation id (joins, force-leaves, tag updates and key operations share it). */
  nextOp(): number;
  /** memberlist `Join` (one push/pull per address). @returns the exchange ids. */
  swimJoin(addresses: readonly string[], now: number): number[];
  /** memberlist `Leave`. */
  swimLeave(now: number): void;
  isLeaveComplete(): boolean;
  /** Whether memberlist's broadcast of our new meta is out. */
  isUpdateComplete(): boolean;
  /** Runs `fn` now, or after the current SwimMachine call returns. */
  defer(fn: () => void): void;
  /** Queues an intent broadcast; `finished` runs when it leaves the queue. */
  queueIntent(msg: SerfMessage, finished?: () => void): void;
  /** Witness + Go `handleNodeLeaveIntent`. @returns whether to rebroadcast. */
  handleLeaveIntent(msg: { lTime: number; node: string; prune: boolean }): boolean;
  /** Go `broadcastJoin`. */
  broadcastJoin(lTime: number): void;
  /** Go `Snapshotter.Leave`. */
  snapshotLeave(): void;
  cancel(timer: Deadline<SerfTimer> | undefined): void;

  // Messages in and out (the memberlist delegates)
  /** Go `messageDropper` test seam. */
  dropper(type: SerfMessageType): boolean;
  /** Go `Config.Merge`, if any. */
  readonly merge: ((members: readonly Member[]) => string | undefined) | undefined;
  /** `undefined` when coordinates are disabled. */
  readonly vivaldi: VivaldiClient | undefined;
  /** Last coordinate seen per node (the local one included). */
  readonly coordCache: Map<string, Coordinate>;
  readonly eventClock: LamportClock;
  readonly eventBuffer: UserEventBuffer;
  readonly intentQueue: TransmitLimitedQueue<SerfBroadcast>;
  readonly eventQueue: TransmitLimitedQueue<SerfBroadcast>;
  /** Drains memberlist notifications (member changes apply at once). */
  syncSwimEvents(): void;
  /** The local tags as node meta. */
  encodeLocalTags(): Uint8Array;
  /** Go `handleUserEvent`. @returns whether to rebroadcast. */
  handleUserEvent(msg: UserEventMessage): boolean;
}
