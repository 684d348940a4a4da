/**
 * 50 serf-ts agents (started in parallel batches of 10) converge: every agent lists 50 alive
 * within bounded time. Timings are printed.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { e2eEnvironment } from "../src/harness/suite.ts";
import { LARGE, startAndConverge } from "../src/scenarios/large-cluster.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
});

describe.skipIf(!env.runnable(["ts"]))(`${LARGE.size}-agent all-TS cluster`, () => {
  it(
    `converges: every agent lists ${LARGE.size} alive within ${LARGE.totalMs} ms`,
    async () => {
      const run = await startAndConverge(env);
      try {
        console.info(
          `e2e: ${LARGE.size} TS agents up in ${run.startedMs} ms, converged at ${run.convergedMs} ms`,
        );
        expect(run.cluster.running()).toHaveLength(LARGE.size);
        expect(run.convergedMs).toBeLessThan(LARGE.totalMs);
      } finally {
        await run.cluster.close();
      }
    },
    LARGE.totalMs + 30_000,
  );
});
