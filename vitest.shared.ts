import { fileURLToPath } from "node:url";
import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineProject, type UserWorkspaceConfig } from "vitest/config";

/** The custom export condition that points workspace packages at their TypeScript sources. */
const SOURCE_CONDITION = "@serf-ts/source";

/**
 * One vitest project per package: tests sit beside the code they test (`src/**\/*.test.ts`)
 * and workspace dependencies resolve to their sources, so no build is needed to test.
 */
export function packageProject(
  name: string,
  overrides: UserWorkspaceConfig["test"] = {},
): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      environment: "node",
      testTimeout: 20_000,
      // Property tests run from a fixed seed (`FC_SEED` to change it).
      setupFiles: [fileURLToPath(new URL("./vitest.fast-check.ts", import.meta.url))],
      // Under CI each package also writes its results, so that the last lines of a CI log can
      // list every failed test (tools/ci/failed-tests.mjs), however long the log.
      ...(process.env.CI === "true" ? ciReporters() : {}),
      ...overrides,
    },
  });
}

/**
 * The reporters used under CI: the default one, plus JSON results in `.vitest-results.json` (or
 * the name in `SERF_TS_VITEST_RESULTS`, for a second run in the same directory).
 */
function ciReporters(): Record<string, unknown> {
  const outputFile = process.env.SERF_TS_VITEST_RESULTS ?? ".vitest-results.json";
  return { reporters: ["default", ["json", { outputFile }]] };
}
