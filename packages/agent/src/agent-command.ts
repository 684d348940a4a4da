/**
 * `serf agent`: the command that runs an agent until a signal stops it (Go serf 0.9.4
 * `agent.Command.Run`). Output, exit codes and signal handling follow agent.md §4 and §11:
 *
 * - configuration errors: `==> ` + Go's message on stdout, exit 1 (unknown flags: Go's flag
 *   error on stderr plus the help text on stdout); `-h`: help on stderr, exit 0;
 * - start-up lines, the banner, the start join, then `==> Log data will now stream in as it
 *   occurs:` — log lines held back until then are printed, later ones stream (stdout, Go's
 *   format);
 * - SIGINT: graceful leave, exit 0 (exit 1 with `skip_leave_on_interrupt`); SIGTERM: exit 1
 *   without leave (graceful, exit 0, with `leave_on_terminate`); a leave that fails, takes
 *   over 3 s, or is interrupted by another signal: exit 1; SIGHUP: reload; RPC `leave` or serf
 *   shutting itself down: exit 0; retry join exhausted: exit 1.
 */

import { Agent, type AgentOptions, type AgentUi } from "./agent.ts";
import { AGENT_HELP } from "./agent-help.ts";
import { errorText } from "./agent-errors.ts";
import { openSyslogSink } from "./agent-syslog.ts";
import type { AgentConfig } from "./config/agent-config.ts";
import { ConfigErrorCode, isConfigError, OUTPUT_PREFIX } from "./config/config-error.ts";
import { type ReadConfigOptions, readConfig } from "./config/read-config.ts";
import { checkLogLevel, type LogLevel } from "./logging/log-level.ts";
import { Logger, type LogOutput } from "./logging/logger.ts";
import type { SyslogSink } from "./logging/syslog.ts";

/** The signals the agent handles. */
export type AgentSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/**
 * Where signals come from (`process` fits). `SIGUSR1` dumps the in-memory metrics to stderr
 * (Go's `InmemSignal`); listening to it also keeps Node from starting its inspector.
 */
export interface AgentSignalSource {
  on(signal: AgentSignal | "SIGUSR1", listener: () => void): unknown;
  off(signal: AgentSignal | "SIGUSR1", listener: () => void): unknown;
}

/** What `runAgentCommand` talks to. */
export interface AgentCommandIo {
  /** Banner, `==> ` lines, errors and log lines (Go writes all of them to stdout). */
  readonly stdout: LogOutput;
  /** Flag errors and `-h` help. */
  readonly stderr: LogOutput;
  /** Environment of event handler scripts. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Signal source. @default process */
  readonly signals?: AgentSignalSource | undefined;
  /** Extra agent options (tests: faster timings, mDNS on loopback, …). */
  readonly agentOptions?: Omit<AgentOptions, "logger" | "logOutput" | "ui" | "env"> | undefined;
  /** Configuration reading hooks (host name, interface check). */
  readonly readConfigOptions?: ReadConfigOptions | undefined;
  /** Syslog sink factory (`-syslog`); `close` is called on exit. @default openSyslogSink */
  readonly syslog?: ((facility: string) => Promise<SyslogSink & { close?(): void }>) | undefined;
  /** Limit of the graceful leave (Go `gracefulTimeout`). @default 3000 */
  readonly gracefulTimeoutMs?: number | undefined;
  /** Longest wait for the final shutdown before returning anyway. @default 10000 */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Called with the agent once it runs (before the start join). */
  readonly onAgent?: ((agent: Agent) => void) | undefined;
}

/** Go's names of the handled signals (`os.Signal.String()`). */
const SIGNAL_NAMES: Readonly<Record<AgentSignal, string>> = {
  SIGINT: "interrupt",
  SIGTERM: "terminated",
  SIGHUP: "hangup",
};

const HANDLED_SIGNALS: readonly AgentSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Go's `cli.PrefixedUi`: the prefix goes before non-empty messages only. */
export function prefixedUi(out: LogOutput): AgentUi {
  const line = (prefix: string, message: string): void => {
    out.write(`${message === "" ? "" : prefix + message}\n`);
  };
  return {
    output: (m) => line(OUTPUT_PREFIX, m),
    info: (m) => line("    ", m),
    error: (m) => line(OUTPUT_PREFIX, m),
  };
}

