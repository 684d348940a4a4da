/**
 * `serf tags -set` / `-delete` on one node shows in `serf members -format=json` on every node,
 * on all-Go (control), all-TS and mixed clusters (a TS and a Go node each update their tags).
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster, ClusterNode } from "../src/harness/cluster.ts";
import { e2eEnvironment } from "../src/harness/suite.ts";
import {
  INITIAL_TAGS,
  setTags,
  TAGS_TIMEOUTS,
  TAGS_VARIANTS,
  waitForTags,
} from "../src/scenarios/tags.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
});

for (const variant of TAGS_VARIANTS) {
  describe.skipIf(!env.runnable(variant.impls))(`tags: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };
    /** Current expected tags per node name. */
    const expected = new Map<string, Record<string, string>>();
    const tagsOf = (n: ClusterNode): Record<string, string> =>
      expected.get(n.name) ?? { ...INITIAL_TAGS };

    beforeAll(async () => {
      cluster = await env.start({
        impls: variant.impls,
        agentOptions: { profile: "local", tags: INITIAL_TAGS },
      });
      await cluster.waitForConvergence(TAGS_TIMEOUTS.convergeMs);
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it("every node lists the initial tags of every node", async () => {
      const c = get();
      await waitForTags(c, c.node(0), { ...INITIAL_TAGS }, tagsOf);
    });

    it("serf tags -set role=db on node 1 is seen everywhere", async () => {
      const c = get();
      const n = c.node(1);
      await setTags(n, ["-set", "role=db", "-set", "rack=r2"]);
      expected.set(n.name, { role: "db", dc: "east", rack: "r2" });
      await waitForTags(c, n, tagsOf(n), tagsOf);
    });

    it("serf tags -delete on the last node is seen everywhere", async () => {
      const c = get();
      const n = c.node(c.nodes.length - 1);
      await setTags(n, ["-delete", "dc", "-set", "role=cache"]);
      expected.set(n.name, { role: "cache" });
      await waitForTags(c, n, tagsOf(n), tagsOf);
    });
  });
}
