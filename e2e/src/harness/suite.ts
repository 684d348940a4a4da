/**
 * What every scenario test file shares: which implementations can run here (Go `serf` found,
 * a working serf-ts agent command), the loud skip messages, temporary directories for snapshots
 * and handler scripts (removed after the file), and the "stays true for a while" probe.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EventuallyOptions, requireGoSerf, sleep } from "@serf-ts/testkit";
import { type Cluster, type ClusterOptions, startCluster } from "./cluster.ts";
import { detectTsAgent, type Impl, type TsAgentStatus } from "./implementations.ts";

/** One cluster shape a scenario runs on. */
export interface Variant {
  readonly label: string;
  /** Node 0 is the seed. */
  readonly impls: readonly Impl[];
}

/** What can run in this test process. */
export interface E2eEnvironment {
  readonly haveGo: boolean;
  readonly ts: TsAgentStatus;
  /** Whether every implementation `impls` uses can run here. */
  runnable(impls: readonly Impl[]): boolean;
  /** `startCluster` with the detected TS command filled in. */
  start(options: Omit<ClusterOptions, "tsCommand">): Promise<Cluster>;
}

let environment: Promise<E2eEnvironment> | undefined;

/** Detects the implementations once per test file and prints why variants will be skipped. */
export function e2eEnvironment(): Promise<E2eEnvironment> {
  environment ??= (async () => {
    const haveGo = requireGoSerf();
    const ts = await detectTsAgent();
    if (ts.available) {
      console.info(`e2e: serf-ts agents run as \`${ts.description}\``);
    } else {
      const bar = "!".repeat(78);
      console.warn(`\n${bar}\n!! SKIPPING e2e all-TS and mixed clusters: ${ts.reason}\n${bar}\n`);
    }
    return {
      haveGo,
      ts,
      runnable: (impls) =>
        (!impls.includes("go") || haveGo) && (!impls.includes("ts") || ts.available),
      start: (options) =>
        startCluster({ ...options, ...(ts.available ? { tsCommand: ts.command } : {}) }),
    };
  })();
  return environment;
}

const dirs: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs()`. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `serf-ts-e2e-${label}-`));
  dirs.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made (call in `afterAll`, after the agents are gone). */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes an executable `/bin/sh` script and returns its path. */
export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

/**
 * The opposite of `eventually`: polls `probe` for `forMs` and rejects as soon as it returns a
 * string (the violation); resolves once the time is up with every probe clean. Bounded.
 */
export async function stays(
  probe: () => Promise<string | undefined> | string | undefined,
  forMs: number,
  options: Pick<EventuallyOptions, "intervalMs" | "describe"> = {},
): Promise<void> {
  const deadline = Date.now() + forMs;
  for (;;) {
    const violation = await probe();
    if (violation !== undefined) {
      const d = options.describe;
      const text = typeof d === "function" ? await d() : (d ?? "");
      throw new Error(`${violation}${text ? `: ${text}` : ""}`);
    }
    if (Date.now() >= deadline) return;
    await sleep(Math.max(0, Math.min(options.intervalMs ?? 500, deadline - Date.now())));
  }
}

/** `JSON.stringify` of a sorted copy, for order-free comparisons in messages. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}
