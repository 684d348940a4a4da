/**
 * serf configuration (Go serf 0.9.4 `Config`, serf.md §14): every tunable of the serf layer,
 * the memberlist options it runs on, and `resolveSerfOptions()`, which fills defaults,
 * validates, and applies the overrides serf imposes on memberlist (delegate protocol
 * versions, memberlist protocol 2). Durations are milliseconds (`…Ms`).
 */

import {
  type MemberlistOptions,
  type ResolvedMemberlistOptions,
  resolveOptions,
} from "@serf-ts/memberlist";
import {
  DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
  DEFAULT_QUERY_SIZE_LIMIT,
  DEFAULT_USER_EVENT_SIZE_LIMIT,
  USER_EVENT_SIZE_HARD_LIMIT,
} from "./core/size-limits.ts";

/** Lowest serf protocol understood (Go `ProtocolVersionMin`). */
export const SERF_PROTOCOL_VERSION_MIN = 2;
/** Highest serf protocol understood (Go `ProtocolVersionMax`). */
export const SERF_PROTOCOL_VERSION_MAX = 5;
/** memberlist protocol spoken for every serf protocol (Go `ProtocolVersionMap`). */
export const MEMBERLIST_PROTOCOL_FOR_SERF = 2;

/** User-facing serf options; everything is optional. */
export interface SerfOptions {
  /**
   * memberlist options (profile, timings, ports…). serf overrides `delegateProtocolVersion`
   * (= `protocolVersion`), `delegateProtocolMin` (2), `delegateProtocolMax` (5) and
   * `protocolVersion` (2), as Go `Create` does.
   * @default LAN profile
   */
  memberlist?: MemberlistOptions | undefined;
  /**
   * Serf protocol version spoken (2–5). Tags in Meta need ≥ 3, sending queries ≥ 4. The Go
   * agent runs 5.
   * @default 4
   */
  protocolVersion?: number | undefined;
  /**
   * How long a leave or force-leave waits for its intent broadcast (and the memberlist leave
   * for its dead broadcast), and a tag update for its alive broadcast. In 0.9.4 a timed-out
   * graceful leave fails.
   * @default 5_000
   */
  broadcastTimeoutMs?: number | undefined;
  /**
   * After the memberlist leave, how long the node keeps answering probes before it reports
   * `left`, so peers learn of the leave before they would suspect it.
   * @default 1_000
   */
  leavePropagateDelayMs?: number | undefined;
  /**
   * Member-event coalescing window (maximum hold). Not applied by the machine: the driver
   * chains a `CoalesceStage` when both this and `quiescentPeriodMs` are > 0 (agent: 3000).
   * @default 0 (off)
   */
  coalescePeriodMs?: number | undefined;
  /**
   * Member-event coalescing quiescence (agent: 1000). See `coalescePeriodMs`.
   * @default 0 (off)
   */
  quiescentPeriodMs?: number | undefined;
  /**
   * User-event coalescing window for events sent with `coalesce` (agent: 3000). Applied by
   * the driver, like `coalescePeriodMs`.
   * @default 0 (off)
   */
  userCoalescePeriodMs?: number | undefined;
  /**
   * User-event coalescing quiescence (agent: 1000).
   * @default 0 (off)
   */
  userQuiescentPeriodMs?: number | undefined;
  /**
   * Interval of the reaper, which erases failed members after `reconnectTimeoutMs`, left
   * members after `tombstoneTimeoutMs` and stale recent intents.
   * @default 15_000
   */
  reapIntervalMs?: number | undefined;
  /**
   * Interval of reconnect attempts to failed members (one random failed member per round,
   * with probability failed / live).
   * @default 30_000
   */
  reconnectIntervalMs?: number | undefined;
  /**
   * How long a failed member is kept (and reconnected to) before it is reaped.
   * @default 86_400_000 (24 h)
   */
  reconnectTimeoutMs?: number | undefined;
  /**
   * How long a member that left is kept as a tombstone (to tell others in push/pulls).
   * @default 86_400_000 (24 h)
   */
  tombstoneTimeoutMs?: number | undefined;
  /**
   * A failed member that comes back within this time counts as a flap (metric only).
   * @default 60_000
   */
  flapTimeoutMs?: number | undefined;
  /**
   * Interval at which the three serf broadcast queues are checked against the depth limits.
   * @default 30_000
   */
  queueCheckIntervalMs?: number | undefined;
  /**
   * Queue depth at which a `queue-depth` warning event is emitted.
   * @default 128
   */
  queueDepthWarning?: number | undefined;
  /**
   * Queue depth above which the most-transmitted broadcasts are dropped (ignored when
   * `minQueueDepth` > 0).
   * @default 4096
   */
  maxQueueDepth?: number | undefined;
  /**
   * When > 0 the depth limit becomes `max(minQueueDepth, 2 × members)` instead of
   * `maxQueueDepth`.
   * @default 0 (off)
   */
  minQueueDepth?: number | undefined;
  /**
   * How long a join/leave intent for a not-yet-known member is buffered.
   * @default 300_000 (5 min)
   */
  recentIntentTimeoutMs?: number | undefined;
  /**
   * Slots of the user-event dedup ring (also the push/pull `Events` length: Go peers expect
   * 512).
   * @default 512
   */
  eventBuffer?: number | undefined;
  /**
   * Slots of the query dedup ring.
   * @default 512
   */
  queryBuffer?: number | undefined;
  /**
   * Default query timeout = `gossipInterval × queryTimeoutMult × ceil(log10(n + 1))`.
   * @default 16
   */
  queryTimeoutMult?: number | undefined;
  /**
   * Largest encoded query response (type byte included) this node sends, relays included.
   * @default 1024
   */
  queryResponseSizeLimit?: number | undefined;
  /**
   * Largest encoded query (type byte included) this node sends.
   * @default 1024
   */
  querySizeLimit?: number | undefined;
  /**
   * Largest user event: `len(name) + len(payload)` and the encoded message (hard cap 9216).
   * @default 512
   */
  userEventSizeLimit?: number | undefined;
  /**
   * On a name conflict about the local node, run `_serf_conflict` and shut down when in the
   * minority (agent `disable_name_resolution` turns it off).
   * @default true
   */
  enableNameConflictResolution?: boolean | undefined;
  /**
   * Turns off Vivaldi coordinates (no ack payloads, no coordinate cache).
   * @default false
   */
  disableCoordinates?: boolean | undefined;
  /**
   * Snapshot replay: a `leave` record does not clear the alive set and clocks (agent
   * `-rejoin`). Used by whoever replays the snapshot before constructing the machine.
   * @default false
   */
  rejoinAfterLeave?: boolean | undefined;
}

