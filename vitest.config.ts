import { defineConfig } from "vitest/config";

// Root config for watch mode across the workspace (`pnpm vitest`); CI runs each package's own
// `vitest run` through turbo.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "e2e/vitest.config.ts", "fault/vitest.config.ts"],
  },
});
