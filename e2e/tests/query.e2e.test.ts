/**
 * `serf query` with `-node` and `-tag` filters answered by `query:uptime` handlers: only the
 * matching nodes ack and respond, on all-Go (control), all-TS and mixed clusters.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "../src/harness/cluster.ts";
import { e2eEnvironment, removeTempDirs, tempDir } from "../src/harness/suite.ts";
import {
  describeNodes,
  expectedResult,
  normalised,
  QUERY_CASES,
  QUERY_TIMEOUTS,
  QUERY_VARIANTS,
  roleOf,
  runQuery,
  writeUptimeHandler,
} from "../src/scenarios/query.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

for (const variant of QUERY_VARIANTS) {
  describe.skipIf(!env.runnable(variant.impls))(`query filters: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };

    beforeAll(async () => {
      const script = writeUptimeHandler(tempDir("query"));
      cluster = await env.start({
        impls: variant.impls,
        // LAN profile: a query is gossiped, and with local's RetransmitMult 2 it can miss a node
        // entirely (in Go as in ours); LAN's 4 makes that rare.
        agentOptions: { profile: "lan", eventHandlers: [`query:uptime=${script}`] },
        nodeOptions: (index) => ({ tags: { role: roleOf(index) } }),
      });
      await cluster.waitForConvergence(QUERY_TIMEOUTS.convergeMs);
    });

    afterAll(async () => {
      await cluster?.close();
    });

    for (const c of QUERY_CASES) {
      it(`${c.label} (sent via node ${c.via})`, async () => {
        const result = await runQuery(get(), c);
        expect(
          normalised(result),
          `query ${c.label} via node ${c.via} on ${describeNodes(get().nodes)}`,
        ).toEqual(expectedResult(get(), c));
      });
    }
  });
}