/** {@link SerfOptions} with every field resolved. */
export interface ResolvedSerfOptions {
  /** memberlist options with serf's overrides applied. */
  readonly memberlist: ResolvedMemberlistOptions;
  readonly protocolVersion: number;
  readonly broadcastTimeoutMs: number;
  readonly leavePropagateDelayMs: number;
  readonly coalescePeriodMs: number;
  readonly quiescentPeriodMs: number;
  readonly userCoalescePeriodMs: number;
  readonly userQuiescentPeriodMs: number;
  readonly reapIntervalMs: number;
  readonly reconnectIntervalMs: number;
  readonly reconnectTimeoutMs: number;
  readonly tombstoneTimeoutMs: number;
  readonly flapTimeoutMs: number;
  readonly queueCheckIntervalMs: number;
  readonly queueDepthWarning: number;
  readonly maxQueueDepth: number;
  readonly minQueueDepth: number;
  readonly recentIntentTimeoutMs: number;
  readonly eventBuffer: number;
  readonly queryBuffer: number;
  readonly queryTimeoutMult: number;
  readonly queryResponseSizeLimit: number;
  readonly querySizeLimit: number;
  readonly userEventSizeLimit: number;
  readonly enableNameConflictResolution: boolean;
  readonly disableCoordinates: boolean;
  readonly rejoinAfterLeave: boolean;
}

