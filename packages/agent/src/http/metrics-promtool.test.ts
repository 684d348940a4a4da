/**
 * `GET /metrics` of a running agent passes `promtool check metrics` (Prometheus's own linter,
 * Debian's `prometheus` package) and carries the Prometheus-named serf metrics with their
 * values: two in-process agents, a join, a user event, a query. Without `promtool` the test
 * fails under CI=true and is skipped loudly otherwise.
 */

import { spawnSync } from "node:child_process";
import { randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent.ts";
import type { AgentConfig } from "../config/agent-config.ts";
import { testConfig } from "../agent-test-config.harness.ts";

const promtool = spawnSync("promtool", ["--version"]).status === 0;
if (!promtool) {
  if (process.env.CI === "true")
    throw new Error("promtool is missing (apt-get install prometheus)");
  console.warn("!!! SKIPPING promtool checks: promtool is not installed");
}

const running = new Set<Agent>();
afterEach(async () => {
  await Promise.all([...running].map((a) => a.shutdown()));
  running.clear();
});

async function start(config: AgentConfig): Promise<Agent> {
  const agent = await Agent.create(config, {
    handlerDrainMs: 0,
    metrics: { runtimeIntervalMs: 0 },
  });
  running.add(agent);
  return agent;
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(!promtool)("/metrics", () => {
  it("passes `promtool check metrics` and reports the cluster under Prometheus names", async () => {
    const a = await start(await testConfig("a", { httpAddr: `${randomLoopbackIp()}:0` }));
    const b = await start(await testConfig("b"));
    await b.join([a.bindAddr], false);
    await until(() => a.serf.members().filter((m) => m.status === "alive").length === 2);
    a.userEvent("deploy", new TextEncoder().encode("v1"), false);
    a.serf.query("ping", new Uint8Array(0), { requestAck: true, timeoutMs: 2000 });
    await until(async () => {
      const text = await (await fetch(`http://${a.httpAddress}/metrics`)).text();
      return (value(text, "serf_query_acks_total") ?? 0) >= 2;
    });

    const text = await (await fetch(`http://${a.httpAddress}/metrics`)).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`).toBe("");
    expect(check.status).toBe(0);

    expect(value(text, 'serf_members{status="alive"}')).toBe(2);
    expect(value(text, 'serf_members{status="failed"}')).toBe(0);
    expect(value(text, "serf_member_join_total")).toBe(2);
    expect(value(text, "serf_events_total")).toBe(1);
    expect(value(text, 'serf_events_by_name_total{name="deploy"}')).toBe(1);
    expect(value(text, 'serf_queries_by_name_total{name="ping"}')).toBe(1);
    expect(value(text, "memberlist_health_score")).toBe(0);
    expect(value(text, "serf_event_queue_depth")).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^# TYPE memberlist_probe_node_seconds histogram$/m);
    expect(value(text, "memberlist_udp_sent_bytes_total")).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });
});
