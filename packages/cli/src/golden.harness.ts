/**
 * Test harness (not built, not shipped): runs our CLI in-process, as the built binary, and Go's
 * `serf`, and normalises the parts of their output that legitimately differ between two runs
 * (Go map order, timings, log lines).
 */

import { fileURLToPath } from "node:url";
import {
  type CommandResult,
  keyListMisses,
  runCommand,
  runGoSerf,
  unmentioned,
  withoutNodes,
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

export { type Impl, startAgent, startMixedCluster as startCluster } from "@serf-ts/testkit";

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

/** A miss that names no node (a key listed `[1/2]`). */
export const UNNAMED = "(a node)";

/** How to find the nodes that did not answer in one output, and compare the rest. */
export interface GossipedCheck {
  /** Names of the nodes that should answer (and did not), from one CLI's stdout. */
  readonly missing: (stdout: string) => string[];
  /** Both stdouts with the parts that depend on the missing nodes removed. */
  readonly without: (stdout: string, gone: readonly string[]) => string;
}

/** Queries: every node of `expected` acks and/or responds by name. */
export const answeredBy = (
  expected: () => readonly { readonly name: string }[],
): GossipedCheck => ({
  missing: (t) =>
    unmentioned(
      t,
      expected().map((a) => a.name),
    ),
  without: withoutNodes,
});
/** `keys`: `[k/n]` counts, and per-node failure lines. */
export const keyAnswers = (
  expected: () => readonly { readonly name: string }[],
): GossipedCheck => ({
  missing: (t) => [
    ...Array<string>(keyListMisses(t)).fill(UNNAMED),
    ...(/nodes reported failure/.test(t)
      ? unmentioned(
          t,
          expected().map((a) => a.name),
        )
      : []),
  ],
  without: withoutNodes,
});
/** `reachability`: the `Missing acks from:` list; with a miss only the first line is compared. */
export const reachabilityAnswers: GossipedCheck = {
  missing: (t) => {
    const [, tail = ""] = t.split("Missing acks from:\n");
    return tail
      .split("\n")
      .filter((l) => l.startsWith("\t"))
      .map((l) => l.trim());
  },
  without: (t, gone) => (gone.length === 0 ? t : (t.split("\n")[0] ?? "")),
};
