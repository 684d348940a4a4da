/**
 * Starting one `serf agent` process, of any implementation that takes Go serf's flags (the Go
 * binary, or serf-ts's CLI): a random loopback IP, ports free on it, retries with fresh ports
 * when the agent reports its address in use, a caller-supplied readiness probe, log capture, and
 * PID bookkeeping through `processes.ts`. All waits are bounded.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./eventually.ts";
import { freePort, isAddressInUse, randomLoopbackIp, randomSuffix } from "./net.ts";
import { spawnTracked, stopProcess, waitForExit } from "./processes.ts";

/** Options of one agent (`startGoAgent`, `startAgentProcess`); each maps to a Go flag. */
export interface AgentOptions {
  /** `-node`. @default `<label>-<random>` */
  readonly name?: string;
  /** IP for gossip and RPC. @default a random `127.a.b.c` */
  readonly ip?: string;
  /**
   * Gossip port, UDP and TCP (e.g. to restart an agent at its previous address). @default a
   * port free on `ip`; a fixed port is kept across retries.
   */
  readonly bindPort?: number;
  /** RPC port. @default a port free on `ip` */
  readonly rpcPort?: number;
  /** `rpc_auth`, written to a `-config-file` (the agent has no flag for it). */
  readonly rpcAuth?: string;
  /** `-encrypt` (base64 key, e.g. from `goSerfKeygen()`). */
  readonly encryptKey?: string;
  /** `-keyring-file`. */
  readonly keyringFile?: string;
  /** `-snapshot`. */
  readonly snapshot?: string;
  /** `-event-handler` values (`[type[:name]=]script`). */
  readonly eventHandlers?: readonly string[];
  /** `-tag k=v`. */
  readonly tags?: Readonly<Record<string, string>>;
  /** `-join` gossip addresses (`ip:port`), joined at start-up. */
  readonly join?: readonly string[];
  /** `-profile`. @default none: the agent's default (`lan`) */
  readonly profile?: "lan" | "wan" | "local";
  /** `-log-level`. @default "debug" */
  readonly logLevel?: string;
  /** Further flags, appended last. */
  readonly extraArgs?: readonly string[];
  /**
   * Bound on start-up, all attempts together. A precondition, not a measurement: generous, as
   * a dozen agents starting at once on a loaded 2-core machine take a while. @default 30000
   */
  readonly startTimeoutMs?: number;
  /** Start attempts with fresh ports when an address is in use. @default 5 */
  readonly attempts?: number;
  /** Called with the agent's output (stdout and stderr) as it arrives. */
  readonly onLog?: (text: string) => void;
  /** Environment of the agent process. @default `process.env` */
  readonly env?: NodeJS.ProcessEnv;
}

/** How to run an agent: `file ...args <flags>`. */
export interface AgentCommand {
  /** Short label for default node names and errors, e.g. `go` or `ts`. */
  readonly label: string;
  readonly file: string;
  /**
   * Everything before the flags, subcommand included: `["agent"]` for Go's `serf`,
   * `["dist/main.js", "agent"]` for our CLI, `["bin.ts"]` for a standalone agent executable.
   */
  readonly args: readonly string[];
  /** Extra environment entries for the process. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running agent process. */
export interface AgentProcess {
  /** The command's label (`go`, `ts`, …). */
  readonly kind: string;
  readonly name: string;
  readonly ip: string;
  /** Gossip address `ip:port` (UDP and TCP). */
  readonly bindAddress: string;
  readonly bindPort: number;
  /** RPC address `ip:port`. */
  readonly rpcAddress: string;
  readonly rpcPort: number;
  readonly rpcAuth: string | undefined;
  readonly pid: number;
  /** The full command line (for error messages). */
  readonly argv: readonly string[];
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Exit code, `null` while running or if ended by a signal. */
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** Everything the agent printed so far (stdout and stderr interleaved). */
  log(): string;
  /** Resolves `true` once the process has exited, `false` after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<boolean>;
  /**
   * Sends `signal` by PID (default SIGINT: graceful leave) and waits (bounded) for the exit;
   * SIGKILL if the agent does not exit in time.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGKILL by PID (a crash: no leave); resolves when the process is gone. */
  kill(): Promise<void>;
}

/** What `agentFlags` needs besides the options. */
export interface AgentAddresses {
  readonly name: string;
  readonly bindAddress: string;
  readonly rpcAddress: string;
  /** `-config-file` holding what has no flag (`rpc_auth`). */
  readonly configFile?: string;
}

/** The flags of `serf agent` (Go's spelling) for these options and addresses. */
export function agentFlags(options: AgentOptions, at: AgentAddresses): string[] {
  const args = [
    `-node=${at.name}`,
    `-bind=${at.bindAddress}`,
    `-rpc-addr=${at.rpcAddress}`,
    `-log-level=${options.logLevel ?? "debug"}`,
  ];
  if (options.profile !== undefined) args.push(`-profile=${options.profile}`);
  if (at.configFile !== undefined) args.push(`-config-file=${at.configFile}`);
  if (options.encryptKey !== undefined) args.push(`-encrypt=${options.encryptKey}`);
  if (options.keyringFile !== undefined) args.push(`-keyring-file=${options.keyringFile}`);
  if (options.snapshot !== undefined) args.push(`-snapshot=${options.snapshot}`);
  for (const handler of options.eventHandlers ?? []) args.push(`-event-handler=${handler}`);
  for (const [k, v] of Object.entries(options.tags ?? {})) args.push("-tag", `${k}=${v}`);
  for (const address of options.join ?? []) args.push(`-join=${address}`);
  args.push(...(options.extraArgs ?? []));
  return args;
}

/** Keep at most this much of an agent's log (the head is dropped). */
const MAX_LOG = 8 * 1024 * 1024;

function tail(text: string, chars = 6000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

/** What Go's agent (and ours) prints once it is listening. */
const BANNER = "Serf agent running!";

/** `promise`, or a rejection after `ms` (the readiness probe must not stall start-up). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness probe still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * If the start-up banner (`Bind addr: '…'`, `RPC addr: '…'`, as Go prints it) shows an address
 * other than the one asked for, says which: an agent that ignored its flags may be listening
 * on `0.0.0.0`, and is killed at once.
 */
export function misboundAddress(log: string, bindAddress: string, rpcAddress: string) {
  const bind = /Bind addr: '([^']*)'/.exec(log)?.[1];
  const rpc = /RPC addr: '([^']*)'/.exec(log)?.[1];
  if (bind !== undefined && bind !== bindAddress) {
    return `bound gossip to ${bind}, not ${bindAddress}`;
  }
  if (rpc !== undefined && rpc !== rpcAddress) return `bound RPC to ${rpc}, not ${rpcAddress}`;
  return undefined;
}

