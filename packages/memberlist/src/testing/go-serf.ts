/**
 * Helpers for live interop tests against the real Go `serf` agent (Debian serf 0.9.4).
 *
 * - `goSerfAvailability()` finds the binary. When it is missing, CI (`CI=true`) must fail
 *   loudly (`requireGoSerf` throws); local runs skip with a loud warning.
 * - `startGoSerfAgent()` runs `serf agent` as a child process on a random loopback IP
 *   (`127.a.b.c`, no `.0`/`.255` octets) with random ports, retrying when the address is taken,
 *   and waits until `serf members` answers over RPC.
 * - Every started agent is recorded by PID and killed on `stop()`, by `stopAllGoSerfAgents()`
 *   (call it in `afterAll`/`afterEach`) and, as a last resort, when the test process exits.
 *
 * All waits are bounded. Nothing here touches processes it did not start.
 */

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { delimiter, join } from "node:path";

/** One member as printed by `serf members -format=json`. */
export interface GoSerfMember {
  readonly name: string;
  /** `"ip:port"`. */
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  /** `alive`, `leaving`, `left`, `failed`. */
  readonly status: string;
  readonly protocol: { readonly max: number; readonly min: number; readonly version: number };
}

/** Options of `startGoSerfAgent`. */
export interface GoSerfAgentOptions {
  /** `-node`. @default `go-<random>` */
  readonly name?: string;
  /** IP to bind gossip and RPC to. @default a random `127.a.b.c` */
  readonly ip?: string;
  /**
   * Gossip port (e.g. to restart an agent at its previous address). @default random; a fixed
   * port is not changed on a bind clash.
   */
  readonly bindPort?: number;
  /** `-encrypt` (base64 key, e.g. from `goSerfKeygen()`). */
  readonly encryptKey?: string;
  /** `-join` addresses (`ip:port`); the agent joins them at start-up. */
  readonly join?: readonly string[];
  /** `-tag k=v`. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Further flags, e.g. `["-profile=local"]`. */
  readonly extraArgs?: readonly string[];
  /** Bound on start-up (all attempts). @default 15000 */
  readonly startTimeoutMs?: number;
  /** Bind attempts with fresh ports when the address is in use. @default 5 */
  readonly attempts?: number;
}

/** A running Go agent. */
export interface GoSerfAgent {
  readonly name: string;
  readonly ip: string;
  /** Gossip address `ip:port` (UDP and TCP). */
  readonly bindAddress: string;
  readonly bindPort: number;
  /** RPC address `ip:port`. */
  readonly rpcAddress: string;
  readonly pid: number;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Everything the agent printed so far (stdout and stderr interleaved). */
  log(): string;
  /** `serf members -format=json` through this agent's RPC. */
  members(): Promise<GoSerfMember[]>;
  /**
   * Runs `serf <subcommand> -rpc-addr=<this agent> <rest…>` (`args[0]` is the subcommand) and
   * returns stdout; rejects on a non-zero exit.
   */
  cli(args: readonly string[]): Promise<string>;
  /** Sends a signal by PID and waits (bounded) for the exit; SIGKILL if it does not exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGKILL by PID (no leave); resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Whether the Go binary can be used. */
export interface GoSerfAvailability {
  readonly available: boolean;
  readonly path: string | undefined;
  readonly reason: string;
}

const running = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const [pid, child] of running) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    running.clear();
  };
  process.once("exit", killAll);
  // On a fatal signal: kill our agents, then let the signal do its default thing.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Finds an executable `serf` (env `SERF_BIN` first, then `PATH`). */
