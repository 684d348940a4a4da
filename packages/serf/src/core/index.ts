/**
 * @serf-ts/serf/core: the sans-I/O building blocks of serf — the `SerfMachine` and what it is
 * made of (Lamport clocks, replay buffers, recent intents, coalescing stages, query filters,
 * timeouts and collection, size limits, internal and key queries, Vivaldi coordinates, the
 * snapshot format, replay and compaction rules, the event vocabulary, metric names). Nothing
 * here touches a socket, a file, a timer or the clock; the `Serf` driver of the main entry
 * runs these on real I/O.
 *
 * @packageDocumentation
 */

// Randomness
export type { Random } from "./random.ts";
export { randomIntn, seededRandom, shuffleInPlace } from "./random.ts";
// Lamport clocks
export { isLamportTime, LamportClock } from "./lamport.ts";
export { MAX_NODE_NAME_LENGTH, nodeNameError } from "./node-name.ts";
// Member status
export { MemberStatus, memberStatusCode, memberStatusFromCode } from "@serf-ts/wire";
// Replay / dedup buffers
export type { BufferedQuery, BufferedUserEvent, BufferVerdict } from "./event-buffer.ts";
export { DEFAULT_BUFFER_SIZE, QueryBuffer, UserEventBuffer } from "./event-buffer.ts";
// Recent intents
export type { IntentType, RecentIntent, RecentIntentsOptions } from "./recent-intents.ts";
export { DEFAULT_RECENT_INTENT_TIMEOUT_MS, RecentIntents } from "./recent-intents.ts";
// Coalescing / pipeline stages
export type { CoalesceOptions, Coalescer, EventStage } from "./coalesce.ts";
export { CoalesceStage, chainStages } from "./coalesce.ts";
export type { MemberEvent } from "./coalesce-member.ts";
export { isMemberEvent, MemberEventCoalescer, MemberEventType } from "./coalesce-member.ts";
export type { CoalescibleUserEvent } from "./coalesce-user.ts";
export { isCoalescibleUserEvent, UserEventCoalescer } from "./coalesce-user.ts";
// Queries
export type { GoRegexp, GoRegexpResult } from "./go-regexp.ts";
export { compileGoRegexp, goRegexpMatch } from "./go-regexp.ts";
export type { FilterRejection, FilterResult, FilterTarget } from "./query-filters.ts";
export { buildQueryFilters, evaluateFilter, evaluateFilters } from "./query-filters.ts";
export type { RelayCandidate } from "./query-timeout.ts";
export {
  DEFAULT_QUERY_TIMEOUT_MULT,
  defaultQueryTimeoutMs,
  kRandomMembers,
  RELAY_MIN_PROTOCOL_MAX,
  selectRelayTargets,
} from "./query-timeout.ts";
export type {
  CollectOutcome,
  IncomingQueryResponse,
  QueryCollectorOptions,
} from "./query-collector.ts";
export { CollectRejection, PendingQueries, QueryCollector } from "./query-collector.ts";
export {
  checkEncodedUserEventSize,
  checkQueryResponseSize,
  checkQuerySize,
  checkRelaySize,
  checkUserEventSizeBeforeEncoding,
  DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
  DEFAULT_QUERY_SIZE_LIMIT,
  DEFAULT_USER_EVENT_SIZE_LIMIT,
  SIZE_LIMIT_ERROR_CODE,
  SizeLimitError,
  USER_EVENT_SIZE_HARD_LIMIT,
} from "./size-limits.ts";
// Vivaldi coordinates
export type { VivaldiStats, VivaldiUpdateResult } from "./coordinate/client.ts";
export { MAX_RTT_MS, VivaldiClient } from "./coordinate/client.ts";
export type { MutableCoordinate, VivaldiConfig } from "./coordinate/vivaldi.ts";
export {
  applyForce,
  cloneCoordinate,
  DEFAULT_VIVALDI_CONFIG,
  DimensionalityConflictError,
  distanceNs,
  distanceSeconds,
  durationNsToSeconds,
  isCompatible,
  isValidCoordinate,
  newCoordinate,
  rawDistance,
  secondsToDurationNs,
} from "./coordinate/vivaldi.ts";
// Snapshot
export type {
  ClockRecordKind,
  ParsedSnapshot,
  SnapshotParseLimits,
  SnapshotRecord,
} from "./snapshot/snapshot-format.ts";
export {
  DEFAULT_SNAPSHOT_PARSE_LIMITS,
  formatSnapshotAddr,
  formatSnapshotRecord,
  parseSnapshot,
  parseSnapshotLine,
  SnapshotTooLargeError,
  serializeSnapshot,
  snapshotLine,
} from "./snapshot/snapshot-format.ts";
export type {
  PreviousNode,
  ReplayOptions,
  RestoredClocks,
  SnapshotState,
} from "./snapshot/snapshot-replay.ts";
export { rejoinCandidates, replaySnapshot, restoredClocks } from "./snapshot/snapshot-replay.ts";
export type { CompactionClocks } from "./snapshot/compaction.ts";
export {
  compactedRecords,
  DEFAULT_MIN_COMPACT_SIZE,
  SNAPSHOT_BYTES_PER_NODE,
  SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS,
  SNAPSHOT_COMPACT_SUFFIX,
  SNAPSHOT_COMPACTION_THRESHOLD,
  SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS,
  SNAPSHOT_FLUSH_INTERVAL_MS,
  SNAPSHOT_SHUTDOWN_FLUSH_TIMEOUT_MS,
  shouldCompact,
  shouldFlush,
  shouldRetryCompaction,
  snapshotMaxSize,
} from "./snapshot/compaction.ts";
// Events
export type {
  CoalescingWindows,
  KeyOperation,
  KeyResponse,
  Member,
  SerfEvent,
  SerfEventOf,
  SerfForceLeaveEvent,
  SerfJoinEvent,
  SerfKeyOperationEvent,
  SerfLeaveEvent,
  SerfMemberEvent,
  SerfMemberEventType,
  SerfMemberlistEvent,
  SerfNameConflictEvent,
  SerfNameConflictResolvedEvent,
  SerfQueryAckEvent,
  SerfQueryDoneEvent,
  SerfQueryEvent,
  SerfQueryResponseEvent,
  SerfQueueDepthEvent,
  SerfReconnectEvent,
  SerfRejoinEvent,
  SerfShutdownEvent,
  SerfTagsEvent,
  SerfUserEvent,
} from "./events.ts";
export {
  createCoalescePipeline,
  isSerfMemberEvent,
  SERF_MEMBER_EVENT_TYPES,
} from "./events.ts";
// The sans-I/O serf state machine
export type {
  KeyOperationOptions,
  SerfIdentity,
  SerfMachineHooks,
  SerfMachineLogger,
  SerfQueryHandle,
  SerfQueryParams,
  SerfState,
  SerfStats,
  SnapshotSink,
} from "./serf-machine.ts";
export { SerfMachine, SerfMachineError, SerfMachineErrorCode } from "./serf-machine.ts";
export type { KeyringPort, NodeKeyResponse } from "./internal-queries.ts";
export {
  answerKeyQuery,
  fitKeyListResponse,
  KEY_QUERY_NAMES,
  KeyResponseAggregator,
  keyringPort,
  MIN_ENCODED_KEY_LENGTH,
} from "./internal-queries.ts";
export { SERF_METRICS } from "./serf-metrics.ts";
