/**
 * `@serf-ts/serf/testing`: deterministic helpers for tests of serf and the layers above it
 * (a serf cluster simulator and a single-machine harness). Keep this a plain list of exports.
 */

export type {
  RecordedEvent,
  SerfSimNodeOptions,
  SerfSimOptions,
} from "./serf-sim.ts";
export { SerfSimCluster, SerfSimNode } from "./serf-sim.ts";
export {
  AGENT_VSN,
  aliveFor,
  deadFor,
  SerfHarness,
  serfPart,
  testAddress,
  testIp,
} from "./serf-harness.ts";
