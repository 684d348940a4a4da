/**
 * `serf event deploy v42` reaches every node's `user:deploy` handler exactly once (and an
 * `other` event none), on all-Go (control), all-TS and mixed clusters. The variants run
 * concurrently: each one mostly waits out a push/pull interval.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { e2eEnvironment, removeTempDirs, tempDir } from "../src/harness/suite.ts";
import {
  deployReachesEveryHandlerOnce,
  USER_EVENT_TIMEOUTS,
  USER_EVENT_VARIANTS,
  writeUserEventHandler,
} from "../src/scenarios/user-event.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

describe("user event with payload", () => {
  for (const variant of USER_EVENT_VARIANTS) {
    it.skipIf(!env.runnable(variant.impls)).concurrent(
      `${variant.label}: deploy v42 reaches every handler exactly once`,
      async () => {
        const dir = tempDir("user-event");
        const script = writeUserEventHandler(dir);
        const cluster = await env.start({
          impls: variant.impls,
          agentOptions: { profile: "local", eventHandlers: [`user:deploy=${script}`] },
        });
        try {
          await cluster.waitForConvergence(USER_EVENT_TIMEOUTS.convergeMs);
          await deployReachesEveryHandlerOnce(cluster, dir);
        } finally {
          await cluster.close();
        }
      },
    );
  }
});