/** Go `DefaultConfig()` values of the serf layer (serf.md §14). */
export const DEFAULT_SERF_OPTIONS: Omit<ResolvedSerfOptions, "memberlist"> = Object.freeze({
  protocolVersion: 4,
  broadcastTimeoutMs: 5_000,
  leavePropagateDelayMs: 1_000,
  coalescePeriodMs: 0,
  quiescentPeriodMs: 0,
  userCoalescePeriodMs: 0,
  userQuiescentPeriodMs: 0,
  reapIntervalMs: 15_000,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 24 * 3_600_000,
  tombstoneTimeoutMs: 24 * 3_600_000,
  flapTimeoutMs: 60_000,
  queueCheckIntervalMs: 30_000,
  queueDepthWarning: 128,
  maxQueueDepth: 4096,
  minQueueDepth: 0,
  recentIntentTimeoutMs: 5 * 60_000,
  eventBuffer: 512,
  queryBuffer: 512,
  queryTimeoutMult: 16,
  queryResponseSizeLimit: DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
  querySizeLimit: DEFAULT_QUERY_SIZE_LIMIT,
  userEventSizeLimit: DEFAULT_USER_EVENT_SIZE_LIMIT,
  enableNameConflictResolution: true,
  disableCoordinates: false,
  rejoinAfterLeave: false,
} as const);

const NON_NEGATIVE_MS = [
  "broadcastTimeoutMs",
  "leavePropagateDelayMs",
  "coalescePeriodMs",
  "quiescentPeriodMs",
  "userCoalescePeriodMs",
  "userQuiescentPeriodMs",
  "reconnectTimeoutMs",
  "tombstoneTimeoutMs",
  "flapTimeoutMs",
  "recentIntentTimeoutMs",
] as const;

/** Periodic tasks: 0 would spin, so they must be positive. */
const POSITIVE_MS = ["reapIntervalMs", "reconnectIntervalMs", "queueCheckIntervalMs"] as const;

const NON_NEGATIVE_INT = [
  "queueDepthWarning",
  "maxQueueDepth",
  "minQueueDepth",
  "queryTimeoutMult",
  "queryResponseSizeLimit",
  "querySizeLimit",
  "userEventSizeLimit",
] as const;

/**
 * Fills every option from Go's defaults and validates the result.
 * @throws RangeError for out-of-range values (protocol outside 2–5, a user event limit above
 *   9216 as Go's "user event size limit exceeds limit of 9216 bytes", negative durations…).
 */
export function resolveSerfOptions(options: SerfOptions = {}): ResolvedSerfOptions {
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && key !== "memberlist") defined[key] = value;
  }
  const base = { ...DEFAULT_SERF_OPTIONS, ...defined } as Omit<ResolvedSerfOptions, "memberlist">;
  const pv = base.protocolVersion;
  if (!Number.isInteger(pv) || pv < SERF_PROTOCOL_VERSION_MIN) {
    throw new RangeError(
      `Protocol version '${pv}' too low. Must be in range: ` +
        `[${SERF_PROTOCOL_VERSION_MIN}, ${SERF_PROTOCOL_VERSION_MAX}]`,
    );
  }
  if (pv > SERF_PROTOCOL_VERSION_MAX) {
    throw new RangeError(
      `Protocol version '${pv}' too high. Must be in range: ` +
        `[${SERF_PROTOCOL_VERSION_MIN}, ${SERF_PROTOCOL_VERSION_MAX}]`,
    );
  }
  for (const key of NON_NEGATIVE_MS) {
    const v = base[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${key} must be a non-negative number of milliseconds, got ${v}`);
    }
  }
  for (const key of POSITIVE_MS) {
    const v = base[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`${key} must be a positive number of milliseconds, got ${v}`);
    }
  }
  for (const key of NON_NEGATIVE_INT) {
    const v = base[key];
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`${key} must be a non-negative integer, got ${v}`);
    }
  }
  for (const key of ["eventBuffer", "queryBuffer"] as const) {
    const v = base[key];
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${key} must be a positive integer, got ${v}`);
    }
  }
  if (base.userEventSizeLimit > USER_EVENT_SIZE_HARD_LIMIT) {
    throw new RangeError(
      `user event size limit exceeds limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes`,
    );
  }
  const memberlist = resolveOptions({
    ...(options.memberlist ?? {}),
    protocolVersion: MEMBERLIST_PROTOCOL_FOR_SERF,
    delegateProtocolVersion: pv,
    delegateProtocolMin: SERF_PROTOCOL_VERSION_MIN,
    delegateProtocolMax: SERF_PROTOCOL_VERSION_MAX,
  });
  return Object.freeze({ ...base, memberlist });
}
