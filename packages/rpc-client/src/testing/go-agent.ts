/**
 * Helpers for tests against the real Go `serf` agent (Debian serf 0.9.4), exported as
 * `@serf-ts/rpc-client/testing` (not from the main entry).
 *
 * - `requireGoSerf()` decides whether such tests run: the binary missing fails when
 *   `CI === "true"`, otherwise it warns loudly and returns false (`describe.skipIf`).
 * - `startGoAgent()` runs `serf agent` on a random loopback IP (`127.a.b.c`, octets 1..254)
 *   with random ports, retries when an address is taken, and waits until its RPC port
 *   answers a handshake. `startGoCluster()` starts several and waits until all see each other.
 * - Every agent is recorded by PID and killed by PID: `agent.stop()` (SIGINT = graceful
 *   leave), `agent.kill()` (SIGKILL = failure), `stopAllGoAgents()` for `afterAll`, and
 *   SIGKILL at process exit as a last resort. Nothing here touches other processes.
 *
 * Ideas taken from `@serf-ts/memberlist`'s `testing/go-serf.ts`; this package cannot depend
 * on it (rpc-client depends on wire only).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { RpcClient } from "../client.ts";

/** Whether the Go binary can be used. */
export interface GoSerfAvailability {
  readonly available: boolean;
  readonly path: string | undefined;
  readonly reason: string;
}

/** Finds an executable `serf` (env `SERF_BIN` first, then `PATH`). */
export function findGoSerf(): string | undefined {
  const candidates: string[] = [];
  const fromEnv = process.env.SERF_BIN;
  if (fromEnv !== undefined && fromEnv !== "") candidates.push(fromEnv);
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "") candidates.push(join(dir, "serf"));
  }
  candidates.push("/usr/bin/serf", "/usr/local/bin/serf");
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Looks for the binary; neither warns nor throws. */
export function goSerfAvailability(): GoSerfAvailability {
  const path = findGoSerf();
  if (path !== undefined) return { available: true, path, reason: `using ${path}` };
  return {
    available: false,
    path: undefined,
    reason: "the Go `serf` binary was not found (install Debian package `serf` or set SERF_BIN)",
  };
}

/**
 * `true` if Go serf tests can run. Missing binary: throws when `CI === "true"` (CI must not
 * skip interop silently), otherwise warns loudly and returns `false`.
 */
export function requireGoSerf(): boolean {
  const a = goSerfAvailability();
  if (a.available) return true;
  if (process.env.CI === "true") throw new Error(`GO SERF TESTS CANNOT RUN IN CI: ${a.reason}`);
  // biome-ignore lint/suspicious/noConsole: a loud skip notice is the point of this helper
  console.warn(`\n${"!".repeat(78)}\n!! SKIPPING Go serf tests: ${a.reason}\n${"!".repeat(78)}\n`);
  return false;
}

function goSerfPath(): string {
  const path = findGoSerf();
  if (path === undefined) throw new Error(goSerfAvailability().reason);
  return path;
}

