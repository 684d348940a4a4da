/**
 * Test helpers of `@serf-ts/rpc-client`, exported as `@serf-ts/rpc-client/testing`: an
 * in-process fake agent for framing and disconnect tests. (Real Go agents come from the private
 * `@serf-ts/testkit`.)
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
