/**
 * What a `SerfMachine` reports through `pollEvent()`: the `SerfEvent` union (member events,
 * user events, queries, results of the machine's own operations, diagnostics), the `Member`
 * snapshot, the key manager's `KeyResponse`, and the coalescing pipeline a driver may put
 * between the machine and its user (`createCoalescePipeline`).
 */

import type { MemberlistEvent } from "@serf-ts/memberlist/core";
import { CoalesceStage, chainStages, type EventStage } from "./coalesce.ts";
import { MemberEventCoalescer } from "./coalesce-member.ts";
import { UserEventCoalescer } from "./coalesce-user.ts";
import type { MemberFields, MemberStatus, UserEventFields } from "@serf-ts/wire";
import { MEMBER_EVENT_TYPES, type MemberEventType } from "@serf-ts/wire";

/**
 * One cluster member as the local node sees it (Go `serf.Member`). Immutable snapshot; tags
 * decoded from the node Meta (a legacy Meta reads as `{ role: <meta> }`).
 */
export type Member = MemberFields<Readonly<Record<string, string>>, MemberStatus>;

/** Member event types (Go `EventType` strings; defined once in `@serf-ts/wire`). */
export type SerfMemberEventType = MemberEventType;

/** A membership change (one member per event from the machine; coalescers regroup). */
export interface SerfMemberEvent {
  readonly type: SerfMemberEventType;
  readonly members: readonly Member[];
  /**
   * Set by the machine when an operator forced the change: a failed member force-left
   * (`member-leave`), or a pruned member erased (`member-reap`). Go logs these lines with a
   * `(forced)` suffix and the address. Coalesced events do not carry it.
   */
  readonly forced?: true;
}

/** A user event (Go `UserEvent`). */
export interface SerfUserEvent extends UserEventFields<Uint8Array> {
  readonly type: "user";
}

/**
 * A query delivered to this node (Go `*Query`); answer with `machine.respond(handle, …)`
 * before `deadline`. Internal `_serf_` queries are answered by the machine and never
 * delivered.
 */
export interface SerfQueryEvent {
  readonly type: "query";
  readonly name: string;
  readonly payload: Uint8Array;
  /** Query-clock LTime. */
  readonly lTime: number;
  /** Query ID chosen by the originator. */
  readonly id: number;
  /** Originator's node name. */
  readonly sourceNode: string;
  /** Originator's `"ip:port"` (where responses go). */
  readonly sourceAddress: string;
  /** Local handle to pass to `respond` (unique per machine). */
  readonly handle: number;
  /** Time (ms, driver clock) after which a response is refused. */
  readonly deadline: number;
}

/** An ack for a query this node sent with `requestAck` (deduplicated per node). */
export interface SerfQueryAckEvent {
  readonly type: "query-ack";
  /** LTime of our query (its handle, see `SerfQueryHandle`). */
  readonly lTime: number;
  readonly id: number;
  readonly from: string;
}

/** A response to a query this node sent (deduplicated per node). */
export interface SerfQueryResponseEvent {
  readonly type: "query-response";
  readonly lTime: number;
  readonly id: number;
  readonly from: string;
  readonly payload: Uint8Array;
}

/** A query this node sent reached its deadline (or was cancelled) and is closed. */
export interface SerfQueryDoneEvent {
  readonly type: "query-done";
  readonly lTime: number;
  readonly id: number;
  /** Nodes that acked, in arrival order (empty without `requestAck`). */
  readonly acks: readonly string[];
  /** Nodes that responded, in arrival order. */
  readonly responders: readonly string[];
}

/** Aggregated result of a cluster-wide key operation (Go `KeyResponse`). */
export interface KeyResponse {
  /** Node name → message, for failures and for successes carrying a message. */
  readonly messages: ReadonlyMap<string, string>;
  /** memberlist's live member count when the query was sent (Go `NumNodes`). */
  readonly numNodes: number;
  /** Responses received (Go `NumResp`). */
  readonly numResp: number;
  /** Failed or undecodable responses (Go `NumErr`). */
  readonly numErr: number;
  /** Base64 key → number of nodes holding it (list only). */
  readonly keys: ReadonlyMap<string, number>;
  /** Base64 primary key → number of nodes using it (Go counts `""` for non-list ops too). */
  readonly primaryKeys: ReadonlyMap<string, number>;
}

/** The four key operations. */
export type KeyOperation = "install" | "use" | "remove" | "list";

/** A key operation finished (all live members answered, or the query timed out). */
export interface SerfKeyOperationEvent {
  readonly type: "key-operation";
  /** The id `installKey`/`useKey`/`removeKey`/`listKeys` returned. */
  readonly op: number;
  readonly operation: KeyOperation;
  readonly response: KeyResponse;
  /** Go's error: `"N/M nodes reported failure"` or `"N/M nodes reported success"`. */
  readonly error: string | undefined;
}

/** A `join()` finished: every push/pull of it succeeded or failed. */
export interface SerfJoinEvent {
  readonly type: "join-finished";
  /** The id `join()` returned. */
  readonly join: number;
  /** Number of seeds contacted successfully. */
  readonly contacted: number;
  /** Set when no seed could be contacted (the errors of each seed, `; `-joined). */
  readonly error: string | undefined;
}

/** The graceful leave ended: `ok` → the machine is `left`; else it stays `leaving`. */
export interface SerfLeaveEvent {
  readonly type: "leave-finished";
  readonly ok: boolean;
  readonly error: string | undefined;
}

