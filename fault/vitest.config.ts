import { packageProject } from "../vitest.shared.ts";

// One file: the three cluster variants run concurrently inside it, each in its own network
// namespace; every hook is bounded and namespaces and agents are removed even on failure.
export default packageProject("fault", {
  include: ["tests/**/*.test.ts", "src/**/*.test.ts"],
  fileParallelism: false,
  testTimeout: 420_000,
  hookTimeout: 60_000,
  teardownTimeout: 30_000,
});