/**
 * Starts `command.file ...command.args <flags>` and resolves once `ready(agent)` resolves (it
 * is retried every 100 ms while it rejects, each try bounded by the start-up deadline). The
 * probe starts once the agent printed its `Serf agent running!` banner (or half the deadline
 * passed without one): probing a booting agent, often by spawning a CLI process every 100 ms,
 * only added load and made readiness probes time out on a busy machine. Retries
 * with fresh ports when the agent exits or stalls and its log says an address is in use. On
 * failure every attempt is killed by PID and the rejection carries the agent's log.
 */
export async function startAgentProcess(
  command: AgentCommand,
  options: AgentOptions,
  ready: (agent: AgentProcess) => Promise<unknown>,
): Promise<AgentProcess> {
  const name = options.name ?? `${command.label}-${randomSuffix()}`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const attempts = options.attempts ?? 5;
  let failure = "";
  for (let attempt = 1; attempt <= attempts && Date.now() < deadline; attempt++) {
    const ip = options.ip ?? randomLoopbackIp();
    const bindPort = options.bindPort ?? (await freePort(ip, { udp: true }));
    const rpcPort = options.rpcPort ?? (await freePort(ip, { exclude: [bindPort] }));
    const bindAddress = `${ip}:${bindPort}`;
    const rpcAddress = `${ip}:${rpcPort}`;
    const dir = mkdtempSync(join(tmpdir(), `serf-ts-${command.label}-agent-`));
    let configFile: string | undefined;
    if (options.rpcAuth !== undefined) {
      configFile = join(dir, "config.json");
      writeFileSync(configFile, JSON.stringify({ rpc_auth: options.rpcAuth }));
    }
    const args = [
      ...command.args,
      ...agentFlags(options, {
        name,
        bindAddress,
        rpcAddress,
        ...(configFile === undefined ? {} : { configFile }),
      }),
    ];
    const env =
      command.env === undefined ? options.env : { ...(options.env ?? process.env), ...command.env };
    const child = spawnTracked(command.file, args, {
      cleanup: [dir],
      ...(env === undefined ? {} : { env }),
    });
    let log = "";
    let misbound: string | undefined;
    let bannerSeen = false;
    const onData = (text: string): void => {
      log += text;
      if (!bannerSeen && log.includes(BANNER)) bannerSeen = true;
      if (log.length > MAX_LOG) log = log.slice(-MAX_LOG / 2);
      if (misbound === undefined && log.length < 64 * 1024) {
        misbound = misboundAddress(log, bindAddress, rpcAddress);
        if (misbound !== undefined) {
          try {
            process.kill(child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
      options.onLog?.(text);
    };
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);

    const agent: AgentProcess = {
      kind: command.label,
      name,
      ip,
      bindAddress,
      bindPort,
      rpcAddress,
      rpcPort,
      rpcAuth: options.rpcAuth,
      pid: child.pid,
      argv: [command.file, ...args],
      get exited() {
        return child.exitCode !== null || child.signalCode !== null;
      },
      get exitCode() {
        return child.exitCode;
      },
      get signalCode() {
        return child.signalCode;
      },
      log: () => log,
      waitExit: (ms) => waitForExit(child, ms),
      stop: (signal = "SIGINT", ms = 8000) => stopProcess(child, signal, ms),
      kill: () => stopProcess(child, "SIGKILL", 3000),
    };

    let lastError: unknown;
    const probeFrom = Date.now() + (deadline - Date.now()) / 2;
    while (!agent.exited && Date.now() < deadline) {
      if (!bannerSeen && Date.now() < probeFrom) {
        await sleep(50);
        continue;
      }
      try {
        await bounded(ready(agent), Math.max(1000, deadline - Date.now()));
        if (!agent.exited) return agent;
      } catch (err) {
        lastError = err;
        await sleep(100);
      }
    }
    const why =
      misbound !== undefined
        ? `ignored its flags and was killed: ${misbound}`
        : agent.exited
          ? `exited (code ${agent.exitCode}, signal ${agent.signalCode})`
          : `not ready within ${timeoutMs} ms` +
            (lastError instanceof Error
              ? ` (last probe: ${lastError.message.split("\n")[0]})`
              : "");
    // Let the output pipes drain before reading the log.
    await agent.kill();
    failure =
      `attempt ${attempt}: ${why}\n$ ${agent.argv.join(" ")}\n` + `--- log ---\n${tail(log)}`;
    if (misbound !== undefined || !isAddressInUse(log)) break; // retrying will not help
  }
  throw new Error(`${command.label} agent ${name} did not start: ${failure || "no attempt"}`);
}
