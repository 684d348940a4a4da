// Cost of telemetry: agent CPU with metrics exported ("on") vs not ("off"), Go serf and serf-ts
// side by side in one run, one implementation and mode at a time, on random 127.x.y.z loopback
// addresses, `lan` profile, `-log-level=warn`.
//
// - off: the default agent (Go and serf-ts both keep the in-memory SIGUSR1 sink and runtime
//   gauges, as Go does);
// - on: `statsd_addr` pointing at a UDP socket of this benchmark, plus for serf-ts
//   `-http-addr`, scraped once a second like a Prometheus server would.
//
// Scenarios: idle (IDLE_N agents joined, CPU over IDLE_WINDOW_MS, per agent) and a join
// (JOIN_N agents started apart, all RPC-join agent 0 at once; CPU of all agents until every one
// lists JOIN_N alive). Run with `pnpm bench:metrics` (after `pnpm build`); prints a markdown
// table and writes bench/results/metrics-<date>.json. A benchmark, not a test.

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentProcess,
  freePort,
  goSerfPath,
  randomLoopbackIp,
  randomSuffix,
  sleep,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";

type Impl = "go" | "ts";
type Mode = "off" | "on";

const CLI_MAIN = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));
const IDLE_N = Number(process.env.BENCH_METRICS_IDLE_N ?? 10);
const JOIN_N = Number(process.env.BENCH_METRICS_JOIN_N ?? 20);
const IDLE_WINDOW_MS = 20_000;
const SETTLE_MS = 3_000;
const START_CONCURRENCY = 8;
const WATCHDOG_MS = 15 * 60_000;
/** What "on" turns on: `statsd`, `http` (scraped every SCRAPE_MS), or both. */
const ON = new Set((process.env.BENCH_METRICS_ON ?? "statsd,http").split(","));
const SCRAPE_MS = Number(process.env.BENCH_METRICS_SCRAPE_MS ?? 1000);
const WITH_JOIN = process.env.BENCH_METRICS_JOIN !== "0";

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

function commandFor(impl: Impl): AgentCommand {
  if (impl === "go") return { label: "go", file: goSerfPath(), args: ["agent"] };
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`pnpm build\` first`);
  return { label: "ts", file: process.execPath, args: [CLI_MAIN, "agent"] };
}

async function rpcReady(agent: AgentProcess): Promise<void> {
  const c = await RpcClient.connect({
    addr: agent.rpcAddress,
    timeoutMs: 5000,
    requestTimeoutMs: 2000,
  });
  try {
    await c.members();
  } finally {
    await c.close();
  }
}

interface Started {
  readonly agents: AgentProcess[];
  readonly httpAddrs: string[];
}

async function startAgents(
  impl: Impl,
  mode: Mode,
  n: number,
  joinSeed: boolean,
  statsd: string,
): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "serf-bench-metrics-"));
  const config = join(dir, "metrics.json");
  writeFileSync(
    config,
    JSON.stringify(mode === "on" && ON.has("statsd") ? { statsd_addr: statsd } : {}),
  );
  const prefix = `m${randomSuffix()}-${impl}-${mode}-`;
  const agents: AgentProcess[] = [];
  const httpAddrs: string[] = [];
  const start = async (i: number, seed: string | undefined): Promise<void> => {
    const ip = randomLoopbackIp();
    const extra = [`-config-file=${config}`];
    if (impl === "ts" && mode === "on" && ON.has("http")) {
      const http = `${ip}:${await freePort(ip)}`;
      extra.push(`-http-addr=${http}`);
      httpAddrs.push(http);
    }
    agents[i] = await startAgentProcess(
      commandFor(impl),
      {
        name: `${prefix}${i}`,
        ip,
        logLevel: "warn",
        startTimeoutMs: 60_000,
        extraArgs: extra,
        ...(seed === undefined ? {} : { join: [seed] }),
      },
      rpcReady,
    );
  };
  await start(0, undefined);
  const seed = joinSeed ? agents[0]?.bindAddress : undefined;
  for (let from = 1; from < n; from += START_CONCURRENCY) {
    const batch: Promise<void>[] = [];
    for (let i = from; i < Math.min(n, from + START_CONCURRENCY); i++) batch.push(start(i, seed));
    await Promise.all(batch);
  }
  return { agents, httpAddrs };
}

/** Scrapes every `/metrics` once a second until stopped (a Prometheus server's load). */
function scrapeLoop(addrs: readonly string[]): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await Promise.allSettled(addrs.map(async (a) => (await fetch(`http://${a}/metrics`)).text()));
      await sleep(SCRAPE_MS);
    }
  })();
  return () => {
    stopped = true;
  };
}

