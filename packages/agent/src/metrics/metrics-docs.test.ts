/** The agent README lists every metric the agent, serf and memberlist emit, with Prometheus names. */

import { readFileSync } from "node:fs";
import { MEMBERLIST_METRICS } from "@serf-ts/memberlist";
import { SERF_METRICS } from "@serf-ts/serf";
import { describe, expect, it } from "vitest";
import { AGENT_METRICS } from "./agent-metrics.ts";
import { PROMETHEUS_MAPPINGS, PROMETHEUS_SCRAPE_GAUGES } from "./prometheus-sink.ts";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("agent README, Telemetry", () => {
  it("lists every Go metric name with its kind", () => {
    for (const m of [...MEMBERLIST_METRICS, ...SERF_METRICS, ...AGENT_METRICS]) {
      expect(README, m.key).toMatch(
        new RegExp(`\\| \`${m.key.replace(/[.*]/g, "\\$&")}\` +\\| ${m.kind} `),
      );
    }
  });

  it("lists every Prometheus name, and every mapping has a Go metric", () => {
    const goKeys = new Set(
      [...MEMBERLIST_METRICS, ...SERF_METRICS, ...AGENT_METRICS].map((m) => m.key),
    );
    for (const p of PROMETHEUS_MAPPINGS) {
      expect(README, p.name).toContain(`\`${p.name}\``);
      expect(goKeys.has(p.key), p.key).toBe(true);
    }
    for (const g of PROMETHEUS_SCRAPE_GAUGES) expect(README, g.name).toContain(`\`${g.name}\``);
  });
});
