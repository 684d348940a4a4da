// Load benchmark (issue 17): what a fresh N=50 join costs, what a warm agent spends per event,
// RPC `members` throughput and event-handler lag on a loaded machine, Go serf beside serf-ts in
// ONE run, printing TS/Go ratios against the issue's targets.
//
// - Join (REPEATS times, Go and serf-ts alternating which goes first): N agents start without
//   `-join`, then all but node 0 RPC-join node 0 at once. Every node's `members` is polled every
//   50 ms. A node that has not listed N alive STRAGGLER_MS after 90% of the nodes did is a
//   straggler (it missed the gossiped joins and waits for a periodic push/pull, up to 60 s at
//   N=50, in Go as in serf-ts): counted apart. Convergence = when the last non-straggler listed N
//   alive; CPU = utime+stime of all N agents from the first join request to that moment.
// - Per-event CPU: the last repeat's two clusters stay up; after WARM_EVENTS events each (warm
//   code), EVENTS user events (coalesce=false, paced) go to both clusters at once; their CPU
//   minus an idle window of the same length, per event and per agent.
// - RPC `members` on one connection of each cluster, alternating 1 s windows.
// - Handler lag: one agent per implementation with a `user` handler appending the wall clock
//   to a file, BUSY busy loops beside; an event every second, alternating; lag = handler's
//   clock minus the clock when the `event` RPC was sent.
//
// Run: `pnpm bench:load` (about 8 minutes). A benchmark, not a test. Environment:
// BENCH_LOAD_N (50), BENCH_LOAD_REPEATS (5), BENCH_LOAD_BUSY (20), BENCH_LOAD_JOIN_ONLY=1 (the
// joins only), BENCH_CLUSTER_TS_NODE_ARGS
// (extra node flags for serf-ts agents, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentProcess,
  goSerfPath,
  randomSuffix,
  sleep,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";

type Impl = "go" | "ts";

const CLI_MAIN = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
const N = Number(process.env.BENCH_LOAD_N ?? 50);
const REPEATS = Number(process.env.BENCH_LOAD_REPEATS ?? 5);
const BUSY = Number(process.env.BENCH_LOAD_BUSY ?? 20);
const STRAGGLER_MS = 10_000;
const JOIN_TIMEOUT_MS = 90_000;
const WARM_EVENTS = 200;
const EVENTS = 500;
const EVENT_RATE = 50; // per second, per cluster
const MEMBERS_WINDOWS = 3;
const LAG_EVENTS = 9;
const START_CONCURRENCY = 8;
const POLL_MS = 100;
/** BENCH_LOAD_JOIN_ONLY=1: the joins only (e.g. to compare node flags for serf-ts agents). */
const JOIN_ONLY = process.env.BENCH_LOAD_JOIN_ONLY === "1";
const PROFILING = (process.env.BENCH_CLUSTER_TS_NODE_ARGS ?? "").includes("--cpu-prof");
const WATCHDOG_MS = 25 * 60_000;
const HZ = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function commandFor(impl: Impl): AgentCommand {
  if (impl === "go") return { label: "go", file: goSerfPath(), args: ["agent"] };
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`pnpm build\` first`);
  const nodeArgs = (process.env.BENCH_CLUSTER_TS_NODE_ARGS ?? "").split(" ").filter((a) => a);
  return { label: "ts", file: process.execPath, args: [...nodeArgs, CLI_MAIN, "agent"] };
}

const median = (values: readonly number[]): number => {
  const s = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** CPU (user + system, all threads, exited ones included) of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / HZ) * 1000;
}

interface Node {
  readonly agent: AgentProcess;
  readonly rpc: RpcClient;
}
interface Cluster {
  readonly impl: Impl;
  readonly nodes: Node[];
}

const live = new Set<AgentProcess>();
const busyLoops = new Set<ChildProcess>();