async function aliveEverywhere(agents: readonly AgentProcess[], n: number): Promise<boolean> {
  const counts = await Promise.allSettled(
    agents.map(async (a) => {
      const c = await RpcClient.connect({
        addr: a.rpcAddress,
        timeoutMs: 5000,
        requestTimeoutMs: 5000,
      });
      try {
        return (await c.members()).filter((m) => m.status === "alive").length;
      } finally {
        await c.close();
      }
    }),
  );
  return counts.every((x) => x.status === "fulfilled" && x.value === n);
}

interface Row {
  impl: Impl;
  mode: Mode;
  idleCpuPercentPerAgent: number;
  joinCpuMs: number;
  joinMs: number;
}

async function measure(impl: Impl, mode: Mode, statsd: string): Promise<Row> {
  // Idle.
  const idle = await startAgents(impl, mode, IDLE_N, true, statsd);
  let stopScrape = scrapeLoop(idle.httpAddrs);
  await sleep(SETTLE_MS);
  const before = idle.agents.map((a) => cpuMs(a.pid));
  await sleep(IDLE_WINDOW_MS);
  const used = idle.agents.reduce((sum, a, i) => sum + cpuMs(a.pid) - (before[i] ?? 0), 0);
  stopScrape();
  await stopAll();
  const idleCpuPercentPerAgent = (used / IDLE_N / IDLE_WINDOW_MS) * 100;
  if (!WITH_JOIN) return { impl, mode, idleCpuPercentPerAgent, joinCpuMs: 0, joinMs: 0 };

  // Join.
  const j = await startAgents(impl, mode, JOIN_N, false, statsd);
  stopScrape = scrapeLoop(j.httpAddrs);
  await sleep(SETTLE_MS);
  const seed = j.agents[0] as AgentProcess;
  const cpuBefore = j.agents.map((a) => cpuMs(a.pid));
  const t0 = Date.now();
  await Promise.all(
    j.agents.slice(1).map(async (a) => {
      const c = await RpcClient.connect({
        addr: a.rpcAddress,
        timeoutMs: 5000,
        requestTimeoutMs: 30_000,
      });
      try {
        // A loaded machine can time a push/pull out: retry, as retry_join would.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.join([seed.bindAddress]);
            break;
          } catch (err) {
            if (attempt >= 5) throw err;
          }
        }
      } finally {
        await c.close();
      }
    }),
  );
  while (!(await aliveEverywhere(j.agents, JOIN_N))) {
    if (Date.now() - t0 > 120_000) throw new Error(`${impl}/${mode}: join did not converge`);
    await sleep(100);
  }
  const joinMs = Date.now() - t0;
  const joinCpuMs = j.agents.reduce((sum, a, i) => sum + cpuMs(a.pid) - (cpuBefore[i] ?? 0), 0);
  stopScrape();
  await stopAll();
  return { impl, mode, idleCpuPercentPerAgent, joinCpuMs, joinMs };
}

const watchdog = setTimeout(() => {
  void stopAll().finally(() => process.exit(2));
}, WATCHDOG_MS);
watchdog.unref();

const udp = createSocket("udp4");
const udpIp = randomLoopbackIp();
await new Promise<void>((resolve) => udp.bind(0, udpIp, () => resolve()));
let udpBytes = 0;
udp.on("message", (m) => {
  udpBytes += m.length;
});
const statsd = `${udpIp}:${udp.address().port}`;

const impls = (process.env.BENCH_METRICS_IMPLS ?? "go,ts").split(",") as Impl[];
const rows: Row[] = [];
try {
  for (const impl of impls) {
    for (const mode of ["off", "on"] as const) {
      const row = await measure(impl, mode, statsd);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await stopAll();
  udp.close();
}

const fmt = (v: number, d = 2): string => v.toFixed(d);
console.log(`\nstatsd bytes received: ${udpBytes}`);
console.log(
  "\n| impl | metrics | idle CPU per agent (% of a core, N=" +
    IDLE_N +
    ") | join N=" +
    JOIN_N +
    ": CPU of all agents (ms) | join time (ms) |",
);
console.log("| --- | --- | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.impl} | ${r.mode} | ${fmt(r.idleCpuPercentPerAgent)} | ${Math.round(r.joinCpuMs)} | ${r.joinMs} |`,
  );
}
mkdirSync(RESULTS_DIR, { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  join(RESULTS_DIR, `metrics-${date}.json`),
  `${JSON.stringify({ date, idleN: IDLE_N, joinN: JOIN_N, idleWindowMs: IDLE_WINDOW_MS, rows }, null, 2)}\n`,
);
process.exit(0);