/** A random loopback IP `127.a.b.c` with every octet in 1..254. */
export function randomLoopbackIp(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.${octet()}.${octet()}.${octet()}`;
}

function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Output of one CLI run. */
export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; `null` if killed by a signal (`signal` is then set). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of `runGoSerf` / `runCommand`. */
export interface RunOptions {
  /** Environment (replaces `process.env`; `SERF_RPC_ADDR`/`SERF_RPC_AUTH` are removed). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Kill (SIGKILL) after this long. @default 15000 */
  readonly timeoutMs?: number;
  /** Send SIGINT after this long (to test Ctrl-C handling). */
  readonly interruptAfterMs?: number;
  /** Called with the child's stdout text as it arrives. */
  readonly onStdout?: (text: string) => void;
  /** Working directory. @default the current one */
  readonly cwd?: string;
}

const children = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  children.set(child.pid, child);
  child.once("exit", () => {
    if (child.pid !== undefined) children.delete(child.pid);
  });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const [pid, c] of children) {
        if (c.exitCode === null && c.signalCode === null) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
    });
  }
}

function cleanEnv(env: RunOptions["env"]): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...(env ?? process.env) };
  if (env === undefined) {
    delete base.SERF_RPC_ADDR;
    delete base.SERF_RPC_AUTH;
  }
  return base;
}

/** Runs a command to completion (bounded), capturing stdout/stderr and the exit code. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    track(child);
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
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs ?? 15_000);
    let intTimer: ReturnType<typeof setTimeout> | undefined;
    if (options.interruptAfterMs !== undefined) {
      intTimer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGINT");
      }, options.interruptAfterMs);
    }
    child.once("error", (err) => {
      clearTimeout(killTimer);
      if (intTimer !== undefined) clearTimeout(intTimer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(killTimer);
      if (intTimer !== undefined) clearTimeout(intTimer);
      resolve({ stdout, stderr, code, signal });
    });
  });
}

/** Runs the Go `serf` CLI (`serf <args>`), bounded; never rejects on a non-zero exit. */
export function runGoSerf(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runCommand(goSerfPath(), args, options);
}

/** Options of `startGoAgent`. */
export interface GoAgentOptions {
  /** `-node`. @default `go-<random>` */
  readonly name?: string;
  /** IP for gossip and RPC. @default a random `127.a.b.c` */
  readonly ip?: string;
  /** `-encrypt` (base64 key). */
  readonly encryptKey?: string;
  /** `rpc_auth` (written to a config file: the agent has no flag for it). */
  readonly rpcAuth?: string;
  /** `-join` gossip addresses (`ip:port`), joined at start-up. */
  readonly join?: readonly string[];
  /** `-tag k=v`. */
  readonly tags?: Readonly<Record<string, string>>;
  /** `-event-handler` values (`[filter=]script`). */
  readonly eventHandlers?: readonly string[];
  /** `-profile`. @default "local" (shorter gossip intervals: 1.6 s default query timeout) */
  readonly profile?: "lan" | "wan" | "local";
  /** `-log-level`. @default "debug" */
  readonly logLevel?: string;
  /** Further flags. */
  readonly extraArgs?: readonly string[];
  /** Bound on start-up, all attempts. @default 15000 */
  readonly startTimeoutMs?: number;
}

/** A running Go agent. */
export interface GoAgent {
  readonly name: string;
  readonly ip: string;
  /** Gossip address `ip:port`. */
  readonly bindAddress: string;
  /** RPC address `ip:port`. */
  readonly rpcAddress: string;
  readonly rpcAuth: string | undefined;
  readonly pid: number;
  readonly exited: boolean;
  /** Everything the agent printed (stdout and stderr). */
  log(): string;
  /** Connects an `RpcClient` (with the agent's auth key). */
  connect(): Promise<RpcClient>;
  /** Runs the Go CLI against this agent (appends `-rpc-addr` and `-rpc-auth`). */
  cli(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** Signal by PID (default SIGINT = graceful leave), bounded wait, then SIGKILL. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGKILL by PID (a failure, no leave). */
  kill(): Promise<void>;
}

const agents = new Map<number, { child: ChildProcess; dir: string }>();

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number) {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
    if (!(await waitExit(child, timeoutMs)) && signal !== "SIGKILL") {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
      await waitExit(child, 3000);
    }
  }
  const rec = agents.get(pid);
  agents.delete(pid);
  if (rec !== undefined) rmSync(rec.dir, { recursive: true, force: true });
}

const IN_USE = /address already in use|bind: address/i;

/**
 * A shell script answering queries with `resp-from-<node name>` (written into `dir`); use it
 * as `-event-handler=query=<script>`.
 */
export function writeQueryResponder(dir: string, prefix = "resp-from-"): string {
  const path = join(dir, "respond.sh");
  writeFileSync(path, `#!/bin/sh\nprintf '%s%s' '${prefix}' "$SERF_SELF_NAME"\n`, {
    mode: 0o755,
  });
  return path;
}

/**
 * Starts `serf agent` and waits until its RPC port completes a handshake (and auth). Retries
 * with new ports when an address is taken; rejects with the agent's log otherwise.
 */
