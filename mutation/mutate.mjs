#!/usr/bin/env node
/**
 * `pnpm mutate [target...]`: StrykerJS mutation testing, one run per target (default: all), each
 * in its package directory with its own scope. Not part of `pnpm test` or CI: a run takes
 * minutes to tens of minutes. Reports land in mutation/reports/<target>.{html,json}; the
 * scores are in the README ("Mutation testing").
 *
 *   pnpm mutate agent-rpc          # one target
 *   pnpm mutate agent-rpc --lines=150-460   # only mutants on those lines of each file
 *   pnpm mutate agent-rpc --tests=src/rpc/rpc-server.test.ts   # other tests than the target's
 *   MUTATE_CONCURRENCY=2 pnpm mutate
 */
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * What each target mutates and which tests judge it. `mutate` globs are relative to the
 * package. Whole packages are too large for one sitting (wire, memberlist and serf hold ~14k
 * lines of source); these are the representative subsets the README's scores come from.
 */
export const TARGETS = {
  wire: {
    pkg: "packages/wire",
    mutate: ["src/checksum/crc32.ts", "src/msgpack/writer.ts"],
    tests: ["src/msgpack/**/*.test.ts", "src/checksum/**/*.test.ts"],
  },
  memberlist: {
    pkg: "packages/memberlist",
    mutate: ["src/core/suspicion.ts", "src/core/awareness.ts"],
    tests: ["src/core/**/*.test.ts"],
  },
  "serf-core": {
    pkg: "packages/serf",
    mutate: ["src/core/lamport.ts", "src/core/recent-intents.ts", "src/core/query-filters.ts"],
    tests: ["src/core/**/*.test.ts"],
  },
  "agent-rpc": {
    pkg: "packages/agent",
    mutate: ["src/rpc/rpc-session.ts"],
    // Left out for run time: the Go-CLI suite (spawns Go processes per test) and the fuzz
    // suite (30 s of hostile traffic covers every line, so every mutant would rerun it).
    tests: [
      "src/rpc/rpc-server.test.ts",
      "src/rpc/rpc-server.vectors.test.ts",
      "src/rpc/rpc-session.test.ts",
    ],
  },
};

const args = process.argv.slice(2);
const lines = args.find((a) => a.startsWith("--lines="))?.slice("--lines=".length);
const tests = args.find((a) => a.startsWith("--tests="))?.slice("--tests=".length);
const names = args.filter((a) => !a.startsWith("--"));
const selected = names.length === 0 ? Object.keys(TARGETS) : names;
let failed = false;
for (const name of selected) {
  const target = TARGETS[name];
  if (target === undefined) {
    console.error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "serf-ts-stryker-"));
  const config = join(dir, "stryker.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      testRunner: "vitest",
      plugins: ["@stryker-mutator/vitest-runner"],
      vitest: { configFile: join(here, "vitest.mutate.config.ts") },
      coverageAnalysis: "perTest",
      mutate: lines === undefined ? target.mutate : target.mutate.map((m) => `${m}:${lines}`),
      // biome-ignore lint/suspicious/noUndeclaredEnvVars: a knob of this script only
      concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
      timeoutMS: 10_000,
      reporters: ["clear-text", "progress-append-only", "html", "json"],
      htmlReporter: {
        fileName: join(
          here,
          "reports",
          `${name}${lines ? `-${lines}` : ""}${tests ? "-tests" : ""}.html`,
        ),
      },
      jsonReporter: {
        fileName: join(
          here,
          "reports",
          `${name}${lines ? `-${lines}` : ""}${tests ? "-tests" : ""}.json`,
        ),
      },
      cleanTempDir: true,
      ignorePatterns: ["dist", "coverage", ".turbo"],
    }),
  );
  console.log(`== stryker: ${name} (${target.pkg})`);
  const r = spawnSync(
    process.execPath,
    [join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", config],
    {
      cwd: join(root, target.pkg),
      stdio: "inherit",
      env: { ...process.env, MUTATE_TESTS: tests ?? target.tests.join(",") },
    },
  );
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
