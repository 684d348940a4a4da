/**
 * SIGUSR1 (issue 11 item 1, issue 13): the agent process dumps its in-memory metrics to stderr
 * in Go's format, keeps running, and opens no port (Node would otherwise start its inspector
 * on 127.0.0.1:9229). Run for our agent executable (`src/bin.ts`), for `serf agent` of our
 * built CLI, and for Go's `serf agent`, whose dump the line patterns are taken from.
 *
 * Go's dump leaves out the 10 s interval still being aggregated, so each case waits for the
 * next interval boundary before signalling. Missing Go `serf` or a missing CLI build fail
 * under CI=true and skip loudly otherwise.
 */

import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AgentCommand,
  type AgentProcess,
  eventually,
  goSerfMembers,
  runGoSerf,
  goSerfPath,
  requireGoSerf,
  sleep,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");
const CLI_MAIN = join(REPO_ROOT, "packages/cli/dist/main.js");
const haveGo = requireGoSerf();
const haveCli = existsSync(CLI_MAIN);
if (!haveCli && process.env.CI === "true") throw new Error(`${CLI_MAIN} is missing: build it`);

afterEach(async () => {
  await stopAll();
});

/** Local `ip:port` of every TCP socket `pid` listens on (from /proc). */
function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1] as string);
    } catch {
      // fd closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, "utf8").trim().split("\n").slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // st 0A = LISTEN; f[9] is the inode.
      if (f[3] === "0A" && inodes.has(f[9] as string)) out.push(`${table} ${f[1]}`);
    }
  }
  return out.sort();
}

const INTERVAL = String.raw`\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} [A-Za-z0-9+-]+\]`;
const LAST_UPDATED = String.raw`LastUpdated: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [A-Za-z0-9+-]+ m=\+\d+\.\d{9}`;
/** Go's lines, as `serf agent` 0.9.4 prints them. */
const JOIN_LINE = new RegExp(
  `^${INTERVAL}\\[C\\] 'serf-agent\\.serf\\.member\\.join': Count: 1 Sum: 1\\.000 ${LAST_UPDATED}$`,
  "m",
);
const GOSSIP_LINE = new RegExp(
  // One sample prints as Go's short form (`Count: 1 Sum: …`), more with Min/Mean/Max/Stddev.
  `^${INTERVAL}\\[S\\] 'serf-agent\\.memberlist\\.gossip': (Count: 1|Count: \\d+ Min: \\d+\\.\\d{3} Mean: \\d+\\.\\d{3} Max: \\d+\\.\\d{3} Stddev: \\d+\\.\\d{3}) Sum: \\d+\\.\\d{3} ${LAST_UPDATED}$`,
  "m",
);
const GAUGE_LINE = new RegExp(
  `^${INTERVAL}\\[G\\] 'serf-agent\\.runtime\\.[a-z_]+': \\d+\\.\\d{3}$`,
  "m",
);

const CASES: { label: string; command: () => AgentCommand; runnable: boolean }[] = [
  {
    label: "serf-ts agent executable (src/bin.ts)",
    command: () => ({
      label: "ts",
      file: process.execPath,
      args: ["--conditions=@serf-ts/source", "--import", "tsx", BIN],
    }),
    runnable: true,
  },
  {
    label: "serf-ts `serf agent` (packages/cli/dist/main.js)",
    command: () => ({ label: "ts", file: process.execPath, args: [CLI_MAIN, "agent"] }),
    runnable: haveCli,
  },
  {
    label: "Go `serf agent`",
    command: () => ({ label: "go", file: goSerfPath(), args: ["agent"] }),
    runnable: haveGo,
  },
];

describe("SIGUSR1", () => {
  for (const c of CASES) {
    it.skipIf(!c.runnable)(
      `${c.label}: dumps the metrics in Go's format, stays up, opens no port`,
      async () => {
        const agent: AgentProcess = await startAgentProcess(
          c.command(),
          { profile: "local", logLevel: "info", startTimeoutMs: 20_000 },
          (a) => goSerfMembers(a.rpcAddress, { timeoutMs: 2000 }),
        );
        // A user event queues a broadcast, so a gossip round runs (and is timed) in the same
        // interval as the join: a lone serf-ts agent's gossip ticker sleeps while nothing is
        // queued, where Go's ticks every 200 ms.
        const event = await runGoSerf(["event", `-rpc-addr=${agent.rpcAddress}`, "usr1-probe"]);
        expect(event.code).toBe(0);
        const before = listeningSockets(agent.pid);
        expect(before.length).toBeGreaterThanOrEqual(2); // gossip and RPC
        // Past the current 10 s interval, so that it is dumped, and with 2 s of metrics in it
        // (runtime gauges come every second).
        let boundary = Math.ceil(Date.now() / 10_000) * 10_000;
        if (boundary - Date.now() < 2000) boundary += 10_000;
        await sleep(boundary - Date.now() + 300);
        process.kill(agent.pid, "SIGUSR1");
        await eventually(() => JOIN_LINE.test(agent.log()) && GOSSIP_LINE.test(agent.log()), {
          timeoutMs: 5000,
          describe: () => agent.log(),
        });
        await sleep(500);
        expect(agent.exited).toBe(false);
        expect(agent.log()).not.toMatch(/Debugger listening/);
        expect(listeningSockets(agent.pid)).toEqual(before);
        // Without a statsd/statsite sink Go leaves the host name out of gauge keys.
        expect(agent.log()).toMatch(c.label.startsWith("Go") ? /\[G\]/ : GAUGE_LINE);
        // Still an agent: it answers RPC.
        expect((await goSerfMembers(agent.rpcAddress, { timeoutMs: 3000 })).length).toBe(1);
      },
      60_000,
    );
  }
});
