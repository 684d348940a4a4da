import { packageProject } from "../vitest.shared.ts";

// Multi-process clusters: one file at a time (agents are real processes on loopback), every
// test and hook bounded; agents are killed by PID in the harness and by @serf-ts/testkit's exit
// hook as a last resort.
export default packageProject("e2e", {
  include: ["tests/**/*.e2e.test.ts", "src/**/*.test.ts"],
  fileParallelism: false,
  testTimeout: 90_000,
  hookTimeout: 60_000,
  teardownTimeout: 15_000,
});