export function findSerfBinary(): string | undefined {
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

/** Looks for the binary; does not warn or throw. */
export function goSerfAvailability(): GoSerfAvailability {
  const path = findSerfBinary();
  if (path !== undefined) return { available: true, path, reason: `using ${path}` };
  return {
    available: false,
    path: undefined,
    reason: "the Go `serf` binary was not found (install Debian package `serf` or set SERF_BIN)",
  };
}

/**
 * Decides whether interop tests run. Binary present → `true`. Missing → throws when
 * `CI === "true"` (CI must not silently skip interop), otherwise warns loudly and returns
 * `false` so the caller can `describe.skipIf(!requireGoSerf())`.
 */
export function requireGoSerf(): boolean {
  const a = goSerfAvailability();
  if (a.available) return true;
  if (process.env.CI === "true") {
    throw new Error(`INTEROP TESTS CANNOT RUN IN CI: ${a.reason}`);
  }
  // biome-ignore lint/suspicious/noConsole: a loud skip notice is the point of this helper
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPING Go serf interop tests: ${a.reason}\n${"!".repeat(78)}\n`,
  );
  return false;
}

function serfPath(): string {
  const path = findSerfBinary();
  if (path === undefined) throw new Error(goSerfAvailability().reason);
  return path;
}

/** Random loopback IP `127.a.b.c` with every octet in 1..254. */
export function randomLoopbackIP(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.${octet()}.${octet()}.${octet()}`;
}

function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 40000);
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Runs the serf CLI with a bounded time; resolves stdout, rejects with stderr on failure. */
export function runSerf(args: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      serfPath(),
      [...args],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`serf ${args.join(" ")} failed: ${err.message}\n${stderr}${stdout}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** `serf keygen`: a fresh base64 32-byte key. */
export async function goSerfKeygen(): Promise<string> {
  return (await runSerf(["keygen"])).trim();
}

/** `serf members -format=json -rpc-addr=<rpcAddress>`. */
export async function goSerfMembers(rpcAddress: string, timeoutMs = 5000): Promise<GoSerfMember[]> {
  const out = await runSerf(["members", "-format=json", `-rpc-addr=${rpcAddress}`], timeoutMs);
  const parsed = JSON.parse(out) as { members: GoSerfMember[] | null };
  return parsed.members ?? [];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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

async function killByPid(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number) {
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
      await waitExit(child, 2000);
    }
  }
  running.delete(pid);
}

const IN_USE = /address already in use|bind: address/i;

/**
 * Starts `serf agent` and waits until its RPC answers `members`. Retries with new random ports
 * when the gossip or RPC address is taken. Rejects (after killing the attempt) on timeout or
 * when the agent exits for another reason; the rejection carries the agent's log.
 */
export async function startGoSerfAgent(options: GoSerfAgentOptions = {}): Promise<GoSerfAgent> {
  installExitHook();
  const bin = serfPath();
  const name = options.name ?? `go-${randomSuffix()}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 15000);
  const attempts = options.attempts ?? 5;
  let lastLog = "";
  for (let attempt = 0; attempt < attempts && Date.now() < deadline; attempt++) {
    const ip = options.ip ?? randomLoopbackIP();
    const bindPort = options.bindPort ?? randomPort();
    let rpcPort = randomPort();
    while (rpcPort === bindPort) rpcPort = randomPort();
    const bindAddress = `${ip}:${bindPort}`;
    const rpcAddress = `${ip}:${rpcPort}`;
    const args = [
      "agent",
      `-node=${name}`,
      `-bind=${bindAddress}`,
      `-rpc-addr=${rpcAddress}`,
      "-log-level=debug",
    ];
    if (options.encryptKey !== undefined) args.push(`-encrypt=${options.encryptKey}`);
    for (const j of options.join ?? []) args.push(`-join=${j}`);
    for (const [k, v] of Object.entries(options.tags ?? {})) args.push("-tag", `${k}=${v}`);
    args.push(...(options.extraArgs ?? []));

    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    if (pid === undefined) throw new Error("failed to spawn serf agent");
    running.set(pid, child);
    let log = "";
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => {
      log += s;
    });
    child.stderr?.on("data", (s: string) => {
      log += s;
    });

    const agent: GoSerfAgent = {
      name,
      ip,
      bindAddress,
      bindPort,
      rpcAddress,
      pid,
      get exited() {
        return child.exitCode !== null || child.signalCode !== null;
      },
      log: () => log,
      members: () => goSerfMembers(rpcAddress),
      // Go's flag parsing stops at the first positional argument: flags go right after the
      // subcommand.
      cli: (cliArgs) =>
        runSerf([...cliArgs.slice(0, 1), `-rpc-addr=${rpcAddress}`, ...cliArgs.slice(1)]),
      stop: (signal = "SIGINT", timeoutMs = 8000) => killByPid(child, signal, timeoutMs),
      kill: () => killByPid(child, "SIGKILL", 3000),
    };

    // Wait for RPC readiness, an early exit, or the deadline.
    for (;;) {
      if (agent.exited) break;
      if (Date.now() > deadline) break;
      try {
        await goSerfMembers(rpcAddress, 2000);
        return agent;
      } catch {
        await sleep(100);
      }
    }
    await agent.kill();
    lastLog = log;
    if (!IN_USE.test(log)) break; // not a port clash: retrying will not help
  }
  throw new Error(`serf agent ${name} did not start:\n${lastLog}`);
}

/** Kills (SIGKILL, by PID) every agent started by this process that is still running. */
export async function stopAllGoSerfAgents(): Promise<void> {
  await Promise.all([...running.values()].map((child) => killByPid(child, "SIGKILL", 3000)));
}

/** PIDs of agents started by this process and not yet reaped. */
export function runningGoSerfPids(): number[] {
  return [...running.keys()];
}

/**
 * Polls `probe` until it returns a value other than `undefined` or `false`, or the time runs
 * out (then rejects with `describe()`'s text, e.g. the current state). Probe errors count as
 * "not yet".
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  describe: () => string | Promise<string> = () => "",
  intervalMs = 200,
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
      throw new Error(`condition not met within ${timeoutMs} ms${extra}: ${await describe()}`);
    }
    await sleep(intervalMs);
  }
}
