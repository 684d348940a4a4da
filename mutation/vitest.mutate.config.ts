/**
 * The vitest config every Stryker run uses (see ./mutate.mjs). Stryker copies ONE package into
 * a sandbox and runs vitest there, so the package's own vitest.config.ts (which imports
 * ../../vitest.shared.ts by a relative path) cannot be used; this file lives outside the
 * sandbox, is passed by absolute path, and takes the tests to run from `MUTATE_TESTS`
 * (comma-separated globs, relative to the package). The root stays the sandbox (vitest's cwd).
 */
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

const SOURCE_CONDITION = "@serf-ts/source";

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  test: {
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: set by mutate.mjs for each target
    include: (process.env.MUTATE_TESTS ?? "src/**/*.test.ts").split(","),
    environment: "node",
    testTimeout: 20_000,
    setupFiles: [fileURLToPath(new URL("../vitest.fast-check.ts", import.meta.url))],
  },
});
