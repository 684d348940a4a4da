/**
 * At-least-once event handling across SIGKILL (issue 16 §1), on a serf-ts victim (the
 * guarantee is ours; Go 0.9.4 loses events here, measured in the control run and printed).
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, describe, expect, it } from "vitest";
import type { Cluster } from "../src/harness/cluster.ts";
import type { Impl } from "../src/harness/implementations.ts";
import { e2eEnvironment, removeTempDirs, tempDir } from "../src/harness/suite.ts";
import {
  type CrashRunResult,
  crashAndRestart,
  writeDurableHandler,
} from "../src/scenarios/durable-handlers.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

async function withCluster<T>(
  impls: readonly Impl[],
  fn: (cluster: Cluster, dir: string) => Promise<T>,
): Promise<T> {
  const dir = tempDir("durable");
  const handler = writeDurableHandler(dir);
  // The lan profile: its 10 s TCP timeout lets the restarted victim's snapshot re-join succeed on a
  // loaded machine, where the local profile's 1 s timed out (seen at load 30: the victim stayed
  // alone and the assertions then measured a failed re-join, not the journal).
  const cluster = await env.start({
    impls,
    nodeOptions: (index) =>
      index === 1
        ? { profile: "lan", snapshot: `${dir}/victim.snapshot`, eventHandlers: [handler] }
        : { profile: "lan" },
  });
  try {
    await cluster.waitForConvergence(20_000);
    return await fn(cluster, dir);
  } finally {
    await cluster.close();
  }
}

function line(label: string, r: CrashRunResult): string {
  return `${label}: sent ${r.sent}, accepted ${r.accepted}, handled before kill ${r.handledBeforeKill}, handled in all ${r.handledDistinct}, lost ${r.lost}, duplicates ${r.duplicates}, member-update accepted ${r.memberUpdateAccepted} handled ${r.memberUpdateHandled}`;
}

/**
 * 150 events, 30 ms each, SIGKILL once all are received (about 120 waiting). `settleMs` bounds
 * the wait for the restarted victim to handle them (about 5 s on a quiet machine; a handler spawn
 * took over 1 s at load 30, so the bound is generous: the wait ends as soon as all are handled).
 */
const FLOOD = { events: 150, settleMs: 60_000 };

describe.skipIf(!env.runnable(["go", "ts"]))(
  "durable event handlers: SIGKILL with events queued",
  () => {
    it("a serf-ts agent restarted from its snapshot handles every accepted event, at most one twice", async () => {
      const r = await withCluster(["go", "ts"], (cluster, dir) =>
        crashAndRestart(cluster, { dir, prefix: "q", ...FLOOD }),
      );
      console.info(line("serf-ts victim", r));
      expect(r.accepted).toBe(FLOOD.events);
      // The crash really left most events queued.
      expect(r.handledBeforeKill).toBeLessThan(FLOOD.events / 2);
      expect(r.lostNames).toEqual([]);
      expect(r.duplicates).toBeLessThanOrEqual(1);
      expect(r.memberUpdateHandled, r.updateLines.join("\n")).toBe(true);
    }, 150_000);

    it("kill -9 at 5 seeded random points, one after another on the same agent", async () => {
      // Seeded: the same kill points every run (mulberry32).
      let seed = Number(process.env.DURABLE_SEED ?? 16);
      const random = (): number => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = seed;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const results = await withCluster(["go", "ts"], async (cluster, dir) => {
        const out: CrashRunResult[] = [];
        for (let i = 0; i < 5; i++) {
          // 60 events take about 3 s to handle: kill anywhere from the first send to the end.
          const killAfterMs = Math.round(random() * 3000);
          const r = await crashAndRestart(cluster, {
            dir,
            prefix: `r${i}-`,
            events: 60,
            killAfterMs,
            settleMs: 40_000,
          });
          console.info(line(`kill point ${i} (${killAfterMs} ms)`, r));
          out.push(r);
        }
        return out;
      });
      for (const r of results) {
        expect(r.lostNames).toEqual([]);
        expect(r.duplicates).toBeLessThanOrEqual(1);
        expect(r.memberUpdateHandled).toBe(true);
      }
    }, 300_000);
  },
);

describe.skipIf(!env.runnable(["go"]))(
  "durable event handlers: Go 0.9.4 (control, not asserted)",
  () => {
    it("prints what a Go agent loses in the same crash", async () => {
      const r = await withCluster(["go", "go"], (cluster, dir) =>
        // Go logs "Received event" only as it runs the handler: kill by time instead.
        crashAndRestart(cluster, {
          dir,
          prefix: "g",
          events: FLOOD.events,
          killAfterMs: 1500,
          settleMs: 8000,
          requireRejoin: false,
        }),
      );
      console.info(line("Go victim (control)", r));
      console.info(`Go victim (control): ${r.sent - r.handledDistinct} of ${r.sent} never handled`);
      // Printed for comparison only: Go's numbers depend on timing and are not asserted.
      expect(r.sent).toBe(FLOOD.events);
    }, 90_000);
  },
);