async function rpcReady(agent: AgentProcess): Promise<void> {
  const client = await RpcClient.connect({
    addr: agent.rpcAddress,
    timeoutMs: 1000,
    requestTimeoutMs: 2000,
  });
  try {
    await client.members();
  } finally {
    await client.close();
  }
}

async function startAgent(
  impl: Impl,
  name: string,
  eventHandlers?: readonly string[],
): Promise<AgentProcess> {
  const agent = await startAgentProcess(
    commandFor(impl),
    {
      name,
      logLevel: "warn",
      startTimeoutMs: 120_000,
      ...(eventHandlers === undefined ? {} : { eventHandlers }),
    },
    rpcReady,
  );
  live.add(agent);
  return agent;
}

/** N agents, not joined, one RPC connection each. */
async function startCluster(impl: Impl, n: number): Promise<Cluster> {
  const prefix = `l${randomSuffix()}-${impl}-`;
  const agents: AgentProcess[] = [];
  for (let from = 0; from < n; from += START_CONCURRENCY) {
    const batch = [];
    for (let i = from; i < Math.min(n, from + START_CONCURRENCY); i++) {
      batch.push(
        startAgent(impl, `${prefix}${i}`).then((a) => {
          agents[i] = a;
        }),
      );
    }
    const settled = await Promise.allSettled(batch);
    for (const r of settled) if (r.status === "rejected") throw r.reason;
  }
  const nodes = await Promise.all(
    agents.map(async (agent) => ({
      agent,
      rpc: await RpcClient.connect({
        addr: agent.rpcAddress,
        timeoutMs: 5000,
        requestTimeoutMs: 20_000,
      }),
    })),
  );
  return { impl, nodes };
}

async function closeCluster(cluster: Cluster | undefined): Promise<void> {
  if (cluster === undefined) return;
  await Promise.allSettled(cluster.nodes.map((n) => n.rpc.close()));
  await Promise.allSettled(
    cluster.nodes.map(async (n) => {
      // With --cpu-prof, a clean exit (SIGTERM) writes the profile; otherwise SIGKILL.
      if (PROFILING) await n.agent.stop("SIGTERM", 20_000);
      else await n.agent.kill();
      live.delete(n.agent);
    }),
  );
}

const clusterCpuMs = (c: Cluster): number => c.nodes.reduce((s, n) => s + cpuMs(n.agent.pid), 0);

interface JoinRun {
  readonly impl: Impl;
  /** When the last non-straggler listed N alive (ms since the first join request). */
  readonly convergedMs: number;
  readonly stragglers: number;
  /** CPU of all agents from the first join request to `convergedMs`. */
  readonly cpuMs: number;
}

async function joinRun(cluster: Cluster): Promise<JoinRun> {
  const n = cluster.nodes.length;
  const seed = cluster.nodes[0]!.agent.bindAddress;
  const cpu0 = clusterCpuMs(cluster);
  const t0 = performance.now();
  const joins = cluster.nodes.slice(1).map((node) =>
    node.rpc.join([seed], { timeoutMs: 30_000 }).catch((e: unknown) => {
      console.warn(`  ${cluster.impl}: join from ${node.agent.name} failed: ${String(e)}`);
    }),
  );
  const at: (number | undefined)[] = cluster.nodes.map(() => undefined);
  let lastCpu = Number.NaN;
  let p90At: number | undefined;
  for (;;) {
    let newlyConverged = false;
    await Promise.all(
      cluster.nodes.map(async (node, i) => {
        if (at[i] !== undefined) return;
        const stats = await node.rpc.stats();
        const serf = stats.get("serf");
        if (Number(serf?.get("members")) === n && Number(serf?.get("failed")) === 0) {
          at[i] = performance.now() - t0;
          newlyConverged = true;
        }
      }),
    );
    // CPU sampled right after the poll that saw the latest node converge.
    if (newlyConverged) lastCpu = clusterCpuMs(cluster) - cpu0;
    const done = at.filter((t) => t !== undefined).length;
    const now = performance.now() - t0;
    if (p90At === undefined && done >= Math.ceil(0.9 * n)) p90At = now;
    if (done === n) break;
    if (p90At !== undefined && now - p90At > STRAGGLER_MS) break;
    if (now > JOIN_TIMEOUT_MS) throw new Error(`${cluster.impl} join: only ${done}/${n} in time`);
    await sleep(POLL_MS);
  }
  await Promise.all(joins);
  const converged = at.filter((t): t is number => t !== undefined);
  return {
    impl: cluster.impl,
    convergedMs: Math.max(...converged),
    stragglers: n - converged.length,
    cpuMs: lastCpu,
  };
}

