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
      ...overrides,
    },
  });
}
