/**
 * @serf-ts/serf: serf as a library. `Serf` (the driver: sockets, timers, snapshot files) runs
 * the sans-I/O `SerfMachine`. This entry is the product API: `Serf` and its configuration,
 * options, events and errors, member status, snapshot stores and the keyring file, the
 * coalescing pipeline, size limits and metrics. The building blocks (the machine, clocks,
 * buffers, query machinery, Vivaldi coordinates, snapshot format and compaction rules) are in
 * `@serf-ts/serf/core`.
 *
 * @packageDocumentation
 */

// The driver
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
export type { SerfState, SerfStats } from "./core/serf-machine.ts";
export { SerfMachineError, SerfMachineErrorCode } from "./core/serf-machine.ts";
// Options
export type { ResolvedSerfOptions, SerfOptions } from "./options.ts";
export {
  DEFAULT_SERF_OPTIONS,
  MEMBERLIST_PROTOCOL_FOR_SERF,
  resolveSerfOptions,
  SERF_PROTOCOL_VERSION_MAX,
  SERF_PROTOCOL_VERSION_MIN,
} from "./options.ts";
export { MAX_NODE_NAME_LENGTH, nodeNameError } from "./core/node-name.ts";
// Members and events
export { MemberStatus, memberStatusCode, memberStatusFromCode } from "@serf-ts/wire";
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
} from "./core/events.ts";
export {
  createCoalescePipeline,
  isSerfMemberEvent,
  SERF_MEMBER_EVENT_TYPES,
} from "./core/events.ts";
export { TimedStage } from "./timed-stage.ts";
// Size limits
export {
  DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
  DEFAULT_QUERY_SIZE_LIMIT,
  DEFAULT_USER_EVENT_SIZE_LIMIT,
  SIZE_LIMIT_ERROR_CODE,
  SizeLimitError,
  USER_EVENT_SIZE_HARD_LIMIT,
} from "./core/size-limits.ts";
// Snapshot files and the keyring file
export type { SnapshotStore } from "./snapshot/snapshot-store.ts";
export { MemorySnapshotStore } from "./snapshot/snapshot-store.ts";
export { FileSnapshotStore, openFileSnapshotStore } from "./snapshot/file-snapshot-store.ts";
export type { SnapshotWriterOptions } from "./snapshot/snapshot-writer.ts";
export { SnapshotWriter } from "./snapshot/snapshot-writer.ts";
export type { ParsedSnapshot, SnapshotRecord } from "./core/snapshot/snapshot-format.ts";
export { parseSnapshot, SnapshotTooLargeError } from "./core/snapshot/snapshot-format.ts";
export { keyringFileExists, readKeyringFile, writeKeyringFile } from "./keyring-file.ts";
// Coordinates (the RTT estimate between two nodes)
export { distanceSeconds } from "./core/coordinate/vivaldi.ts";
// Metrics (the sink interface is memberlist's; serf adds its own names)
export type { MetricKind, MetricLabel, MetricSpec, MetricsSink } from "@serf-ts/memberlist";
export { FanoutMetricsSink, MEMBERLIST_METRICS, noopMetricsSink } from "@serf-ts/memberlist";
export { SERF_METRICS } from "./core/serf-metrics.ts";
