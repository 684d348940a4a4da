/**
 * The sans-I/O SWIM core, for the package entry point and for callers that drive the machine
 * from their own event loop.
 */

export { formatIp } from "@serf-ts/wire";
export { formatAddress } from "./address.ts";
export { Awareness } from "./awareness.ts";
export type { Broadcast, TransmitLimitedQueueOptions } from "./broadcast-queue.ts";
export { TransmitLimitedQueue } from "./broadcast-queue.ts";
export type { Deadline } from "./deadlines.ts";
export { DeadlineQueue } from "./deadlines.ts";
export { Fifo } from "./fifo.ts";
export type { MemberlistLogLevel, MemberlistLogRecord } from "./log-records.ts";
export {
  kRandomNodes,
  PUSH_PULL_SCALE_THRESHOLD,
  pushPullScaleMs,
  retransmitLimit,
  suspicionTimeoutAfterMs,
  suspicionTimeoutMs,
} from "./math.ts";
export { verifyProtocol } from "./push-pull.ts";
export type { Random } from "./random.ts";
export { deriveSeed, randomOffset, SeededRandom, seededRandom, shuffle } from "./random.ts";
export type { SuspicionParams } from "./suspicion.ts";
export { Suspicion, suspicionParams } from "./suspicion.ts";
export { META_MAX_SIZE, SwimMachine } from "./swim-machine.ts";
export type {
  CoreDelegates,
  ExchangeOutcome,
  LocalNodeIdentity,
  MemberlistEvent,
  NodeInfo,
  PacketTransmit,
  RefuteReason,
  StreamFailure,
  StreamReply,
  StreamRequest,
  StreamTransmit,
  Transmit,
} from "./types.ts";
export type { CoreMetrics, MetricLabel, MetricsSink } from "./metrics-sink.ts";
export { FanoutMetricsSink, NO_CORE_METRICS, noopMetricsSink } from "./metrics-sink.ts";
export type { MetricKind, MetricSpec } from "./swim-metrics.ts";
export { MEMBERLIST_METRICS } from "./swim-metrics.ts";
