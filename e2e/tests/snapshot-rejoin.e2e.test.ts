/**
 * SIGKILL -> `failed` -> restart the same node with its `-snapshot` and no `-join` -> `alive`
 * everywhere again, on all-Go (control), all-TS and both mixed shapes.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "../src/harness/cluster.ts";
import { e2eEnvironment, removeTempDirs, tempDir } from "../src/harness/suite.ts";
import {
  killVictim,
  restartFromSnapshot,
  SNAPSHOT_TIMEOUTS,
  SNAPSHOT_VARIANTS,
  snapshotPath,
  VICTIM,
} from "../src/scenarios/snapshot-rejoin.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

for (const variant of SNAPSHOT_VARIANTS) {
  describe.skipIf(!env.runnable(variant.impls))(`snapshot rejoin: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };

    beforeAll(async () => {
      const dir = tempDir("snapshot");
      cluster = await env.start({
        impls: variant.impls,
        nodeOptions: (index) => ({ profile: "local", snapshot: snapshotPath(dir, index) }),
      });
      await cluster.waitForConvergence(SNAPSHOT_TIMEOUTS.convergeMs);
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it(`SIGKILL of node ${VICTIM} is seen as failed and leaves a snapshot`, async () => {
      const snapshot = await killVictim(get());
      expect(snapshot).toMatch(/^alive: /m);
      expect(snapshot).not.toMatch(/^leave$/m);
    });

    it(`node ${VICTIM} restarted with its snapshot and no -join is alive everywhere`, async () => {
      const log = await restartFromSnapshot(get());
      expect(log).toMatch(/Re-joined to previously known node/);
    });
  });
}
