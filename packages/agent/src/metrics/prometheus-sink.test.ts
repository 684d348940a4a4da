/** Go keys → Prometheus metrics: names, units, bounded label values, unknown keys ignored. */

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { PrometheusSink, registerClusterGauges } from "./prometheus-sink.ts";

describe("PrometheusSink", () => {
  it("maps counters, byte counters and ms timers (to seconds)", async () => {
    const registry = new Registry();
    const sink = new PrometheusSink(registry);
    sink.incrCounter(["serf", "member", "join"], 1);
    sink.incrCounter(["memberlist", "udp", "sent"], 120);
    sink.addSample(["memberlist", "probeNode"], 250);
    sink.incrCounter(["runtime", "whatever"], 1); // no mapping: ignored
    sink.setGauge(["memberlist", "health", "score"], 3); // read at scrape time instead
    const text = await registry.metrics();
    expect(text).toMatch(/^serf_member_join_total 1$/m);
    expect(text).toMatch(/^memberlist_udp_sent_bytes_total 120$/m);
    expect(text).toMatch(/^memberlist_probe_node_seconds_sum 0\.25$/m);
    expect(text).toMatch(/^memberlist_probe_node_seconds_bucket\{le="0\.25"\} 1$/m);
    expect(text).not.toMatch(/runtime/);
  });

  it("keeps at most 100 event names as label values, the rest under _other", async () => {
    const registry = new Registry();
    const sink = new PrometheusSink(registry);
    for (let i = 0; i < 150; i++) sink.incrCounter(["serf", "events", `e${i}`], 1);
    sink.incrCounter(["serf", "events", "e1"], 1);
    const text = await registry.metrics();
    const series = text.split("\n").filter((l) => l.startsWith("serf_events_by_name_total{"));
    expect(series).toHaveLength(101);
    expect(text).toMatch(/^serf_events_by_name_total\{name="_other"\} 50$/m);
    expect(text).toMatch(/^serf_events_by_name_total\{name="e1"\} 2$/m);
  });

  it("reads member counts by status and queue depths at scrape time", async () => {
    const registry = new Registry();
    let members = [{ status: "alive" }, { status: "alive" }, { status: "failed" }];
    registerClusterGauges(registry, () => ({
      members: () => members,
      stats: () => ({ healthScore: 1, intentQueue: 2, eventQueue: 3, queryQueue: 4 }),
    }));
    let text = await registry.metrics();
    expect(text).toMatch(/^serf_members\{status="alive"\} 2$/m);
    expect(text).toMatch(/^serf_members\{status="failed"\} 1$/m);
    expect(text).toMatch(/^serf_members\{status="left"\} 0$/m);
    expect(text).toMatch(/^serf_event_queue_depth 3$/m);
    expect(text).toMatch(/^memberlist_health_score 1$/m);
    members = [{ status: "alive" }];
    text = await registry.metrics();
    expect(text).toMatch(/^serf_members\{status="failed"\} 0$/m);
  });
});
