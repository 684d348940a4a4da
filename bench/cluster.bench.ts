// Cluster benchmark: the same scenarios against Go serf (the `serf` binary) and serf-ts
// (`node packages/cli/dist/main.js agent`), in one run, on random 127.x.y.z loopback addresses.
// Every agent of a cluster runs the same implementation; the implementations never run at the
// same time (scenario by scenario: Go first, then serf-ts). Every agent runs the agent's default
// `lan` profile (no `-profile` flag) and `-log-level=warn`.
//
// Run with `pnpm bench:cluster` (builds first). Writes bench/results/cluster-<date>.json and
// bench/results/propagation.svg, and prints a markdown table. A benchmark, not a test.
//
// Environment: BENCH_CLUSTER_IMPLS=go,ts (which implementations), BENCH_CLUSTER_TS_NODE_ARGS
// (extra node flags for serf-ts agents, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { type Member, RpcClient } from "@serf-ts/rpc-client";
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
const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));

const JOIN_SIZES = [5, 20, 50] as const;
const CLUSTER_N = 20;
const EVENT_REPEATS = 5;
const QUERY_REPEATS = 5;
const FAILURE_N = 5;
const FAILURE_REPEATS = 3;
const IDLE_WINDOW_MS = 10_000;
const MEMBERS_WINDOW_MS = 3_000;
const POLL_MS = 50;
const START_CONCURRENCY = 8;
const LOG_LEVEL = "warn";
/** Hard bound on the whole run: everything is killed (by PID) and the process exits. */
const WATCHDOG_MS = 15 * 60_000;

// ---------------------------------------------------------------------------------------------
// Agents

function commandFor(impl: Impl): AgentCommand {
  if (impl === "go") return { label: "go", file: goSerfPath(), args: ["agent"] };
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`pnpm build\` first`);
  const nodeArgs = (process.env.BENCH_CLUSTER_TS_NODE_ARGS ?? "").split(" ").filter((a) => a);
  return { label: "ts", file: process.execPath, args: [...nodeArgs, CLI_MAIN, "agent"] };
}

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

interface Node {
  readonly agent: AgentProcess;
  readonly rpc: RpcClient;
}

/** Every agent started and not yet killed: killed by PID in `closeCluster` and at the end. */
const live = new Set<AgentProcess>();

interface Cluster {
  readonly impl: Impl;
  readonly nodes: Node[];
}

/**
 * Starts `n` agents (at most START_CONCURRENCY at once), each ready once its RPC answers
 * `members`, and opens one RPC connection per agent. With `join`, agents 2..n `-join` agent 1.
 */
async function startCluster(impl: Impl, n: number, join: boolean): Promise<Cluster> {
  const command = commandFor(impl);
  const prefix = `b${randomSuffix()}-${impl}-`;
  const agents: AgentProcess[] = [];
  const start = async (i: number, joinTo: string | undefined): Promise<void> => {
    const agent = await startAgentProcess(
      command,
      {
        name: `${prefix}${i}`,
        logLevel: LOG_LEVEL,
        startTimeoutMs: 60_000,
        ...(joinTo === undefined ? {} : { join: [joinTo] }),
      },
      rpcReady,
    );
    live.add(agent);
    agents[i] = agent;
  };
  await start(0, undefined);
  const seed = agents[0]!.bindAddress;
  for (let from = 1; from < n; from += START_CONCURRENCY) {
    const batch = [];
    for (let i = from; i < Math.min(n, from + START_CONCURRENCY); i++) {
      batch.push(start(i, join ? seed : undefined));
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
        requestTimeoutMs: 10_000,
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
      await n.agent.kill();
      live.delete(n.agent);
    }),
  );
}

async function killEverything(): Promise<void> {
  await Promise.allSettled(
    [...live].map(async (agent) => {
      await agent.kill();
      live.delete(agent);
    }),
  );
  await stopAll("SIGKILL");
}

const aliveCount = (members: readonly Member[]): number =>
  members.filter((m) => m.status === "alive").length;

/**
 * Polls `members` on `nodes` every POLL_MS until `done(members)` holds on each; a node is not
 * polled again once it has. Resolves the per-node times (ms since `t0`).
 */
