/**
 * `@serf-ts/memberlist/testing`: deterministic helpers for tests of memberlist and the layers
 * above it. Keep this a plain list of export lines.
 */

export { ManualClock } from "./manual-clock.ts";
export type { NetworkConfig } from "./sim/faults.ts";
export { DEFAULT_NETWORK, FaultPlan } from "./sim/faults.ts";
export type {
  DrivableMachine,
  SimCodec,
  SimEngineOptions,
  SimMachineEvent,
  SimStats,
} from "./sim/engine.ts";
export { SimEngine, SimEngineNode } from "./sim/engine.ts";
export type { SimClusterOptions, SimEventListener, Transition } from "./sim/cluster.ts";
export { InvariantViolation, SimCluster, SimNode } from "./sim/cluster.ts";
export type {
  MemoryNetworkOptions,
  MemoryNetworkStats,
  PacketInfo,
} from "./memory-network.ts";
export { MemoryNetwork } from "./memory-network.ts";
export type { TransportComplianceFactory } from "./transport-compliance.ts";
export { describeTransportCompliance } from "./transport-compliance.ts";
export type { MemoryFabric, StreamLink } from "../memory-transport.ts";
export { MemoryStream, MemoryTransport } from "../memory-transport.ts";
export type { SimBenchmarkOptions, SimBenchmarkResult } from "./sim/bench.ts";
export { runSimBenchmark } from "./sim/bench.ts";
export type { Drained } from "./core-harness.ts";
export {
  aliveOf,
  CoreHarness,
  deadOf,
  GO_VSN,
  pushStateOf,
  suspectOf,
  testAddress,
  testIp,
} from "./core-harness.ts";
