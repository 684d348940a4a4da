// Footprint benchmark (issue 17): CLI start time, agent RSS and idle CPU, RSS after an event
// flood, `serf rtt` accuracy and timer lateness, Go serf beside serf-ts in ONE run, with the
// floors a Node.js process cannot go below (a bare `node -e ""` start, a bare idle node process).
// Go and serf-ts agents run at the same time (pairs on random 127.x.y.z loopback addresses) and
// CLI starts are interleaved, so machine load hits both alike: read the ratios, not the
// absolute numbers. Part of `pnpm bench` (about 1.5 min). A benchmark, not a test.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { systemClock } from "@serf-ts/memberlist";
import { RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentProcess,
  goSerfPath,
  randomSuffix,
  runCommand,
  sleep,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";

const CLI_MAIN = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
const START_REPEATS = Number(process.env.BENCH_START_REPEATS ?? 15);
const IDLE_MS = 20_000;
const FLOOD_EVENTS = 2_000;
const RTT_READINGS = 7;
const RTT_AGE_MS = 45_000;

type Impl = "go" | "ts";

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function agentCommand(impl: Impl): AgentCommand {
  if (impl === "go") return { label: "go", file: goSerfPath(), args: ["agent"] };
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`pnpm build\` first`);
  return { label: "ts", file: process.execPath, args: [CLI_MAIN, "agent"] };
}

/** A running `serf` CLI command line: Go's binary or ours. */
function cli(impl: Impl, args: readonly string[]): [string, string[]] {
  return impl === "go" ? [goSerfPath(), [...args]] : [process.execPath, [CLI_MAIN, ...args]];
}

function procStat(pid: number): { ticks: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return { ticks: Number(fields[11]) + Number(fields[12]), rssMiB: rssKb / 1024 };
}

const CLK_TCK = 100;

async function rpcReady(agent: AgentProcess): Promise<void> {
  const client = await RpcClient.connect({ addr: agent.rpcAddress, timeoutMs: 1000 });
  try {
    await client.members();
  } finally {
    await client.close();
  }
}

/** Two agents of one implementation, the second joined to the first. */
async function startPair(impl: Impl): Promise<[AgentProcess, AgentProcess]> {
  const prefix = `f${randomSuffix()}-${impl}-`;
  const command = agentCommand(impl);
  const a = await startAgentProcess(
    command,
    { name: `${prefix}a`, logLevel: "warn", startTimeoutMs: 60_000 },
    rpcReady,
  );
  const b = await startAgentProcess(
    command,
    { name: `${prefix}b`, logLevel: "warn", startTimeoutMs: 60_000, join: [a.bindAddress] },
    rpcReady,
  );
  return [a, b];
}

/** `serf rtt` (Go's CLI for both, so only the agents' coordinates differ), in ms. */
async function rttMs(a: AgentProcess, b: AgentProcess): Promise<number> {
  const r = await runCommand(goSerfPath(), ["rtt", `-rpc-addr=${a.rpcAddress}`, a.name, b.name], {
    timeoutMs: 10_000,
  });
  const m = /rtt: ([\d.]+) ms/.exec(r.stdout);
  return m === null ? Number.NaN : Number(m[1]);
}