async function pollUntil(
  nodes: readonly Node[],
  t0: number,
  done: (members: readonly Member[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<number[]> {
  const at: (number | undefined)[] = nodes.map(() => undefined);
  for (;;) {
    await Promise.all(
      nodes.map(async (node, i) => {
        if (at[i] !== undefined) return;
        const members = await node.rpc.members();
        if (done(members)) at[i] = performance.now() - t0;
      }),
    );
    if (at.every((t) => t !== undefined)) return at as number[];
    if (performance.now() - t0 > timeoutMs) {
      const views = await Promise.all(
        nodes.flatMap((node, i) => {
          if (at[i] !== undefined) return [];
          const view = node.rpc.members().then(
            (ms) => `${node.agent.name}: ${ms.map((m) => `${m.name}=${m.status}`).join(" ")}`,
            (e: unknown) => `${node.agent.name}: ${String(e)}`,
          );
          return [view];
        }),
      );
      throw new Error(`${what}: not reached within ${timeoutMs} ms on\n${views.join("\n")}`);
    }
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const median = (values: readonly number[]): number => quantile(values, 0.5);
const p95 = (values: readonly number[]): number => quantile(values, 0.95);
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Scenarios

interface JoinResult {
  /** Until the last node listed n alive. */
  readonly ms: number;
  /** Per node, sorted: when it first listed n alive. */
  readonly perNodeMs: number[];
  /** CPU time (user + system) all agents used from the first join to convergence. */
  readonly agentCpuMs: number;
  readonly cluster: Cluster;
}

/** Agents started without `-join`; then every other node joins node 0 over RPC at once. */
async function joinConvergence(impl: Impl, n: number): Promise<JoinResult> {
  const cluster = await startCluster(impl, n, false);
  try {
    const seed = cluster.nodes[0]!.agent.bindAddress;
    const hz = clockTicks();
    const ticks = (): number =>
      cluster.nodes.reduce((sum, node) => sum + procStat(node.agent.pid).ticks, 0);
    const ticks0 = ticks();
    const t0 = performance.now();
    const joins = cluster.nodes
      .slice(1)
      .map((node) => node.rpc.join([seed], { timeoutMs: 30_000 }));
    // Long enough for memberlist's periodic push-pull (30 s, x2 above 32 nodes) to repair a
    // node that missed a gossiped join.
    const times = await pollUntil(
      cluster.nodes,
      t0,
      (ms) => aliveCount(ms) === n,
      100_000,
      `${impl} join N=${n}`,
    );
    const agentCpuMs = ((ticks() - ticks0) / hz) * 1000;
    await Promise.all(joins);
    return {
      ms: Math.max(...times),
      perNodeMs: times.sort((a, b) => a - b),
      agentCpuMs,
      cluster,
    };
  } catch (err) {
    await closeCluster(cluster);
    throw err;
  }
}

interface IdleStats {
  readonly rssMb: number[];
  readonly cpuPercent: number[];
}

function procStat(pid: number): { ticks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return { ticks, rssKb };
}

function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** RSS at the end and CPU over an idle window (nothing sent to the agents meanwhile). */
async function idleUsage(cluster: Cluster): Promise<IdleStats> {
  const hz = clockTicks();
  const pids = cluster.nodes.map((n) => n.agent.pid);
  const before = pids.map(procStat);
  const t0 = performance.now();
  await sleep(IDLE_WINDOW_MS);
  const after = pids.map(procStat);
  const seconds = (performance.now() - t0) / 1000;
  return {
    rssMb: after.map((s) => s.rssKb / 1024),
    cpuPercent: after.map((s, i) => ((s.ticks - before[i]!.ticks) / hz / seconds) * 100),
  };
}

/** Back-to-back `members` requests on one connection (each awaited before the next). */
async function membersRate(node: Node): Promise<number> {
  const warm = performance.now() + 300;
  while (performance.now() < warm) await node.rpc.members();
  let count = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < MEMBERS_WINDOW_MS) {
    await node.rpc.members();
    count++;
    now = performance.now();
  }
  return (count * 1000) / (now - t0);
}

interface Propagation {
  /** Per repeat: ms from the `event` request until each agent's stream delivered it, sorted. */
  readonly arrivals: number[][];
}

/**
 * A user event (coalesce=false) sent from a different node each repeat; its arrival on every
 * agent is taken from a `stream user` subscription held on each agent, timestamped here.
 */
async function eventPropagation(cluster: Cluster): Promise<Propagation> {
  const n = cluster.nodes.length;
  const waiting = new Map<string, { times: (number | undefined)[]; left: number; done(): void }>();
  const subs = await Promise.all(cluster.nodes.map((node) => node.rpc.stream("user")));
  const loops = subs.map(async (sub, i) => {
    for await (const rec of sub) {
      const now = performance.now();
      if (rec.event !== "user") continue;
      const w = waiting.get(rec.name);
      if (w === undefined || w.times[i] !== undefined) continue;
      w.times[i] = now;
      if (--w.left === 0) w.done();
    }
  });
  const arrivals: number[][] = [];
  try {
    for (let r = 0; r < EVENT_REPEATS; r++) {
      const name = `bench-${r}-${randomSuffix()}`;
      const origin = cluster.nodes[(r * 7) % n]!;
      let resolveDone!: () => void;
      const allArrived = new Promise<void>((resolve) => {
        resolveDone = resolve;
      });
      const w = {
        times: new Array<number | undefined>(n).fill(undefined),
        left: n,
        done: resolveDone,
      };
      waiting.set(name, w);
      const t0 = performance.now();
      await origin.rpc.userEvent(name, new TextEncoder().encode("x".repeat(32)), false);
      await Promise.race([allArrived, sleep(15_000)]);
      waiting.delete(name);
      const times = w.times
        .filter((t): t is number => t !== undefined)
        .map((t) => t - t0)
        .sort((a, b) => a - b);
      if (times.length < n) {
        console.warn(`  ${cluster.impl}: event ${r} reached ${times.length}/${n} agents in 15 s`);
      }
      arrivals.push(times);
      await sleep(1000);
    }
  } finally {
    await Promise.allSettled(subs.map((s) => s.stop()));
    await Promise.allSettled(loops);
  }
  return { arrivals };
}

/** Time until the k-th agent of n (k = ceil(fraction * n)) had the event; NaN if it never did. */
function reached(times: readonly number[], n: number, fraction: number): number {
  const k = Math.ceil(fraction * n);
  return times[k - 1] ?? Number.NaN;
}

/** A query with requestAck from node `r mod n`: ms until all n acks (the sender's included). */
async function queryAcks(cluster: Cluster): Promise<number[]> {
  const n = cluster.nodes.length;
  const out: number[] = [];
  for (let r = 0; r < QUERY_REPEATS; r++) {
    const origin = cluster.nodes[(r * 3) % n]!;
    const t0 = performance.now();
    const sub = await origin.rpc.query({ name: `bench-q-${r}`, requestAck: true });
    const acks = new Set<string>();
    const all = await new Promise<number | undefined>((resolve) => {
      // Read to the end (the agent's `done` at the query deadline) in the background.
      void (async () => {
        try {
          for await (const rec of sub) {
            if (rec.type !== "ack") continue;
            acks.add(rec.from);
            if (acks.size === n) resolve(performance.now() - t0);
          }
        } catch {
          // connection lost: reported below as a missing measurement
        }
        resolve(undefined);
      })();
    });
    if (all === undefined) {
      console.warn(`  ${cluster.impl}: query ${r} got ${acks.size}/${n} acks before its deadline`);
    } else {
      out.push(all);
    }
    await sleep(500);
  }
  return out;
}

/** SIGKILL one agent of a converged N-node cluster: ms until all others list it `failed`. */
async function failureDetection(impl: Impl): Promise<number> {
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster(impl, FAILURE_N, true);
    const c = cluster;
    await pollUntil(
      c.nodes,
      performance.now(),
      (ms) => aliveCount(ms) === FAILURE_N,
      30_000,
      `${impl} converge`,
    );
    await sleep(1000);
    const victim = c.nodes[FAILURE_N - 1]!;
    const others = c.nodes.slice(0, -1);
    const t0 = performance.now();
    await victim.agent.kill(); // SIGKILL by PID; resolves once the process is gone
    live.delete(victim.agent);
    const times = await pollUntil(
      others,
      t0,
      (ms) => ms.find((m) => m.name === victim.agent.name)?.status === "failed",
      60_000,
      `${impl} failure detection`,
    );
    return Math.max(...times);
  } finally {
    await closeCluster(cluster);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

interface ImplResults {
  join: Record<string, number>;
  joinDetail: Record<string, { perNodeMs: number[]; agentCpuMs: number }>;
  idle?: { rssMbMedian: number; rssMbMax: number; cpuPercentMean: number; raw: IdleStats };
  membersPerSec?: number;
  propagation?: Propagation;
  queryAcksMs?: number[];
  failureMs?: number[];
  errors: string[];
}

interface Row {
  readonly label: string;
  readonly unit: string;
  readonly go: number;
  readonly ts: number;
  /** True when a larger number is better (throughput). */
  readonly higherIsBetter?: boolean;
}

function rows(results: Record<Impl, ImplResults>): Row[] {
  const out: Row[] = [];
  const both = (f: (r: ImplResults) => number | undefined): { go: number; ts: number } => ({
    go: f(results.go) ?? Number.NaN,
    ts: f(results.ts) ?? Number.NaN,
  });
  for (const n of JOIN_SIZES) {
    out.push({ label: `Join convergence, N=${n}`, unit: "ms", ...both((r) => r.join[n]) });
  }
  // One node that missed a gossiped join waits for a periodic push/pull (up to 60 s at N=50)
  // and decides the row above alone; this row shows how fast gossip reached the others.
  const largest = JOIN_SIZES[JOIN_SIZES.length - 1] as number;
  out.push({
    label: `Join convergence, N=${largest}, all but the slowest node`,
    unit: "ms",
    ...both((r) => r.joinDetail[largest]?.perNodeMs[largest - 2]),
  });
  for (const n of JOIN_SIZES) {
    out.push({
      label: `CPU of all agents during that join, N=${n}`,
      unit: "ms",
      ...both((r) => r.joinDetail[n]?.agentCpuMs),
    });
  }
  for (const [fraction, name] of [
    [0.5, "50%"],
    [0.95, "95%"],
    [1, "100%"],
  ] as const) {
    const at = (r: ImplResults): number[] =>
      (r.propagation?.arrivals ?? []).map((t) => reached(t, CLUSTER_N, fraction));
    out.push({
      label: `User event to ${name} of agents (N=${CLUSTER_N}), median`,
      unit: "ms",
      ...both((r) => median(at(r))),
    });
    out.push({
      label: `User event to ${name} of agents (N=${CLUSTER_N}), p95`,
      unit: "ms",
      ...both((r) => p95(at(r))),
    });
  }
  out.push({
    label: `Failure detection after SIGKILL (N=${FAILURE_N}, lan), median`,
    unit: "ms",
    ...both((r) => median(r.failureMs ?? [])),
  });
  out.push({
    label: `Query, all acks (N=${CLUSTER_N}), median`,
    unit: "ms",
    ...both((r) => median(r.queryAcksMs ?? [])),
  });
  out.push({
    label: `Query, all acks (N=${CLUSTER_N}), p95`,
    unit: "ms",
    ...both((r) => p95(r.queryAcksMs ?? [])),
  });
  out.push({
    label: `RSS per agent (N=${CLUSTER_N}), median`,
    unit: "MiB",
    ...both((r) => r.idle?.rssMbMedian),
  });
  out.push({
    label: `Idle CPU per agent (N=${CLUSTER_N}, ${IDLE_WINDOW_MS / 1000} s), mean`,
    unit: "% of a core",
    ...both((r) => r.idle?.cpuPercentMean),
  });
  out.push({
    label: `RPC \`members\` on one connection (N=${CLUSTER_N})`,
    unit: "req/s",
    higherIsBetter: true,
    ...both((r) => r.membersPerSec),
  });
  return out;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function markdownTable(table: readonly Row[]): string {
  const lines = [
    "| Scenario | Unit | Go serf | serf-ts | TS/Go |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const row of table) {
    const ratio = row.ts / row.go;
    const note = row.higherIsBetter === true ? " (higher is better)" : "";
    lines.push(
      `| ${row.label}${note} | ${row.unit} | ${fmt(row.go)} | ${fmt(row.ts)} | ` +
        `${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a"} |`,
    );
  }
  return lines.join("\n");
}

/** Per k = 1..n: the median over repeats of the time the k-th agent got the event. */
function medianCurve(arrivals: readonly number[][], n: number): number[] {
  const curve: number[] = [];
  for (let k = 0; k < n; k++) {
    const ts = arrivals.map((a) => a[k]).filter((t): t is number => t !== undefined);
    if (ts.length === 0) break;
    curve.push(median(ts));
  }
  return curve;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Step curves "% of agents reached vs ms", one per implementation; hand-written SVG. */
function propagationSvg(results: Record<Impl, ImplResults>, caption: string): string {
  const W = 760;
  const H = 440;
  const m = { left: 64, right: 24, top: 48, bottom: 72 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const series: { impl: Impl; label: string; color: string }[] = [
    { impl: "go", label: "Go serf 0.9.4", color: "#00a3c4" },
    { impl: "ts", label: "serf-ts", color: "#e8590c" },
  ];
  const all = series.flatMap((s) => (results[s.impl].propagation?.arrivals ?? []).flat());
  const maxT = Math.max(100, ...all);
  const step = [50, 100, 200, 250, 500, 1000, 2000, 5000].find((s) => maxT / s <= 8) ?? 10_000;
  const xMax = Math.ceil(maxT / step) * step;
  const x = (t: number): number => m.left + (t / xMax) * pw;
  const y = (pct: number): number => m.top + ph - (pct / 100) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">` +
      `User event propagation, N=${CLUSTER_N} (lan profile)</text>`,
  );
  for (let t = 0; t <= xMax; t += step) {
    parts.push(
      `<line x1="${x(t)}" y1="${m.top}" x2="${x(t)}" y2="${m.top + ph}" stroke="#e5e5e5"/>`,
      `<text x="${x(t)}" y="${m.top + ph + 16}" text-anchor="middle">${t}</text>`,
    );
  }
  for (let p = 0; p <= 100; p += 25) {
    parts.push(
      `<line x1="${m.left}" y1="${y(p)}" x2="${m.left + pw}" y2="${y(p)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 8}" y="${y(p) + 4}" text-anchor="end">${p}%</text>`,
    );
  }
  for (const p of [50, 95]) {
    parts.push(
      `<line x1="${m.left}" y1="${y(p)}" x2="${m.left + pw}" y2="${y(p)}" stroke="#999" ` +
        `stroke-dasharray="4 4"/>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">` +
      `ms since the \`event\` RPC request</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">` +
      `% of agents whose RPC stream delivered it</text>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle" fill="#666" font-size="11">` +
      `${escapeXml(caption)}</text>`,
  );
  const stepPath = (times: readonly number[]): string => {
    let d = `M ${x(0).toFixed(1)} ${y(0).toFixed(1)}`;
    times.forEach((t, k) => {
      const pct = ((k + 1) / CLUSTER_N) * 100;
      d += ` H ${x(t).toFixed(1)} V ${y(pct).toFixed(1)}`;
    });
    return d;
  };
  series.forEach((s, idx) => {
    const arrivals = results[s.impl].propagation?.arrivals ?? [];
    for (const times of arrivals) {
      parts.push(
        `<path d="${stepPath(times)}" fill="none" stroke="${s.color}" stroke-opacity="0.25" ` +
          `stroke-width="1"/>`,
      );
    }
    const curve = medianCurve(arrivals, CLUSTER_N);
    if (curve.length > 0) {
      parts.push(
        `<path d="${stepPath(curve)}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`,
      );
    }
    const ly = m.top + 14 + idx * 18;
    parts.push(
      `<line x1="${m.left + pw - 210}" y1="${ly}" x2="${m.left + pw - 184}" y2="${ly}" ` +
        `stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${m.left + pw - 178}" y="${ly + 4}">${escapeXml(s.label)} ` +
        `(median of ${arrivals.length}; thin: runs)</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memTotal: string;
  readonly freeH: string;
  readonly kernel: string;
  readonly node: string;
  readonly goSerf: string;
  readonly date: string;
}

function machine(): Machine {
  const sh = (file: string, args: string[]): string => {
    try {
      return execFileSync(file, args, { encoding: "utf8" }).trim();
    } catch {
      return "n/a";
    }
  };
  return {
    nproc: Number(sh("nproc", [])) || os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "n/a",
    memTotal: sh("free", ["-h"]).split("\n")[1]?.split(/\s+/)[1] ?? "n/a",
    freeH: sh("free", ["-h"]),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    goSerf: sh(goSerfPath(), ["version"]).split("\n")[0] ?? "n/a",
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const impls = (process.env.BENCH_CLUSTER_IMPLS ?? "go,ts")
    .split(",")
    .filter((s): s is Impl => s === "go" || s === "ts");
  const results: Record<Impl, ImplResults> = {
    go: { join: {}, joinDetail: {}, errors: [] },
    ts: { join: {}, joinDetail: {}, errors: [] },
  };
  const info = machine();
  console.log(`cluster bench: ${impls.join(", ")} on ${info.nproc} cores, node ${info.node}`);
  const began = performance.now();
  const step = async (impl: Impl, what: string, fn: () => Promise<void>): Promise<void> => {
    const t = performance.now();
    try {
      await fn();
      console.log(`  ${impl} ${what}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } catch (err) {
      const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      results[impl].errors.push(message.slice(0, 2000));
      console.error(`  ${impl} ${message.slice(0, 2000)}`);
    }
  };

  for (const n of JOIN_SIZES) {
    for (const impl of impls) {
      await step(impl, `join N=${n}`, async () => {
        const { ms, perNodeMs, agentCpuMs, cluster } = await joinConvergence(impl, n);
        results[impl].join[n] = ms;
        results[impl].joinDetail[n] = { perNodeMs, agentCpuMs };
        try {
          if (n !== CLUSTER_N) return;
          // The converged N=20 cluster serves the remaining scenarios.
          await sleep(2000);
          await step(impl, "idle RSS/CPU", async () => {
            const raw = await idleUsage(cluster);
            results[impl].idle = {
              rssMbMedian: median(raw.rssMb),
              rssMbMax: Math.max(...raw.rssMb),
              cpuPercentMean: raw.cpuPercent.reduce((a, b) => a + b, 0) / raw.cpuPercent.length,
              raw,
            };
          });
          await step(impl, "members req/s", async () => {
            results[impl].membersPerSec = await membersRate(cluster.nodes[0]!);
          });
          await step(impl, "event propagation", async () => {
            results[impl].propagation = await eventPropagation(cluster);
          });
          await step(impl, "query acks", async () => {
            results[impl].queryAcksMs = await queryAcks(cluster);
          });
        } finally {
          await closeCluster(cluster);
        }
      });
    }
  }
  for (const impl of impls) {
    await step(impl, "failure detection", async () => {
      const out: number[] = [];
      for (let r = 0; r < FAILURE_REPEATS; r++) out.push(await failureDetection(impl));
      results[impl].failureMs = out;
    });
  }

  const table = rows(results);
  const date = new Date().toISOString().slice(0, 10);
  const caption = `${info.nproc} cores, ${info.cpu}, node ${info.node}, ${info.date.slice(0, 10)}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = {
    benchmark: "cluster",
    machine: info,
    settings: {
      profile: "lan (agent default, no -profile flag)",
      logLevel: LOG_LEVEL,
      joinSizes: JOIN_SIZES,
      clusterN: CLUSTER_N,
      eventRepeats: EVENT_REPEATS,
      queryRepeats: QUERY_REPEATS,
      failureN: FAILURE_N,
      failureRepeats: FAILURE_REPEATS,
      idleWindowMs: IDLE_WINDOW_MS,
      membersWindowMs: MEMBERS_WINDOW_MS,
      pollMs: POLL_MS,
    },
    durationS: round((performance.now() - began) / 1000),
    table: table.map((r) => ({
      ...r,
      go: round(r.go, 2),
      ts: round(r.ts, 2),
      ratio: round(r.ts / r.go, 3),
    })),
    raw: {
      go: { ...results.go, propagation: results.go.propagation },
      ts: { ...results.ts, propagation: results.ts.propagation },
    },
  };
  const jsonPath = `${RESULTS_DIR}cluster-${date}.json`;
  writeFileSync(
    jsonPath,
    `${JSON.stringify(json, (_k, v: unknown) => (typeof v === "number" ? round(v, 2) : v), 2)}\n`,
  );
  const svgPath = `${RESULTS_DIR}propagation.svg`;
  writeFileSync(svgPath, propagationSvg(results, caption));
  console.log(`\n${markdownTable(table)}\n`);
  console.log(`wrote ${jsonPath}\nwrote ${svgPath}`);
  console.log(`total ${((performance.now() - began) / 1000).toFixed(0)} s`);
  for (const impl of impls) {
    for (const e of results[impl].errors) console.error(`ERROR ${impl}: ${e}`);
  }
}

const watchdog = setTimeout(() => {
  console.error(`cluster bench: still running after ${WATCHDOG_MS / 60_000} min, killing`);
  void killEverything().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} finally {
  await killEverything();
  clearTimeout(watchdog);
}
