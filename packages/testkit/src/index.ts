/**
 * `@serf-ts/testkit` (private): the one place that starts real Go `serf` agents and other
 * test processes for every serf-ts package and for e2e. Keep this a plain list of export lines.
 *
 * @packageDocumentation
 */

export type {
  AgentAddresses,
  AgentCommand,
  AgentOptions,
  AgentProcess,
} from "./agent-process.ts";
export { agentFlags, misboundAddress, startAgentProcess } from "./agent-process.ts";
export type { GoSerfAvailability } from "./binary.ts";
export {
  canRun,
  findGoSerf,
  goSerfAvailability,
  goSerfPath,
  missingFile,
  requireGoSerf,
} from "./binary.ts";
export type { EventuallyOptions } from "./eventually.ts";
export { eventually, sleep } from "./eventually.ts";
export type {
  GoAgent,
  GoClusterOptions,
  GoSerfMember,
  GoSerfMembersOptions,
} from "./go-agent.ts";
export {
  goSerfKeygen,
  goSerfMembers,
  goSerfOutput,
  runGoSerf,
  startGoAgent,
  startGoCluster,
  withGoCli,
  writeQueryResponder,
} from "./go-agent.ts";
export type { GossipMiss } from "./gossip-misses.ts";
export { GossipMissLedger, keyListMisses, unmentioned, withoutNodes } from "./gossip-misses.ts";
export type { FreePortOptions } from "./net.ts";
export { freePort, isAddressInUse, randomLoopbackIp, randomSuffix } from "./net.ts";
export type { CommandResult, RunOptions, SpawnTrackedOptions } from "./processes.ts";
export {
  runCommand,
  runningPids,
  spawnTracked,
  stopAll,
  stopProcess,
  trackedPids,
  waitForExit,
} from "./processes.ts";
export type { Impl } from "./mixed-cluster.ts";
export { startAgent, startMixedCluster, TS_CLI_MAIN } from "./mixed-cluster.ts";
export { firstTypeScriptBlock, runReadmeExample } from "./readme-example.ts";