export async function startGoAgent(options: GoAgentOptions = {}): Promise<GoAgent> {
  const bin = goSerfPath();
  const name = options.name ?? `go-${randomSuffix()}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  let lastLog = "";
  for (let attempt = 0; attempt < 5 && Date.now() < deadline; attempt++) {
    const ip = options.ip ?? randomLoopbackIp();
    const bindPort = randomPort();
    let rpcPort = randomPort();
    while (rpcPort === bindPort) rpcPort = randomPort();
    const bindAddress = `${ip}:${bindPort}`;
    const rpcAddress = `${ip}:${rpcPort}`;
    const dir = mkdtempSync(join(tmpdir(), "serf-ts-go-agent-"));
    const args = [
      "agent",
      `-node=${name}`,
      `-bind=${bindAddress}`,
      `-rpc-addr=${rpcAddress}`,
      `-log-level=${options.logLevel ?? "debug"}`,
      `-profile=${options.profile ?? "local"}`,
    ];
    if (options.encryptKey !== undefined) args.push(`-encrypt=${options.encryptKey}`);
    if (options.rpcAuth !== undefined) {
      const config = join(dir, "rpc-auth.json");
      writeFileSync(config, JSON.stringify({ rpc_auth: options.rpcAuth }));
      args.push(`-config-file=${config}`);
    }
    for (const j of options.join ?? []) args.push(`-join=${j}`);
    for (const [k, v] of Object.entries(options.tags ?? {})) args.push("-tag", `${k}=${v}`);
    for (const h of options.eventHandlers ?? []) args.push(`-event-handler=${h}`);
    args.push(...(options.extraArgs ?? []));

    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid === undefined) throw new Error("failed to spawn serf agent");
    track(child);
    agents.set(pid, { child, dir });
    let log = "";
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => {
      log += s;
    });
    child.stderr?.on("data", (s: string) => {
      log += s;
    });
    const auth = options.rpcAuth;
    const authArgs = auth === undefined ? [] : [`-rpc-auth=${auth}`];
    const agent: GoAgent = {
      name,
      ip,
      bindAddress,
      rpcAddress,
      rpcAuth: auth,
      pid,
      get exited() {
        return child.exitCode !== null || child.signalCode !== null;
      },
      log: () => log,
      connect: () =>
        RpcClient.connect(
          auth === undefined ? { addr: rpcAddress } : { addr: rpcAddress, authKey: auth },
        ),
      cli: (cliArgs, runOptions) =>
        runGoSerf([...cliArgs, `-rpc-addr=${rpcAddress}`, ...authArgs], runOptions),
      stop: (signal = "SIGINT", timeoutMs = 8000) => stopChild(child, signal, timeoutMs),
      kill: () => stopChild(child, "SIGKILL", 3000),
    };
    while (!agent.exited && Date.now() < deadline) {
      try {
        const client = await RpcClient.connect({
          addr: rpcAddress,
          timeoutMs: 1000,
          ...(auth === undefined ? {} : { authKey: auth }),
        });
        await client.close();
        return agent;
      } catch {
        await sleep(50);
      }
    }
    await agent.kill();
    lastLog = log;
    if (!IN_USE.test(log)) break;
  }
  throw new Error(`serf agent ${name} did not start:\n${lastLog}`);
}

/**
 * Starts `n` agents (names `<prefix>1..n`); agents 2..n join agent 1. Resolves once every
 * agent lists all `n` as alive. Per-agent options come from `optionsFor(i)` (1-based).
 */
export async function startGoCluster(
  n: number,
  optionsFor: (i: number) => GoAgentOptions = () => ({}),
  timeoutMs = 20_000,
): Promise<GoAgent[]> {
  const prefix = `n${randomSuffix()}-`;
  const first = await startGoAgent({ name: `${prefix}1`, ...optionsFor(1) });
  const rest = await Promise.all(
    Array.from({ length: n - 1 }, (_, k) =>
      startGoAgent({ name: `${prefix}${k + 2}`, join: [first.bindAddress], ...optionsFor(k + 2) }),
    ),
  );
  const all = [first, ...rest];
  await eventually(
    async () => {
      for (const a of all) {
        const client = await a.connect();
        try {
          const alive = (await client.members()).filter((m) => m.status === "alive");
          if (alive.length !== n) return false;
        } finally {
          await client.close();
        }
      }
      return true;
    },
    timeoutMs,
    () => `cluster of ${n} did not converge`,
  );
  return all;
}

/** Kills (SIGKILL, by PID) every agent started by this process that is still running. */
export async function stopAllGoAgents(): Promise<void> {
  await Promise.all([...agents.values()].map(({ child }) => stopChild(child, "SIGKILL", 3000)));
}

/**
 * Polls `probe` until it returns something other than `undefined`/`false`, or rejects after
 * `timeoutMs` with `describe()`. Probe errors count as "not yet".
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  describe: () => string = () => "",
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const extra = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : "";
      throw new Error(`condition not met within ${timeoutMs} ms${extra}: ${describe()}`);
    }
    await sleep(intervalMs);
  }
}
