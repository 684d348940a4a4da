/**
 * The "live node list" handler pattern (member-join/leave/failed rewrite a file of alive
 * members from the events' stdin): after joins, a leave and a kill, each running node's file
 * equals the alive members. All-TS and mixed clusters.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "../src/harness/cluster.ts";
import { e2eEnvironment, removeTempDirs, tempDir } from "../src/harness/suite.ts";
import {
  filesMatchAliveMembers,
  LEAVER,
  LIVE_TIMEOUTS,
  LIVE_VARIANTS,
  roleOf,
  VICTIM,
  writeLiveListHandler,
} from "../src/scenarios/live-members.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

for (const variant of LIVE_VARIANTS) {
  describe.skipIf(!env.runnable(variant.impls))(`live node list: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };

    beforeAll(async () => {
      const script = writeLiveListHandler(tempDir("live"));
      cluster = await env.start({
        impls: variant.impls,
        agentOptions: {
          profile: "local",
          eventHandlers: [`member-join,member-leave,member-failed=${script}`],
        },
        nodeOptions: (index) => ({ tags: { role: roleOf(index) } }),
      });
      await cluster.waitForConvergence(LIVE_TIMEOUTS.convergeMs);
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it("after the start-up joins, every file lists every node", async () => {
      await filesMatchAliveMembers(get());
    });

    it("a late join (a TS node) is added to every file", async () => {
      const c = get();
      const index = c.nodes.length;
      await c.add("ts", { tags: { role: roleOf(index) } });
      await filesMatchAliveMembers(c);
    });

    it(`node ${LEAVER} leaves (SIGINT), node ${VICTIM} is killed: both drop out of every file`, async () => {
      const c = get();
      await c.node(LEAVER).leave();
      await c.node(VICTIM).crash();
      await filesMatchAliveMembers(c);
    });
  });
}
