/**
 * The telemetry scenario of issue 13: two agents (agent 1 sends its metrics to a listener), a
 * user event and a query through agent 1, then agent 2 is SIGKILLed and agent 1 marks it
 * failed. Returns the metric keys agent 1 sent.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  eventually,
  type GoAgent,
  type Impl,
  randomSuffix,
  sleep,
  startAgent,
} from "@serf-ts/testkit";
import type { StatsListener } from "./stats-listener.ts";

/** The names a Go agent sent in this scenario (issue 13), without the `serf-agent.` prefix. */
export const REQUIRED_NAMES: readonly string[] = [
  "agent.ipc.accept",
  "agent.ipc.command",
  "memberlist.degraded.probe",
  "memberlist.gossip",
  "memberlist.msg.alive",
  "memberlist.msg.dead",
  "memberlist.msg.suspect",
  "memberlist.probeNode",
  "memberlist.tcp.accept",
  "memberlist.tcp.sent",
  "memberlist.udp.received",
  "memberlist.udp.sent",
  "serf.coordinate.adjustment-ms",
  "serf.events",
  "serf.events.deploy",
  "serf.member.failed",
  "serf.member.join",
  "serf.msgs.received",
  "serf.msgs.sent",
  "serf.queries",
  "serf.queries.ping",
  "serf.query_acks",
];

/** Gauges carry the host name after the prefix (`serf-agent.<host>.memberlist.health.score`). */
export const REQUIRED_GAUGES: readonly string[] = ["memberlist.health.score"];

/** Runs the scenario with agents of `impl`; `configKey` is `statsd_addr` or `statsite_addr`. */
export async function runTelemetryScenario(
  impl: Impl,
  configKey: "statsd_addr" | "statsite_addr",
  listener: StatsListener,
  hostName: string,
): Promise<{ keys: Set<string>; agents: GoAgent[] }> {
  const dir = mkdtempSync(join(tmpdir(), "serf-ts-telemetry-"));
  const config = join(dir, "telemetry.json");
  writeFileSync(config, JSON.stringify({ [configKey]: listener.address }));
  const prefix = `t${randomSuffix()}-`;
  const agents: GoAgent[] = [];
  try {
    const a = await startAgent(impl, {
      name: `${prefix}1`,
      profile: "local",
      extraArgs: [`-config-file=${config}`],
    });
    agents.push(a);
    const b = await startAgent(impl, {
      name: `${prefix}2`,
      profile: "local",
      join: [a.bindAddress],
    });
    agents.push(b);
    await eventually(
      async () => (await a.members()).filter((m) => m.status === "alive").length === 2,
      {
        timeoutMs: 10_000,
      },
    );
    await a.cli(["event", "deploy", "v1"]);
    await a.cli(["query", "-timeout=2s", "ping"]);
    await b.kill();
    await eventually(
      async () => (await a.members()).some((m) => m.name === b.name && m.status === "failed"),
      { timeoutMs: 20_000 },
    );
    const wanted = [
      ...REQUIRED_NAMES.map((n) => `serf-agent.${n}`),
      ...REQUIRED_GAUGES.map((n) => `serf-agent.${hostName}.${n}`),
    ];
    // Sinks flush every 100 ms; allow a few flushes on a loaded machine.
    await eventually(() => wanted.every((k) => listener.keys().has(k)), { timeoutMs: 3000 }).catch(
      () => undefined,
    );
    await sleep(200);
    return { keys: listener.keys(), agents };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
