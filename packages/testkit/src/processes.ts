/**
 * Every child process a test starts through this package is recorded by PID and ended by PID:
 * `stop()` / `kill()` on the handle, `stopAll()` for `afterAll`/`afterEach`, and SIGKILL when the
 * test process exits or receives SIGINT/SIGTERM/SIGHUP. Nothing here touches a process it did not
 * start itself.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";

interface Entry {
  readonly child: ChildProcess;
  /** Temporary paths removed once the process is gone. */
  readonly cleanup: string[];
}

const registry = new Map<number, Entry>();
let hooksInstalled = false;

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function release(pid: number): void {
  const entry = registry.get(pid);
  if (entry === undefined) return;
  registry.delete(pid);
  for (const path of entry.cleanup) rmSync(path, { recursive: true, force: true });
}

/** Last resort: SIGKILL every recorded process that still runs (synchronous). */
function killAllNow(): void {
  for (const [pid, entry] of registry) {
    if (alive(entry.child)) killNow(pid);
    for (const path of entry.cleanup) rmSync(path, { recursive: true, force: true });
  }
  registry.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAllNow();
      // Let the signal do what it would have done without our listener.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Resolves `true` once `child` has exited, or `false` after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!alive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    child.once("exit", onExit);
  });
}

/**
 * Sends `signal` to the child by PID and waits up to `timeoutMs` for it to exit; escalates to
 * SIGKILL if it does not. Then forgets the child and removes its temporary paths.
 */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  timeoutMs = 8000,
): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (alive(child)) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
    if (!(await waitForExit(child, timeoutMs)) && signal !== "SIGKILL") {
      killNow(pid);
    }
    await waitForExit(child, 3000);
  }
  release(pid);
}

/** Options of `spawnTracked`. */
export interface SpawnTrackedOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Paths (e.g. a temporary directory) removed once the process is stopped. */
  readonly cleanup?: readonly string[];
}

/**
 * Spawns `file args` (stdin ignored, stdout/stderr piped) and records it. Throws if it cannot be
 * spawned at all.
 */
export function spawnTracked(
  file: string,
  args: readonly string[],
  options: SpawnTrackedOptions = {},
): ChildProcess & { readonly pid: number } {
  installHooks();
  const child = spawn(file, [...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const pid = child.pid;
  if (pid === undefined) {
    child.once("error", () => {}); // reported by the throw below
    for (const path of options.cleanup ?? []) rmSync(path, { recursive: true, force: true });
    throw new Error(`cannot spawn ${file}`);
  }
  registry.set(pid, { child, cleanup: [...(options.cleanup ?? [])] });
  // A process that ends on its own keeps its temporary paths until stop()/stopAll() (its log
  // or files may still be read); only the PID bookkeeping matters for killing.
  return child as ChildProcess & { readonly pid: number };
}

/**
 * Ends every process started through this package that is still recorded: `signal` (default
 * SIGKILL) by PID, bounded wait, SIGKILL if needed. Call it in `afterAll`/`afterEach`.
 */
export async function stopAll(signal: NodeJS.Signals = "SIGKILL", timeoutMs = 3000) {
  await Promise.all(
    [...registry.values()].map(({ child }) => stopProcess(child, signal, timeoutMs)),
  );
}

/** PIDs of processes started through this package and not yet stopped (exited ones included). */
export function trackedPids(): number[] {
  return [...registry.keys()];
}

/** PIDs of processes started through this package that are still running. */
export function runningPids(): number[] {
  return [...registry].filter(([, e]) => alive(e.child)).map(([pid]) => pid);
}

/** Output of one command run. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; `null` if killed by a signal (`signal` is then set). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of `runCommand` / `runGoSerf`. */
export interface RunOptions {
  /**
   * Environment. @default `process.env` without `SERF_RPC_ADDR` / `SERF_RPC_AUTH` (so a
   * developer's shell cannot redirect a test).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** SIGKILL after this long. @default 15000 */
  readonly timeoutMs?: number;
  /** Send SIGINT after this long (to test Ctrl-C handling). */
  readonly interruptAfterMs?: number;
  /** Called with stdout text as it arrives. */
  readonly onStdout?: (text: string) => void;
  /** Working directory. @default the current one */
  readonly cwd?: string;
}

function commandEnv(env: RunOptions["env"]): NodeJS.ProcessEnv {
  if (env !== undefined) return { ...env };
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.SERF_RPC_ADDR;
  delete base.SERF_RPC_AUTH;
  return base;
}

/**
 * Runs a command to completion, bounded by `timeoutMs`; resolves with its output and exit code
 * (never rejects on a non-zero exit; rejects only if it cannot be spawned).
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess & { readonly pid: number };
    try {
      child = spawnTracked(file, args, {
        env: commandEnv(options.env),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    } catch (err) {
      reject(err);
      return;
    }
    const pid = child.pid;
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => {
      stdout += s;
      options.onStdout?.(s);
    });
    child.stderr?.on("data", (s: string) => {
      stderr += s;
    });
    const killTimer = setTimeout(() => {
      if (alive(child)) killNow(pid);
    }, options.timeoutMs ?? 15_000);
    const interruptTimer =
      options.interruptAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            if (alive(child)) process.kill(pid, "SIGINT");
          }, options.interruptAfterMs);
    const done = (): void => {
      clearTimeout(killTimer);
      if (interruptTimer !== undefined) clearTimeout(interruptTimer);
      release(pid);
    };
    child.once("error", (err) => {
      done();
      reject(err);
    });
    child.once("close", (code, signal) => {
      done();
      resolve({ stdout, stderr, code, signal });
    });
  });
}
