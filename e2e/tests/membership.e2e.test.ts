/**
 * Membership across processes: join and converge, graceful leave (SIGINT) -> `left`, crash
 * (SIGKILL) -> `failed`, on 4-node clusters of Go agents, of our agents, and mixed.
 *
 * Guards:
 * - Go `serf` missing: the variants with a Go node skip with a loud warning (fail under CI=true).
 * - No working serf-ts agent command (see `detectTsAgent()`): the all-TS and mixed variants skip
 *   with the reason printed (fail with SERF_TS_E2E_REQUIRE_TS=1 or CI=true).
 */

import { requireGoSerf, stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster } from "../src/harness/cluster.ts";
import { detectTsAgent } from "../src/harness/implementations.ts";
import {
  crash,
  gracefulLeave,
  joinAndConverge,
  LEAVER,
  MEMBERSHIP_VARIANTS,
  VICTIM,
} from "../src/scenarios/membership.ts";

const haveGo = requireGoSerf();
const ts = await detectTsAgent();
if (ts.available) {
  console.info(`e2e: serf-ts agents run as \`${ts.description}\``);
} else {
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPING e2e all-TS and mixed clusters: ${ts.reason}\n${bar}\n`);
}

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
});

for (const variant of MEMBERSHIP_VARIANTS) {
  const needsGo = variant.impls.includes("go");
  const needsTs = variant.impls.includes("ts");
  const runnable = (!needsGo || haveGo) && (!needsTs || ts.available);

  describe.skipIf(!runnable)(`membership: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };

    beforeAll(async () => {
      cluster = await startCluster({
        impls: variant.impls,
        ...(ts.available ? { tsCommand: ts.command } : {}),
      });
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it("joins and converges", async () => {
      await joinAndConverge(get());
    });

    it(`graceful leave (SIGINT) of node ${LEAVER} is seen as left`, async () => {
      const leaver = await gracefulLeave(get());
      expect(leaver.process.exited).toBe(true);
    });

    it(`SIGKILL of node ${VICTIM} is seen as failed`, async () => {
      const victim = await crash(get());
      expect(victim.process.signalCode).toBe("SIGKILL");
      // The leaver stays `left` (a crash does not rewrite an earlier leave).
      await get().waitForStatus(get().node(LEAVER).name, "left", { timeoutMs: 1000 });
    });
  });
}