/** Wall time of one process run to completion (output discarded), in ms. */
async function timeRun(file: string, args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const r = await runCommand(file, args, { timeoutMs: 30_000 });
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`${file} ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
  return ms;
}

/**
 * The timer `systemClock` used before (one `setTimeout` per timer, delay rounded up, re-armed
 * when woken early), kept here to be measured beside the current one.
 */
function roundUpTimer(atMs: number, fn: () => void): void {
  const arm = (): void => {
    setTimeout(
      () => {
        if (performance.now() < atMs) arm();
        else fn();
      },
      Math.max(0, Math.ceil(atMs - performance.now())),
    );
  };
  arm();
}

/**
 * How late timers 20–30 ms ahead fire, one after another, `systemClock`'s and the old ones
 * alternately: medians in ms.
 */
async function timerLatenessMs(count: number): Promise<{ now: number; before: number }> {
  const late: number[] = [];
  const lateBefore: number[] = [];
  const arms: [number[], (at: number, fn: () => void) => void][] = [
    [late, (at, fn) => systemClock.setTimer(at, fn)],
    [lateBefore, roundUpTimer],
  ];
  for (let i = 0; i < count; i++) {
    for (const [out, arm] of arms) {
      const at = systemClock.now() + 20 + Math.random() * 10;
      await new Promise<void>((resolve) => {
        arm(at, () => {
          out.push(systemClock.now() - at);
          resolve();
        });
      });
    }
  }
  return { now: median(late), before: median(lateBefore) };
}

interface Row {
  readonly label: string;
  readonly unit: string;
  readonly go: number;
  readonly ts: number;
  /** What a bare Node.js process measures for the same thing (the floor), if it applies. */
  readonly floor?: number;
  readonly target: string;
}

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function ratio(a: number, b: number | undefined): string {
  if (b === undefined || !Number.isFinite(a / b)) return "—";
  return `${(a / b).toFixed(2)}×`;
}

function table(rows: readonly Row[]): string {
  const lines = [
    "| Scenario | Unit | Go serf | serf-ts | TS/Go | bare node | TS/bare node | target |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.unit} | ${fmt(r.go)} | ${fmt(r.ts)} | ${ratio(r.ts, r.go)} | ` +
        `${fmt(r.floor)} | ${ratio(r.ts, r.floor)} | ${r.target} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const began = performance.now();
  // A bare idle node process: the RSS/CPU floor of any Node.js agent.
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], {
    stdio: "ignore",
  });
  bareProcess = bare;
  const [[goA, goB], [tsA, tsB]] = await Promise.all([startPair("go"), startPair("ts")]);
  const t0 = performance.now();

  // CLI starts, interleaved (the agents idle meanwhile).
  const starts: Record<string, number[]> = {};
  const add = (k: string, ms: number): void => {
    const list = starts[k] ?? [];
    list.push(ms);
    starts[k] = list;
  };
  for (let i = 0; i < START_REPEATS; i++) {
    add("node", await timeRun(process.execPath, ["-e", ""]));
    for (const impl of ["go", "ts"] as const) {
      const agent = impl === "go" ? goA : tsA;
      add(
        `${impl} members`,
        await timeRun(...cli(impl, ["members", `-rpc-addr=${agent.rpcAddress}`])),
      );
      add(`${impl} version`, await timeRun(...cli(impl, ["version"])));
    }
    // Each run of `serf` beside one bare start (machine load drifts): per-run ratios.
    const bareMs = starts.node?.at(-1) as number;
    add("ts members/node", (starts["ts members"]?.at(-1) as number) / bareMs);
    add("ts version/node", (starts["ts version"]?.at(-1) as number) / bareMs);
  }
  const lateness = await timerLatenessMs(60);

  // The second agent of each pair serves no RPC: idle until at least 20 s after the pairs were
  // up, and for at least 10 s; CPU over that window, RSS at its end.
  const idleFrom = {
    go: procStat(goB.pid),
    ts: procStat(tsB.pid),
    bare: procStat(bare.pid as number),
  };
  const idleT0 = performance.now();
  await sleep(Math.max(10_000, IDLE_MS - (performance.now() - t0)));
  const idleS = (performance.now() - idleT0) / 1000;
  const idleTo = {
    go: procStat(goB.pid),
    ts: procStat(tsB.pid),
    bare: procStat(bare.pid as number),
  };
  const idleAgeS = (performance.now() - t0) / 1000;
  const cpu = (k: "go" | "ts" | "bare"): number =>
    ((idleTo[k].ticks - idleFrom[k].ticks) / CLK_TCK / idleS) * 100;

  // Vivaldi coordinates start from the first, cold (JIT-compiling) probes and converge over
  // tens of seconds: read the estimate from 45 s of age on.
  await sleep(Math.max(0, RTT_AGE_MS - (performance.now() - t0)));
  const rtts: Record<Impl, number[]> = { go: [], ts: [] };
  const rttAgeS = (performance.now() - t0) / 1000;
  for (let i = 0; i < RTT_READINGS; i++) {
    rtts.go.push(await rttMs(goA, goB));
    rtts.ts.push(await rttMs(tsA, tsB));
    await sleep(1_000);
  }

  // A flood of user events through the first agent of each pair, then RSS 5 s later.
  const flood = async (agent: AgentProcess): Promise<void> => {
    const client = await RpcClient.connect({ addr: agent.rpcAddress });
    try {
      const payload = new Uint8Array(64);
      for (let i = 0; i < FLOOD_EVENTS; i++) await client.userEvent(`flood${i}`, payload, false);
    } finally {
      await client.close();
    }
  };
  await Promise.all([flood(goA), flood(tsA)]);
  await sleep(5_000);
  const flooded = {
    go: procStat(goA.pid),
    ts: procStat(tsA.pid),
    bare: procStat(bare.pid as number),
  };

  // The TS/bare-node ratio of a CLI row is the median of the per-run ratios, the more robust
  // number on a loaded machine; its bare-node column is serf-ts's median over that ratio.
  const cliFloor = (cmd: string): number =>
    median(starts[`ts ${cmd}`] ?? []) / median(starts[`ts ${cmd}/node`] ?? []);
  const rows: Row[] = [
    {
      label: "`serf members` (CLI start + one RPC), median",
      unit: "ms",
      go: median(starts["go members"] ?? []),
      ts: median(starts["ts members"] ?? []),
      floor: cliFloor("members"),
      target: "≤ 1.5× bare node",
    },
    {
      label: "`serf version`, median",
      unit: "ms",
      go: median(starts["go version"] ?? []),
      ts: median(starts["ts version"] ?? []),
      floor: cliFloor("version"),
      target: "≤ 1.5× bare node",
    },
    {
      label: `Agent RSS after ${idleAgeS.toFixed(0)} s idle (2-node cluster)`,
      unit: "MiB",
      go: idleTo.go.rssMiB,
      ts: idleTo.ts.rssMiB,
      floor: idleTo.bare.rssMiB,
      target: "≤ 1.25× bare node",
    },
    {
      label: `Agent RSS after ${FLOOD_EVENTS.toLocaleString("en-US")} user events`,
      unit: "MiB",
      go: flooded.go.rssMiB,
      ts: flooded.ts.rssMiB,
      floor: flooded.bare.rssMiB,
      target: "≤ 1.5× bare node",
    },
    {
      label: `Idle CPU per agent (${idleS.toFixed(0)} s window, age ${idleAgeS.toFixed(0)} s)`,
      unit: "% of a core",
      go: cpu("go"),
      ts: cpu("ts"),
      floor: cpu("bare"),
      target: "≤ 1.0× Go",
    },
    {
      label: `\`serf rtt\` between the two agents, median of ${RTT_READINGS} (age ${rttAgeS.toFixed(0)} s)`,
      unit: "ms",
      go: median(rtts.go),
      ts: median(rtts.ts),
      target: "≤ 1.5× Go",
    },
    {
      label: `Timer lateness (\`systemClock\`, 20–30 ms timers), median; the old timer: ${fmt(lateness.before)} ms`,
      unit: "ms",
      go: Number.NaN,
      ts: lateness.now,
      target: "below the old timer's",
    },
  ];
  console.log(`\nfootprint bench: node ${process.version}, ${START_REPEATS} CLI starts each\n`);
  console.log(table(rows));
  console.log(
    `\nbare \`node -e ""\`: median ${fmt(median(starts.node ?? []))} ms; CLI rows' TS/bare node: ` +
      "median of per-run ratios",
  );
  console.log(
    `\nraw CLI starts (ms): ${JSON.stringify(starts, (_k, v: unknown) => (typeof v === "number" ? Math.round(v * 100) / 100 : v))}`,
  );
  console.log(`raw rtt (ms): ${JSON.stringify(rtts)}`);
  console.log(`total ${((performance.now() - began) / 1000).toFixed(0)} s`);
}

let bareProcess: ReturnType<typeof spawn> | undefined;
try {
  await main();
} finally {
  bareProcess?.kill("SIGKILL");
  await stopAll();
}
