/** The side-by-side result table the fault suite prints (Markdown, for the README). */

import type { ChaosResult, LossResult, Variant } from "./scenarios.ts";

interface Row {
  loss?: LossResult;
  lossError?: string;
  chaos?: ChaosResult;
  chaosError?: string;
}

const s = (ms: number | undefined) => (ms === undefined ? "never" : `${(ms / 1000).toFixed(1)} s`);

function rssRange(values: readonly number[]): string {
  if (values.length === 0) return "-";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

/** One Markdown table: a row per measure, a column per variant. */
export function formatTable(
  variants: readonly Variant[],
  results: ReadonlyMap<string, Row>,
  wallMs: number,
  d: { loss10Ms: number; loss25Ms: number; floodEvents: number; floodMs: number; fuzzMs: number },
): string {
  const rows: Array<[string, (r: Row) => string]> = [
    [
      `false failures, 10% loss, ${d.loss10Ms / 60_000} min`,
      (r) => `${r.loss?.falseFailures10 ?? r.lossError ?? "-"}`,
    ],
    [
      `false failures, 25% loss, ${d.loss25Ms / 60_000} min`,
      (r) => `${r.loss?.falseFailures25 ?? "-"}`,
    ],
    ["partition 4+4: side A lists B failed", (r) => s(r.chaos?.detectAms)],
    ["partition 4+4: side B lists A failed", (r) => s(r.chaos?.detectBms)],
    ["partition 4+4: slowest viewer (impl-index)", (r) => r.chaos?.slowestViewer ?? "-"],
    ["after heal: all 8 alive everywhere", (r) => s(r.chaos?.healMs)],
    [
      `flood ${d.floodEvents} events / ${d.floodMs / 1000} s, 5 nodes: missing / duplicate handlings`,
      (r) =>
        r.chaos === undefined
          ? (r.chaosError ?? "-")
          : `${r.chaos.floodMissing} / ${r.chaos.floodDuplicates}`,
    ],
    [
      "flood: backlog handled everywhere, after the last send",
      (r) => (r.chaos === undefined ? "-" : s(r.chaos.floodDrainMs)),
    ],
    [
      "flood: peak RSS, MiB (Go / TS agents)",
      (r) =>
        r.chaos === undefined
          ? "-"
          : [r.chaos.floodPeakRssMiB.go, r.chaos.floodPeakRssMiB.ts]
              .map((x) => x ?? "-")
              .join(" / "),
    ],
    [
      `fuzz ${d.fuzzMs / 1000} s: survivors whole / agents that died`,
      (r) =>
        r.chaos === undefined
          ? "-"
          : `${r.chaos.fuzzWhole ? "yes" : "NO"} / ${
              r.chaos.fuzzDied.length === 0
                ? "none"
                : r.chaos.fuzzDied.map((n) => n.impl).join(", ")
            }`,
    ],
    [
      "fuzz: RSS before → 10 s after, MiB (Go / TS agents)",
      (r) => {
        if (r.chaos === undefined) return "-";
        const part = (impl: string) => {
          const ns =
            r.chaos?.fuzzRss.filter(
              (n) => n.impl === impl && !r.chaos?.fuzzDied.some((x) => x.name === n.name),
            ) ?? [];
          if (ns.length === 0) return "-";
          return `${rssRange(ns.map((n) => n.before))} → ${rssRange(ns.map((n) => n.after))}`;
        };
        return `${part("go")} / ${part("ts")}`;
      },
    ],
  ];
  const header = `| Scenario | ${variants.map((v) => v.label).join(" | ")} |`;
  const sep = `| --- | ${variants.map(() => "---:").join(" | ")} |`;
  const body = rows.map(
    ([label, f]) =>
      `| ${label} | ${variants.map((v) => f(results.get(v.key) ?? {})).join(" | ")} |`,
  );
  const fuzzNote = variants
    .map((v) => results.get(v.key)?.chaos?.fuzzDescription)
    .find((x) => x !== undefined);
  return [
    "",
    `fault suite: ${(wallMs / 1000).toFixed(0)} s wall for all three variants`,
    header,
    sep,
    ...body,
    fuzzNote === undefined ? "" : `fuzz per variant: ${fuzzNote}`,
    "",
  ].join("\n");
}
