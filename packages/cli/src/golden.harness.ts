/**
 * Test harness (not built, not shipped): runs our CLI in-process, as the built binary, and Go's
 * `serf`, and normalises the parts of their output that legitimately differ between two runs
 * (Go map order, timings, log lines).
 */

import { fileURLToPath } from "node:url";
import {
  type AgentOptions,
  type CommandResult,
  eventually,
  type GoAgent,
  goSerfMembers,
  randomSuffix,
  runCommand,
  runGoSerf,
  startAgentProcess,
  startGoAgent,
  withGoCli,
} from "@serf-ts/testkit";
import { run } from "./run.ts";

/** Output and exit code of one CLI run (ours or Go's). */
export type CliResult = CommandResult;

/** Absolute path of the built binary. */
export const BIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
/** The package directory. */
export const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

/** A minimal environment without SERF_RPC_* (both CLIs get the same). */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return env;
}

/** Our CLI, in-process through `run()`. `interruptAfterMs` aborts its signal (Ctrl-C). */
export async function runOurs(
  args: readonly string[],
  options: { env?: Record<string, string>; interruptAfterMs?: number } = {},
): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => ({
    write(chunk: string | Uint8Array) {
      into.push(Buffer.from(chunk));
      return true;
    },
  });
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (options.interruptAfterMs !== undefined) {
    timer = setTimeout(() => controller.abort(new Error("SIGINT")), options.interruptAfterMs);
  }
  try {
    const code = await run(args, {
      stdout: sink(out),
      stderr: sink(err),
      env: options.env ?? baseEnv(),
      signal: controller.signal,
    });
    return {
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
      code,
      signal: null,
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Go's `serf`. */
export function runGo(
  args: readonly string[],
  options: { env?: Record<string, string>; interruptAfterMs?: number } = {},
): Promise<CliResult> {
  return runGoSerf(args, {
    env: options.env ?? baseEnv(),
    ...(options.interruptAfterMs === undefined
      ? {}
      : { interruptAfterMs: options.interruptAfterMs }),
  });
}

/** Our built binary (`node dist/main.js`). */
export function runBin(
  args: readonly string[],
  options: { env?: Record<string, string>; interruptAfterMs?: number } = {},
): Promise<CliResult> {
  return runCommand(process.execPath, [BIN, ...args], {
    env: options.env ?? baseEnv(),
    ...(options.interruptAfterMs === undefined
      ? {}
      : { interruptAfterMs: options.interruptAfterMs }),
  });
}

/** Which agent implementation runs a node: Go's `serf agent` or ours (`node dist/main.js agent`). */
export type Impl = "go" | "ts";

/**
 * Starts one agent of `impl` (ours from the built binary `BIN`), ready once Go's `serf members`
 * answers through its RPC port; with the Go CLI helpers of `withGoCli`.
 */
export async function startAgent(impl: Impl, options: AgentOptions): Promise<GoAgent> {
  if (impl === "go") return startGoAgent(options);
  const agent = await startAgentProcess(
    { label: "ts", file: process.execPath, args: [BIN, "agent"] },
    options,
    (a) =>
      goSerfMembers(a.rpcAddress, {
        timeoutMs: 2000,
        ...(a.rpcAuth === undefined ? {} : { rpcAuth: a.rpcAuth }),
      }),
  );
  return withGoCli(agent);
}

/**
 * One agent per entry of `impls`, named `<random>-1..n`; agents 2..n join agent 1. Resolves once
 * every agent lists all of them as alive; kills (by PID) what it started on failure.
 */
export async function startCluster(
  impls: readonly Impl[],
  optionsFor: (i: number) => AgentOptions = () => ({}),
): Promise<GoAgent[]> {
  const prefix = `n${randomSuffix()}-`;
  const started: GoAgent[] = [];
  try {
    const [firstImpl, ...restImpls] = impls;
    if (firstImpl === undefined) throw new Error("empty cluster");
    const first = await startAgent(firstImpl, { name: `${prefix}1`, ...optionsFor(1) });
    started.push(first);
    const rest = await Promise.allSettled(
      restImpls.map((impl, k) =>
        startAgent(impl, {
          name: `${prefix}${k + 2}`,
          join: [first.bindAddress],
          ...optionsFor(k + 2),
        }),
      ),
    );
    for (const r of rest) if (r.status === "fulfilled") started.push(r.value);
    for (const r of rest) if (r.status === "rejected") throw r.reason;
    await eventually(
      async () => {
        for (const agent of started) {
          const alive = (await agent.members()).filter((m) => m.status === "alive");
          if (alive.length !== impls.length) return false;
        }
        return true;
      },
      { timeoutMs: 20_000 },
    );
    return started;
  } catch (err) {
    await Promise.all(started.map((a) => a.kill()));
    throw err;
  }
}

/** What the comparisons look at. */
export interface Normalized {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

export type Normalizer = (text: string) => string;

export const identity: Normalizer = (t) => t;

/** Lines in sorted order (for output in Go map order). */
export const sortLines: Normalizer = (t) => t.split("\n").sort().join("\n");

/**
 * `serf members` text: tag pairs inside a cell sorted (same length, so alignment is kept),
 * trailing spaces dropped (only the last line loses them, and which line is last is random),
 * lines sorted.
 */
export const membersText: Normalizer = (t) =>
  t
    .split("\n")
    .map((line) =>
      line
        .split(/(\s+)/)
        .map((cell) =>
          /^[^\s=]+=[^\s]*(,[^\s=]+=[^\s]*)*$/.test(cell) ? cell.split(",").sort().join(",") : cell,
        )
        .join("")
        .trimEnd(),
    )
    .sort()
    .join("\n");

const VOLATILE_STATS =
  /^(\s*"?)(goroutines|event_time|query_time|member_time|health_score|intent_queue|event_queue|query_queue|coordinate_resets)("?(?: = |: ))(.*?)(,?)$/;

/** `serf info`: values that change between two calls masked. */
export const infoText: Normalizer = (t) =>
  t
    .split("\n")
    .map((l) => l.replace(VOLATILE_STATS, "$1$2$3*$5"))
    .join("\n");

/** `serf rtt`: the estimate masked (coordinates move between calls). */
export const rttText: Normalizer = (t) => t.replace(/rtt: [0-9.]+ ms/g, "rtt: * ms");

/** `serf reachability`: timings masked, lines sorted. */
export const reachabilityText: Normalizer = (t) =>
  sortLines(t.replace(/[0-9]+\.[0-9]{2} sec/g, "* sec"));

/** Applies one normaliser to stdout (stderr compared verbatim). */
export function normalize(r: CliResult, f: Normalizer = identity): Normalized {
  return { stdout: f(r.stdout), stderr: r.stderr, code: r.code };
}

/**
 * The `Event Info:` blocks of `serf monitor` output: each block's field lines sorted (Go map
 * order), the blocks sorted.
 */
export function eventBlocks(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line === "Event Info:") {
      if (current !== null) blocks.push(current.sort().join("\n"));
      current = [];
    } else if (current !== null && line.startsWith("\t")) {
      current.push(line);
    } else if (current !== null) {
      blocks.push(current.sort().join("\n"));
      current = null;
    }
  }
  if (current !== null) blocks.push(current.sort().join("\n"));
  return blocks.sort();
}