/** `count` user events at EVENT_RATE per second into each cluster at once. */
async function sendEvents(clusters: readonly Cluster[], count: number, tag: string): Promise<void> {
  const payload = new TextEncoder().encode("x".repeat(32));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await Promise.all(
      clusters.map((c) => c.nodes[i % c.nodes.length]!.rpc.userEvent(`${tag}${i}`, payload, false)),
    );
    const due = t0 + ((i + 1) * 1000) / EVENT_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/** Per-event CPU per agent (µs), both clusters loaded at the same time. */
async function perEventCpu(clusters: readonly Cluster[]): Promise<Record<Impl, number>> {
  await sendEvents(clusters, WARM_EVENTS, `warm-${randomSuffix()}-`);
  await sleep(3_000);
  const windowMs = (EVENTS / EVENT_RATE) * 1000 + 3_000;
  const idle0 = clusters.map(clusterCpuMs);
  const ti = performance.now();
  await sleep(windowMs);
  const idleRate = clusters.map((c, i) => (clusterCpuMs(c) - idle0[i]!) / (performance.now() - ti));
  const busy0 = clusters.map(clusterCpuMs);
  const tb = performance.now();
  await sendEvents(clusters, EVENTS, `ev-${randomSuffix()}-`);
  await sleep(3_000); // the last events' gossip
  const elapsed = performance.now() - tb;
  const out = { go: Number.NaN, ts: Number.NaN };
  clusters.forEach((c, i) => {
    const spent = clusterCpuMs(c) - busy0[i]! - idleRate[i]! * elapsed;
    out[c.impl] = (spent * 1000) / EVENTS / c.nodes.length;
  });
  return out;
}

/** Back-to-back `members` on node 0's connection, alternating 1 s windows: req/s. */
async function membersRate(clusters: readonly Cluster[]): Promise<Record<Impl, number>> {
  const counts = { go: 0, ts: 0 };
  const times = { go: 0, ts: 0 };
  for (const c of clusters) {
    const warm = performance.now() + 300;
    while (performance.now() < warm) await c.nodes[0]!.rpc.members();
  }
  for (let w = 0; w < MEMBERS_WINDOWS; w++) {
    for (const c of clusters) {
      const t0 = performance.now();
      let now = t0;
      while (now - t0 < 1000) {
        await c.nodes[0]!.rpc.members();
        counts[c.impl]++;
        now = performance.now();
      }
      times[c.impl] += now - t0;
    }
  }
  return { go: (counts.go * 1000) / times.go, ts: (counts.ts * 1000) / times.ts };
}

/** Handler lag (ms) per event, one agent per implementation, BUSY busy loops beside. */
async function handlerLag(): Promise<Record<Impl, number[]>> {
  const dir = mkdtempSync(join(os.tmpdir(), "serf-ts-load-bench-"));
  const agents: Partial<Record<Impl, AgentProcess>> = {};
  const out: Record<Impl, number[]> = { go: [], ts: [] };
  try {
    for (const impl of ["go", "ts"] as const) {
      const file = join(dir, `${impl}.lag`);
      writeFileSync(file, "");
      agents[impl] = await startAgent(impl, `lag-${randomSuffix()}-${impl}`, [
        `user=echo "$SERF_USER_EVENT $(date +%s%N)" >> ${file}`,
      ]);
    }
    const rpc = {
      go: await RpcClient.connect({ addr: agents.go!.rpcAddress }),
      ts: await RpcClient.connect({ addr: agents.ts!.rpcAddress }),
    };
    // Warm both handler paths before loading the machine.
    for (const impl of ["go", "ts"] as const) await rpc[impl].userEvent("warm", new Uint8Array());
    await sleep(1_000);
    for (let i = 0; i < BUSY; i++) {
      const p = spawn("/bin/sh", ["-c", "while :; do :; done"], { stdio: "ignore" });
      busyLoops.add(p);
    }
    await sleep(2_000);
    const sentAt = new Map<string, bigint>();
    for (let i = 0; i < LAG_EVENTS; i++) {
      const order = i % 2 === 0 ? (["go", "ts"] as const) : (["ts", "go"] as const);
      for (const impl of order) {
        const name = `lag${i}${impl}`;
        sentAt.set(name, BigInt(Date.now()) * 1_000_000n);
        await rpc[impl].userEvent(name, new Uint8Array(), false);
      }
      await sleep(1_000);
    }
    // Collect (bounded): every event's line, or NaN.
    const deadline = performance.now() + 60_000;
    for (const impl of ["go", "ts"] as const) {
      for (;;) {
        const lines = readFileSync(join(dir, `${impl}.lag`), "utf8").split("\n");
        const got = lines.filter((l) => l.startsWith("lag")).length;
        if (got >= LAG_EVENTS || performance.now() > deadline) {
          for (const l of lines) {
            const [name, ns] = l.split(" ");
            const sent = name === undefined ? undefined : sentAt.get(name);
            if (sent !== undefined && ns !== undefined) {
              out[impl].push(Number(BigInt(ns) - sent) / 1e6);
            }
          }
          break;
        }
        await sleep(200);
      }
    }
    await Promise.allSettled([rpc.go.close(), rpc.ts.close()]);
  } finally {
    stopBusyLoops();
    for (const a of Object.values(agents)) {
      await a.kill();
      live.delete(a);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function stopBusyLoops(): void {
  for (const p of busyLoops) {
    if (p.pid !== undefined && p.exitCode === null) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  busyLoops.clear();
}

async function killEverything(): Promise<void> {
  stopBusyLoops();
  await Promise.allSettled(
    [...live].map(async (agent) => {
      await agent.kill();
      live.delete(agent);
    }),
  );
  await stopAll("SIGKILL");
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

interface Row {
  readonly label: string;
  readonly unit: string;
  readonly go: number;
  readonly ts: number;
  /** Met when TS/Go <= max (or >= min for throughput). */
  readonly max?: number;
  readonly min?: number;
}

function table(rows: readonly Row[]): string {
  const lines = [
    "| Scenario | Unit | Go serf | serf-ts | TS/Go | target | met |",
    "| --- | --- | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of rows) {
    const ratio = r.ts / r.go;
    const target = r.max !== undefined ? `≤ ${r.max}× Go` : `≥ ${r.min}× Go`;
    const met = !Number.isFinite(ratio)
      ? "—"
      : (r.max !== undefined ? ratio <= r.max : ratio >= (r.min ?? 0))
        ? "yes"
        : "no";
    lines.push(
      `| ${r.label} | ${r.unit} | ${fmt(r.go)} | ${fmt(r.ts)} | ` +
        `${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—"} | ${target} | ${met} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const began = performance.now();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(
    `load bench: N=${N}, ${REPEATS} joins each, node ${process.version}, ${os.cpus().length} cores, ` +
      `load average ${load}, ${new Date().toISOString()}`,
  );
  const joins: JoinRun[] = [];
  let kept: Cluster[] = [];
  try {
    for (let r = 0; r < REPEATS; r++) {
      const order: Impl[] = r % 2 === 0 ? ["go", "ts"] : ["ts", "go"];
      for (const impl of order) {
        const t = performance.now();
        const cluster = await startCluster(impl, N);
        const startedS = (performance.now() - t) / 1000;
        let keep = false;
        try {
          const run = await joinRun(cluster);
          joins.push(run);
          console.log(
            `  join ${r + 1}/${REPEATS} ${impl}: ${fmt(run.convergedMs)} ms, ` +
              `${run.stragglers} straggler(s), CPU ${fmt(run.cpuMs)} ms (started in ${startedS.toFixed(0)} s)`,
          );
          if (r === REPEATS - 1 && !JOIN_ONLY) {
            kept.push(cluster);
            keep = true;
          }
        } finally {
          if (!keep) await closeCluster(cluster);
        }
      }
    }
    if (JOIN_ONLY) {
      const cpu = (impl: Impl): number =>
        median(joins.filter((j) => j.impl === impl).map((j) => j.cpuMs));
      console.log(`join CPU median: go ${fmt(cpu("go"))} ms, ts ${fmt(cpu("ts"))} ms`);
      return;
    }
    kept = kept.sort((a, b) => a.impl.localeCompare(b.impl));
    await sleep(3_000);
    const perEvent = await perEventCpu(kept);
    console.log(`  per-event CPU: go ${fmt(perEvent.go)} µs, ts ${fmt(perEvent.ts)} µs per agent`);
    const rates = await membersRate(kept);
    console.log(`  members: go ${fmt(rates.go)}/s, ts ${fmt(rates.ts)}/s`);
    for (const c of kept) await closeCluster(c);
    kept = [];
    const lag = await handlerLag();
    console.log(
      `  handler lag (ms): ${JSON.stringify(lag, (_k, v: unknown) => (typeof v === "number" ? Math.round(v) : v))}`,
    );

    const of = (impl: Impl, f: (j: JoinRun) => number): number =>
      median(joins.filter((j) => j.impl === impl).map(f));
    const stragglers = (impl: Impl): string =>
      joins
        .filter((j) => j.impl === impl)
        .map((j) => j.stragglers)
        .join("/");
    const rows: Row[] = [
      {
        label: `Join convergence, N=${N}, median of ${REPEATS}, stragglers apart (go ${stragglers("go")}, ts ${stragglers("ts")})`,
        unit: "ms",
        go: of("go", (j) => j.convergedMs),
        ts: of("ts", (j) => j.convergedMs),
        max: 1.0,
      },
      {
        label: `CPU of all agents during a fresh N=${N} join, median of ${REPEATS}`,
        unit: "ms",
        go: of("go", (j) => j.cpuMs),
        ts: of("ts", (j) => j.cpuMs),
        max: 4,
      },
      {
        label: `CPU per user event per warm agent (N=${N}, ${EVENTS} events at ${EVENT_RATE}/s)`,
        unit: "µs",
        go: perEvent.go,
        ts: perEvent.ts,
        max: 1.2,
      },
      {
        label: `RPC \`members\` on one connection (N=${N}; higher is better)`,
        unit: "req/s",
        go: rates.go,
        ts: rates.ts,
        min: 1.0,
      },
      {
        label: `Event handler lag beside ${BUSY} busy loops, median of ${LAG_EVENTS}`,
        unit: "ms",
        go: median(lag.go),
        ts: median(lag.ts),
        max: 2,
      },
    ];
    console.log(`\n${table(rows)}\n`);
    console.log(
      `raw joins: ${JSON.stringify(joins.map((j) => ({ ...j, convergedMs: Math.round(j.convergedMs), cpuMs: Math.round(j.cpuMs) })))}`,
    );
    console.log(`total ${((performance.now() - began) / 1000).toFixed(0)} s`);
  } finally {
    for (const c of kept) await closeCluster(c);
  }
}

const watchdog = setTimeout(() => {
  console.error(`load bench: still running after ${WATCHDOG_MS / 60_000} min, killing`);
  void killEverything().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} finally {
  await killEverything();
  clearTimeout(watchdog);
}