/** A `forceLeave()` broadcast went out (or timed out). */
export interface SerfForceLeaveEvent {
  readonly type: "force-leave-finished";
  readonly op: number;
  readonly node: string;
  readonly ok: boolean;
  readonly error: string | undefined;
}

/** A `setTags()` alive broadcast went out (or timed out). */
export interface SerfTagsEvent {
  readonly type: "tags-updated";
  readonly op: number;
  readonly ok: boolean;
  readonly error: string | undefined;
}

/** The reconnect task started a memberlist join to a failed member. */
export interface SerfReconnectEvent {
  readonly type: "reconnect";
  readonly node: string;
  readonly address: string;
}

/** The snapshot rejoin ended: joined through `node`, or every previous node failed. */
export interface SerfRejoinEvent {
  readonly type: "rejoin-finished";
  readonly ok: boolean;
  readonly node: string | undefined;
}

/** memberlist reported two addresses for one name. */
export interface SerfNameConflictEvent {
  readonly type: "name-conflict";
  readonly node: string;
  /** `"ip:port"` of the member we know. */
  readonly existing: string;
  /** `"ip:port"` of the other claimant. */
  readonly other: string;
  /** The conflict is about the local node. */
  readonly local: boolean;
  /** A `_serf_conflict` vote was started (local conflict with resolution enabled). */
  readonly resolving: boolean;
}

/** The `_serf_conflict` vote ended; losing it shuts the machine down. */
export interface SerfNameConflictResolvedEvent {
  readonly type: "name-conflict-resolved";
  readonly matching: number;
  readonly responses: number;
  readonly won: boolean;
}

/** A broadcast queue reached the warning depth (and was pruned if over the limit). */
export interface SerfQueueDepthEvent {
  readonly type: "queue-depth";
  readonly queue: "intent" | "event" | "query";
  readonly depth: number;
  readonly limit: number;
  /** Broadcasts dropped to get back to the limit (0 for a warning only). */
  readonly dropped: number;
}

/** The machine shut down (driver request, or a lost name-conflict vote). */
export interface SerfShutdownEvent {
  readonly type: "shutdown";
  readonly reason: "requested" | "name-conflict";
}

/**
 * A memberlist notification serf does not consume (suspect, refute, health, rejected,
 * dropped, probe-fallback, push-pull, update-complete…), for drivers' logs and metrics.
 */
export interface SerfMemberlistEvent {
  readonly type: "memberlist";
  readonly event: MemberlistEvent;
}

/** Everything `SerfMachine.pollEvent()` returns. */
export type SerfEvent =
  | SerfMemberEvent
  | SerfUserEvent
  | SerfQueryEvent
  | SerfQueryAckEvent
  | SerfQueryResponseEvent
  | SerfQueryDoneEvent
  | SerfKeyOperationEvent
  | SerfJoinEvent
  | SerfLeaveEvent
  | SerfForceLeaveEvent
  | SerfTagsEvent
  | SerfReconnectEvent
  | SerfRejoinEvent
  | SerfNameConflictEvent
  | SerfNameConflictResolvedEvent
  | SerfQueueDepthEvent
  | SerfShutdownEvent
  | SerfMemberlistEvent;

/** The event type of a `type` string (member events share one interface). */
export type SerfEventOf<T extends SerfEvent["type"]> = T extends SerfMemberEventType
  ? SerfMemberEvent
  : Extract<SerfEvent, { type: T }>;

/** The member event types. */
export const SERF_MEMBER_EVENT_TYPES: ReadonlySet<string> = new Set<SerfMemberEventType>(
  MEMBER_EVENT_TYPES,
);

/** True for member-join/leave/failed/update/reap. */
export function isSerfMemberEvent(event: SerfEvent): event is SerfMemberEvent {
  return SERF_MEMBER_EVENT_TYPES.has(event.type);
}

/** The coalescing windows a pipeline needs (a subset of `ResolvedSerfOptions`). */
export interface CoalescingWindows {
  readonly coalescePeriodMs: number;
  readonly quiescentPeriodMs: number;
  readonly userCoalescePeriodMs: number;
  readonly userQuiescentPeriodMs: number;
}

/**
 * The coalescing part of Go's event pipeline (user-event coalescer, then member-event
 * coalescer), for drivers to put between `pollEvent()` and their user. A stage is added only
 * when both of its windows are > 0 (Go's rule); with none, `undefined` (pass events through).
 * Other events pass straight through the stages.
 */
export function createCoalescePipeline(
  windows: CoalescingWindows,
): EventStage<SerfEvent> | undefined {
  const stages: EventStage<SerfEvent>[] = [];
  if (windows.userCoalescePeriodMs > 0 && windows.userQuiescentPeriodMs > 0) {
    stages.push(
      new CoalesceStage<SerfEvent, SerfUserEvent>(new UserEventCoalescer<SerfUserEvent>(), {
        coalescePeriodMs: windows.userCoalescePeriodMs,
        quiescentPeriodMs: windows.userQuiescentPeriodMs,
      }),
    );
  }
  if (windows.coalescePeriodMs > 0 && windows.quiescentPeriodMs > 0) {
    stages.push(
      new CoalesceStage<SerfEvent, SerfMemberEvent>(new MemberEventCoalescer<Member>(), {
        coalescePeriodMs: windows.coalescePeriodMs,
        quiescentPeriodMs: windows.quiescentPeriodMs,
      }),
    );
  }
  if (stages.length === 0) return undefined;
  return stages.length === 1 ? stages[0] : chainStages(stages);
}