/** Signals received and not yet handled (Go's buffered signal channel). */
class SignalQueue {
  readonly #source: AgentSignalSource;
  readonly #listeners = new Map<AgentSignal, () => void>();
  readonly #queue: AgentSignal[] = [];
  #waiters: Array<() => void> = [];

  constructor(source: AgentSignalSource) {
    this.#source = source;
    for (const sig of HANDLED_SIGNALS) {
      const listener = (): void => {
        this.#queue.push(sig);
        for (const w of this.#waiters.splice(0)) w();
      };
      this.#listeners.set(sig, listener);
      source.on(sig, listener);
    }
  }

  /** Resolves once a signal is waiting (without taking it). */
  waitNonEmpty(): Promise<void> {
    if (this.#queue.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  take(): AgentSignal | undefined {
    return this.#queue.shift();
  }

  dispose(): void {
    for (const [sig, listener] of this.#listeners) this.#source.off(sig, listener);
    this.#listeners.clear();
  }
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Reads flags and files (Go `readConfig`), printing the warnings; on failure prints the error
 * as Go does and returns the exit code.
 */
function readAgentConfig(
  argv: readonly string[],
  io: AgentCommandIo,
  ui: AgentUi,
): AgentConfig | number {
  try {
    const result = readConfig(argv, io.readConfigOptions);
    for (const warning of result.warnings) ui.output(warning);
    return result.config;
  } catch (err) {
    if (!isConfigError(err)) throw err;
    if (err.code === ConfigErrorCode.HELP) {
      io.stderr.write(`${AGENT_HELP}\n`);
      return 0;
    }
    if (err.code === ConfigErrorCode.FLAG) {
      io.stderr.write(`${err.message}\n`);
      ui.output(AGENT_HELP);
      return 1;
    }
    ui.error(err.message);
    return 1;
  }
}

function printBanner(ui: AgentUi, config: AgentConfig, agent: Agent): void {
  ui.output("Serf agent running!");
  ui.info(`                  Node name: '${config.nodeName}'`);
  ui.info(`                  Bind addr: '${agent.bindAddr}'`);
  if (agent.advertiseAddr !== undefined) ui.info(`Advertise addr: '${agent.advertiseAddr}'`);
  ui.info(`                   RPC addr: '${config.rpcAddr}'`);
  if (agent.httpAddress !== undefined)
    ui.info(`                  HTTP addr: '${agent.httpAddress}'`);
  ui.info(`                  Encrypted: ${agent.encrypted}`);
  ui.info(`                   Snapshot: ${config.snapshotPath !== ""}`);
  ui.info(`                    Profile: ${config.profile}`);
  ui.info(`Message Compression Enabled: ${config.enableCompression}`);
  if (config.discover !== "") ui.info(`               mDNS cluster: ${config.discover}`);
}

/**
 * Runs `serf agent ARGS` (without the `agent` word) until it stops; resolves to the exit
 * code. Never rejects for configuration or start-up problems (they are printed, exit 1).
 */
export async function runAgentCommand(
  argv: readonly string[],
  io: AgentCommandIo,
): Promise<number> {
  const signalSource = io.signals ?? process;
  let running: Agent | undefined;
  const dumpMetrics = (): void => {
    if (running !== undefined) io.stderr.write(running.metrics.dump());
  };
  signalSource.on("SIGUSR1", dumpMetrics);
  try {
    return await runAgent(argv, io, signalSource, (agent) => {
      running = agent;
    });
  } finally {
    signalSource.off("SIGUSR1", dumpMetrics);
  }
}

async function runAgent(
  argv: readonly string[],
  io: AgentCommandIo,
  signalSource: AgentSignalSource,
  onRunning: (agent: Agent) => void,
): Promise<number> {
  const ui = prefixedUi(io.stdout);
  const read = readAgentConfig(argv, io, ui);
  if (typeof read === "number") return read;
  const config = read;

  let level: LogLevel;
  try {
    level = checkLogLevel(config.logLevel);
  } catch (err) {
    ui.error(errorText(err));
    return 1;
  }
  let syslog: (SyslogSink & { close?(): void }) | undefined;
  if (config.enableSyslog) {
    try {
      syslog = await (io.syslog ?? openSyslogSink)(config.syslogFacility);
    } catch (err) {
      ui.error(`Syslog setup failed: ${errorText(err)}`);
      return 1;
    }
  }
  try {
    return await runWithLogger(argv, io, ui, config, level, syslog, signalSource, onRunning);
  } finally {
    syslog?.close?.();
  }
}

/** The agent's life once the logger's outputs are set up. */
async function runWithLogger(
  argv: readonly string[],
  io: AgentCommandIo,
  ui: AgentUi,
  config: AgentConfig,
  level: LogLevel,
  syslog: SyslogSink | undefined,
  signalSource: AgentSignalSource,
  onRunning: (agent: Agent) => void,
): Promise<number> {
  const logger = new Logger({
    output: io.stdout,
    level,
    gated: true,
    ...(syslog === undefined ? {} : { syslog }),
  });

  let agent: Agent;
  try {
    agent = await Agent.create(config, {
      ...io.agentOptions,
      logger,
      ui,
      env: io.env ?? process.env,
    });
  } catch (err) {
    ui.error(errorText(err));
    return 1;
  }
  onRunning(agent);
  io.onAgent?.(agent);
  printBanner(ui, config, agent);

  const shutdownTimeoutMs = io.shutdownTimeoutMs ?? 10_000;
  try {
    await agent.startJoin();
  } catch (err) {
    ui.error(errorText(err));
    const limit = delay(shutdownTimeoutMs);
    await Promise.race([agent.shutdown(), limit.promise]);
    limit.cancel();
    return 1;
  }

  ui.info("");
  ui.output("Log data will now stream in as it occurs:\n");
  logger.openGate();

  const signals = new SignalQueue(signalSource);
  try {
    agent.startRetryJoin().catch((err: unknown) => {
      logger.log("ERR", "agent", `retry join failed: ${errorText(err)}`);
    });
    return await handleSignals(argv, io, ui, config, agent, signals);
  } finally {
    // Go: the deferred IPC and agent shutdowns. Signals stay caught meanwhile; a new one
    // stops the wait.
    while (signals.take() !== undefined) {
      // Signals already handled (e.g. the one that interrupted the leave) do not count.
    }
    const limit = delay(shutdownTimeoutMs);
    await Promise.race([agent.shutdown(), signals.waitNonEmpty(), limit.promise]);
    limit.cancel();
    signals.dispose();
  }
}

/** Go `handleSignals`: waits for a signal or for the agent to stop; returns the exit code. */
async function handleSignals(
  argv: readonly string[],
  io: AgentCommandIo,
  ui: AgentUi,
  startConfig: AgentConfig,
  agent: Agent,
  signals: SignalQueue,
): Promise<number> {
  let config = startConfig;
  for (;;) {
    const exit = await Promise.race([signals.waitNonEmpty().then(() => undefined), agent.done]);
    if (exit !== undefined) return exit.reason === "retry-join-failed" ? 1 : 0;
    const sig = signals.take();
    if (sig === undefined) continue;
    ui.output(`Caught signal: ${SIGNAL_NAMES[sig]}`);

    if (sig === "SIGHUP") {
      config = await handleReload(argv, io, ui, config, agent);
      continue;
    }

    const graceful =
      (sig === "SIGINT" && !config.skipLeaveOnInt) || (sig === "SIGTERM" && config.leaveOnTerm);
    if (!graceful) return 1;

    ui.output("Gracefully shutting down agent...");
    const left = agent.leave().then(
      () => true,
      (err: unknown) => {
        ui.error(`Error: ${errorText(err)}`);
        return false;
      },
    );
    const limit = delay(io.gracefulTimeoutMs ?? 3000);
    try {
      return await Promise.race([
        // A failed leave waits for the time limit or another signal, as Go does.
        left.then((ok) => (ok ? 0 : new Promise<number>(() => {}))),
        signals.waitNonEmpty().then(() => 1),
        limit.promise.then(() => 1),
      ]);
    } finally {
      limit.cancel();
    }
  }
}

/** Go `handleReload`: re-reads the configuration with the original arguments and applies it. */
async function handleReload(
  argv: readonly string[],
  io: AgentCommandIo,
  ui: AgentUi,
  config: AgentConfig,
  agent: Agent,
): Promise<AgentConfig> {
  ui.output("Reloading configuration...");
  const next = readAgentConfig(argv, io, ui);
  if (typeof next === "number") {
    ui.error("Failed to reload configs");
    return config;
  }
  await agent.reload(next);
  return next;
}
