/**
 * @serf-ts/serf: serf as a library. `Serf` (the driver: sockets, timers, snapshot files) runs
 * the sans-I/O `SerfMachine`; this entry also exposes the building blocks (Lamport clocks,
 * replay buffers, intents, coalescing stages, query filters/timeouts/collection, Vivaldi
 * coordinates, the snapshot format and stores, metrics).
 *
 * @packageDocumentation
 */

// Randomness
export type { Random } from "./core/random.ts";
export { randomIntn, seededRandom, shuffleInPlace } from "./core/random.ts";
// Lamport clocks
export { isLamportTime, LamportClock } from "./core/lamport.ts";
export { MAX_NODE_NAME_LENGTH, nodeNameError } from "./core/node-name.ts";
// Member status
export { MemberStatus, memberStatusCode, memberStatusFromCode } from "./core/member-status.ts";
// Replay / dedup buffers
export type { BufferedQuery, BufferedUserEvent, BufferVerdict } from "./core/event-buffer.ts";
export { DEFAULT_BUFFER_SIZE, QueryBuffer, UserEventBuffer } from "./core/event-buffer.ts";
// Recent intents
export type { IntentType, RecentIntent, RecentIntentsOptions } from "./core/recent-intents.ts";
export { DEFAULT_RECENT_INTENT_TIMEOUT_MS, RecentIntents } from "./core/recent-intents.ts";
// Coalescing / pipeline stages
export type { CoalesceOptions, Coalescer, EventStage } from "./core/coalesce.ts";
export { AGENT_COALESCE_OPTIONS, CoalesceStage, chainStages } from "./core/coalesce.ts";
export type { MemberEvent } from "./core/coalesce-member.ts";
export { isMemberEvent, MemberEventCoalescer, MemberEventType } from "./core/coalesce-member.ts";
export type { CoalescibleUserEvent } from "./core/coalesce-user.ts";
export { isCoalescibleUserEvent, UserEventCoalescer } from "./core/coalesce-user.ts";
// Queries
export type { GoRegexp, GoRegexpResult } from "./core/go-regexp.ts";
export { compileGoRegexp, goRegexpMatch } from "./core/go-regexp.ts";
export type { FilterRejection, FilterResult, FilterTarget } from "./core/query-filters.ts";
export { buildQueryFilters, evaluateFilter, evaluateFilters } from "./core/query-filters.ts";
export type { RelayCandidate } from "./core/query-timeout.ts";
export {
  DEFAULT_QUERY_TIMEOUT_MULT,
  defaultQueryTimeoutMs,
  kRandomMembers,
  RELAY_MIN_PROTOCOL_MAX,
  selectRelayTargets,
} from "./core/query-timeout.ts";
export type {
  CollectOutcome,
  IncomingQueryResponse,
  QueryCollectorOptions,
} from "./core/query-collector.ts";
export { CollectRejection, PendingQueries, QueryCollector } from "./core/query-collector.ts";
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
} from "./core/size-limits.ts";
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
export type { SnapshotStore } from "./snapshot/snapshot-store.ts";
export { MemorySnapshotStore } from "./snapshot/snapshot-store.ts";
export { FileSnapshotStore, openFileSnapshotStore } from "./snapshot/file-snapshot-store.ts";
// Options
export type { ResolvedSerfOptions, SerfOptions } from "./options.ts";
export {
  DEFAULT_SERF_OPTIONS,
  MEMBERLIST_PROTOCOL_FOR_SERF,
  resolveSerfOptions,
  SERF_PROTOCOL_VERSION_MAX,
  SERF_PROTOCOL_VERSION_MIN,
} from "./options.ts";
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
  AGENT_COALESCING_WINDOWS,
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
} from "./core/serf-machine.ts";
export { SerfMachine, SerfMachineError, SerfMachineErrorCode } from "./core/serf-machine.ts";
export type { KeyringPort, NodeKeyResponse } from "./core/internal-queries.ts";
export {
  answerKeyQuery,
  fitKeyListResponse,
  KEY_QUERY_NAMES,
  KeyResponseAggregator,
  keyringPort,
  MIN_ENCODED_KEY_LENGTH,
} from "./core/internal-queries.ts";
// Driver
export type {
  KeyOperationResult,
  KeyOptions,
  NodeResponse,
  QueryHandler,
  QueryParams,
  QueryResponse,
  QueryResult,
  SerfConfig,
  SerfDriverEvent,
  SerfDriverEventOf,
  SerfDriverEventType,
  SerfDriverStats,
  SerfEventsOptions,
  SerfKeyManager,
  SerfOverflowEvent,
  SerfQuery,
} from "./serf.ts";
export { Serf, SerfOperationError } from "./serf.ts";
export { keyringFileExists, readKeyringFile, writeKeyringFile } from "./keyring-file.ts";
export type { SnapshotWriterOptions } from "./snapshot/snapshot-writer.ts";
export { SnapshotWriter } from "./snapshot/snapshot-writer.ts";
export { TimedStage } from "./timed-stage.ts";
// Metrics (the sink interface is memberlist's; serf adds its own names)
export type { MetricKind, MetricLabel, MetricSpec, MetricsSink } from "@serf-ts/memberlist";
export { FanoutMetricsSink, MEMBERLIST_METRICS, noopMetricsSink } from "@serf-ts/memberlist";
export { SERF_METRICS } from "./core/serf-metrics.ts";
