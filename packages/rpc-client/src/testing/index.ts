/**
 * Test helpers of `@serf-ts/rpc-client`, exported as `@serf-ts/rpc-client/testing`: real Go
 * agents (`startGoAgent`, `startGoCluster`, `runGoSerf`) and an in-process fake agent for
 * framing and disconnect tests.
 *
 * @packageDocumentation
 */

export {
  FakeAgent,
  type FakeAgentOptions,
  FakeConnection,
  type FakeHandler,
  type FakeRequest,
} from "./fake-agent.ts";
export {
  type CliResult,
  eventually,
  findGoSerf,
  type GoAgent,
  type GoAgentOptions,
  type GoSerfAvailability,
  goSerfAvailability,
  randomLoopbackIp,
  requireGoSerf,
  runCommand,
  runGoSerf,
  type RunOptions,
  sleep,
  startGoAgent,
  startGoCluster,
  stopAllGoAgents,
  writeQueryResponder,
} from "./go-agent.ts";
