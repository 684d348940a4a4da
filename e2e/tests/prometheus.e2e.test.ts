/**
 * A real Prometheus server (Debian's `prometheus`, on a loopback address, 1 s scrape interval,
 * temporary storage) scrapes three serf-ts agents' `-http-addr` `/metrics`. Through its HTTP
 * API: `up == 1` for every target, each agent reports `serf_members{status="alive"} == 3`;
 * after one agent is SIGKILLed, the two others report `serf_members{status="failed"} == 1`
 * within 30 s (Lifeguard's failure detection under the local profile plus a scrape).
 *
 * Go agents are not scraped: they have no Prometheus endpoint, and their statsd output would
 * need a statsd exporter, which Debian does not ship in this CI image. A missing `prometheus`
 * binary fails under CI=true and skips loudly otherwise.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  eventually,
  freePort,
  type GoAgent,
  randomLoopbackIp,
  randomSuffix,
  spawnTracked,
  startAgent,
  stopAll,
  stopProcess,
  trackedPids,
} from "@serf-ts/testkit";
import { afterAll, describe, expect, it } from "vitest";

const havePrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!havePrometheus) {
  if (process.env.CI === "true")
    throw new Error("prometheus is missing (apt-get install prometheus)");
  console.warn("!!! SKIPPING the Prometheus e2e test: prometheus is not installed");
}

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
});

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(api: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** instance → value of a vector query. */
async function byInstance(api: string, promql: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of await query(api, promql)) out.set(s.metric.instance ?? "", Number(s.value[1]));
  return out;
}

describe.skipIf(!havePrometheus)("Prometheus scrapes serf-ts agents", () => {
  it("up == 1, serf_members alive == 3, then failed == 1 after a SIGKILL", async () => {
    const prefix = `p${randomSuffix()}-`;
    const agents: GoAgent[] = [];
    const targets: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const ip = randomLoopbackIp();
      const http = `${ip}:${await freePort(ip)}`;
      const agent = await startAgent("ts", {
        name: `${prefix}${i}`,
        ip,
        profile: "local",
        logLevel: "info",
        ...(agents[0] === undefined ? {} : { join: [agents[0].bindAddress] }),
        extraArgs: [`-http-addr=${http}`],
      });
      agents.push(agent);
      targets.push(http);
    }

    const dir = mkdtempSync(join(tmpdir(), "serf-ts-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 900ms",
        "scrape_configs:",
        "  - job_name: serf-ts",
        "    static_configs:",
        `      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]`,
        "",
      ].join("\n"),
    );
    const ip = randomLoopbackIp();
    const web = `${ip}:${await freePort(ip)}`;
    const prometheus = spawnTracked(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${web}`,
        "--log.level=warn",
      ],
      { cleanup: [dir] },
    );
    let log = "";
    prometheus.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    prometheus.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const api = `http://${web}`;
    try {
      const allUp = await eventually(
        async () => {
          const up = await byInstance(api, 'up{job="serf-ts"}');
          return targets.every((t) => up.get(t) === 1) ? up : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, describe: () => log },
      );
      expect([...allUp.keys()].sort()).toEqual([...targets].sort());

      await eventually(
        async () => {
          const alive = await byInstance(api, 'serf_members{job="serf-ts",status="alive"}');
          return targets.every((t) => alive.get(t) === 3);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );

      const victim = agents[2] as GoAgent;
      const survivors = targets.slice(0, 2);
      const killedAt = Date.now();
      await victim.kill();
      const failed = await eventually(
        async () => {
          const f = await byInstance(api, 'serf_members{job="serf-ts",status="failed"}');
          return survivors.every((t) => f.get(t) === 1) ? f : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, describe: () => log },
      );
      expect(survivors.map((t) => failed.get(t))).toEqual([1, 1]);
      expect(Date.now() - killedAt).toBeLessThan(30_000);
      // The dead target is reported down.
      await eventually(async () => (await byInstance(api, "up")).get(targets[2] as string) === 0, {
        timeoutMs: 10_000,
      });
    } finally {
      await stopProcess(prometheus);
    }
  }, 120_000);
});
