/**
 * @serf-ts/memberlist: SWIM + Lifeguard gossip membership, wire-compatible with hashicorp
 * memberlist 0.2.2. `Memberlist` is the batteries-included driver; `SwimMachine` is the
 * sans-I/O core for custom drivers and simulations; transports, clock and logger are the
 * injection points. Test helpers live in `@serf-ts/memberlist/testing`.
 *
 * This is a curated list of explicit named exports: add lines deliberately.
 *
 * @packageDocumentation
 */

// Driver
export type {
  MemberlistConfig,
  MemberlistListener,
  MemberlistStats,
} from "./memberlist.ts";
export {
  createDefaultTransport,
  defaultRandom,
  JoinError,
  Memberlist,
} from "./memberlist.ts";
// From @serf-ts/wire, so that users need not import a transitive dependency: the keyring of
// `MemberlistOptions.keyring`, and the names of `NodeInfo.state`.
export type { NodeStateName } from "@serf-ts/wire";
export { Keyring, NODE_STATE_NAMES, NodeStateCode, nodeStateName } from "@serf-ts/wire";
// Generic driver pieces (reused by serf's driver)
export type {
  DrivableMachine,
  MachineDriverOptions,
  MachineDriverStats,
  MachineEvent,
} from "./machine-driver.ts";
export { MachineDriver, MAX_INBOUND_STREAMS } from "./machine-driver.ts";
export type { EventStreamOptions } from "./event-stream.ts";
export { EventStream } from "./event-stream.ts";
export { resolveSeed, resolveSeeds } from "./seeds.ts";
// Options and profiles
export type {
  MemberlistOptions,
  MemberlistProfile,
  ProfileName,
  ResolvedMemberlistOptions,
} from "./options.ts";
export {
  buildVsn,
  lanProfile,
  localProfile,
  profiles,
  resolveOptions,
  testProfile,
  wanProfile,
} from "./options.ts";
// Sans-I/O core
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
} from "./core/swim-machine.ts";
export { META_MAX_SIZE, SwimMachine } from "./core/swim-machine.ts";
export type { MemberlistLogLevel, MemberlistLogRecord } from "./core/log-records.ts";
export { writeMemberlistLog } from "./log-record-sink.ts";
export type { Broadcast, TransmitLimitedQueueOptions } from "./core/broadcast-queue.ts";
export { TransmitLimitedQueue } from "./core/broadcast-queue.ts";
export type { Random } from "./core/random.ts";
export { SeededRandom, seededRandom } from "./core/random.ts";
// Transports
export type {
  Address,
  DialOptions,
  DuplexStream,
  HostPort,
  PacketHandler,
  PacketTransport,
  StreamHandler,
  StreamTransport,
  Transport,
} from "./transport.ts";
export {
  addressFromBytes,
  addressToBytes,
  formatAddress,
  ipFromBytes,
  ipToBytes,
  isIPv4,
  isIPv6,
  normalizeAddress,
  parseAddress,
  TransportError,
  TransportErrorCode,
  withDefaultPort,
} from "./transport.ts";
export type { NetTransportOptions } from "./net-transport.ts";
export { NetTransport } from "./net-transport.ts";
export type { InterfaceAddress, PrivateIPSources } from "./private-ip.ts";
export {
  defaultRouteInterface,
  getPrivateIP,
  NO_PRIVATE_IP_MESSAGE,
  selectPrivateIP,
} from "./private-ip.ts";
// Byte pipeline (framing, compression, checksums, encryption)
export type {
  IncomingPacket,
  OutgoingPacketOptions,
  PacketPipelineOptions,
  PacketPipelineStats,
} from "./packet-pipeline.ts";
export { ENCRYPTION_OVERHEAD_BYTES, PacketPipeline } from "./packet-pipeline.ts";
// Clock and logging
export type { Clock, TimerHandle } from "./clock.ts";
export { systemClock } from "./clock.ts";
export type { LogFn, Logger } from "./logger.ts";
export { noopLogger } from "./logger.ts";
// Metrics
export type { CoreMetrics, MetricLabel, MetricsSink } from "./core/metrics-sink.ts";
export { FanoutMetricsSink, NO_CORE_METRICS, noopMetricsSink } from "./core/metrics-sink.ts";
export type { MetricKind, MetricSpec } from "./core/swim-metrics.ts";
export { MEMBERLIST_METRICS } from "./core/swim-metrics.ts";
export { coreMetrics, guardMetricsSink } from "./metrics.ts";
