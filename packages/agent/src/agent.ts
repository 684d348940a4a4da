/**
 * `Agent`: a serf node run the way `serf agent` runs it (Go serf 0.9.4 `agent.Agent` plus the
 * start-up work of `agent.Command`): Serf started from an `AgentConfig`, the event loop that
 * feeds event handler scripts and RPC streams (member and user events coalesced with the
 * agent's 3 s / 1 s windows), the RPC server, start join, retry join, mDNS discovery, the tags
 * file, reload, leave and shutdown.
 *
 * ```ts
 * const { config } = readConfig(["-node=web1", "-bind=10.0.0.5", "-join=10.0.0.4"]);
 * const agent = await Agent.create(config, { logOutput: process.stdout });
 * await agent.startJoin();
 * void agent.startRetryJoin();
 * // …
 * await agent.leave();
 * await agent.shutdown();
 * ```
 *
 * `Agent` implements the RPC server's `AgentBackend`, so `serf members`, `serf event`, `serf
 * query` … of the Go CLI work against it. Failures carry Go's texts (see `AgentError`).
 */

import { readFileSync } from "node:fs";
import {
  availableParallelism,
  cpus,
  type NetworkInterfaceInfo,
  networkInterfaces as osNetworkInterfaces,
} from "node:os";
import { type Clock, ipFromBytes, parseAddress, systemClock } from "@serf-ts/memberlist";
import {
  AGENT_COALESCING_WINDOWS,
  type CoalescingWindows,
  createCoalescePipeline,
  TimedStage,
  type KeyOperationResult,
  type Member as SerfMember,
  parseSnapshot,
  type QueryResponse,
  Serf,
  type SerfDriverEvent,
  type SerfEvent,
  type SerfMemberEvent,
  type SerfOptions,
} from "@serf-ts/serf";
import { utf8Decode } from "@serf-ts/wire";
import {
  type QueryRequest,
  type Member as RpcMember,
  type RpcCoordinate,
  type StatsResponse,
  type StringMap,
  tagsLimitError,
} from "@serf-ts/wire/rpc";
import { AgentFileError, loadKeyringFile, loadTagsFile, writeTagsFile } from "./agent-files.ts";
import {
  AgentError,
  AgentErrorCode,
  errorText,
  goJoinErrorText,
  goSerfCreateErrorText,
  goStringSlice,
} from "./agent-errors.ts";
import { libraryLogger } from "./agent-log-bridge.ts";
import { type AgentConfig, type Tags, tagRecord } from "./config/agent-config.ts";
import {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
  formatResolvedAddr,
} from "./config/setup-checks.ts";
import type { AgentMdns, AgentMdnsOptions } from "./discovery/agent-mdns.ts";
import { mdnsInterfaceAddress } from "./discovery/mdns-common.ts";
import { DurableEventPipeline } from "./event-handlers/durable-event-pipeline.ts";
import { EventHandlerRunner } from "./event-handlers/event-handler-runner.ts";
import { openEventJournal, type PendingJournal } from "./event-handlers/pending-journal.ts";
import { type EventScript, parseEventScripts } from "./event-handlers/event-filter.ts";
import { describeEvent, type HandlerEvent } from "./event-handlers/events.ts";
import { formatGoDurationMs } from "@serf-ts/wire/gocompat";
import type { AgentHttpOptions } from "./http/agent-http.ts";
import type { HttpServer } from "./http/http-server.ts";
import { HttpRouter } from "./http/router.ts";
import { AgentMetrics, type AgentMetricsOptions } from "./metrics/agent-metrics.ts";
import { invokeEventScript } from "./event-handlers/script-invoker.ts";
import { canonicalIP, type HostLookup } from "./gocompat/net.ts";
import { goQuote } from "@serf-ts/wire/gocompat";
import { checkLogLevel, type LogLevel } from "./logging/log-level.ts";
import { type ComponentLogger, Logger, type LogOutput } from "./logging/logger.ts";
import {
  type AgentBackend,
  type AgentEvent,
  type AgentKeyResult,
  type AgentQuery,
  type AgentQueryResponse,
  JoinError,
} from "./rpc/agent-backend.ts";
import { RpcServer, type RpcServerOptions } from "./rpc/rpc-server.ts";

/** The `==> ` console of the agent command (Go's prefixed `cli.Ui`). */
export interface AgentUi {
  /** A status line: `==> message`. */
  output(message: string): void;
  /** An indented line: `    message` (an empty message prints an empty line). */
  info(message: string): void;
  /** An error: `==> message`. */
  error(message: string): void;
}

/** Why `Agent.done` resolved. */
export interface AgentExit {
  /**
   * `shutdown`: the agent shut down (RPC `leave`, serf shut itself down, or `shutdown()`);
   * the agent command exits 0. `retry-join-failed`: `retry_max_attempts` rounds of retry join
   * failed; the agent still runs, the command shuts it down and exits 1.
   */
  readonly reason: "shutdown" | "retry-join-failed";
}

/** Everything `Agent.create` takes besides the configuration. All optional. */
export interface AgentOptions {
  /**
   * The agent's logger (console filter, `monitor` ring, syslog). @default a new `Logger` at
   * `config.logLevel` writing to `logOutput`
   */
  readonly logger?: Logger | undefined;
  /** Console stream of the default logger. @default none (lines only reach `monitor`) */
  readonly logOutput?: LogOutput | undefined;
  /** Where `==> ` status and error lines go. @default nowhere */
  readonly ui?: AgentUi | undefined;
  /** Environment of event handler scripts (plus the `SERF_*` variables). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Working directory of event handler scripts. @default the process's */
  readonly cwd?: string | undefined;
  /** Clock of serf and of the coalescing windows. @default systemClock */
  readonly clock?: Clock | undefined;
  /** Network interfaces for `-iface`. @default os.networkInterfaces */
  readonly networkInterfaces?: (() => NodeJS.Dict<NetworkInterfaceInfo[]>) | undefined;
  /** Host name resolution for `-bind` / `-advertise`. @default the system resolver */
  readonly hostLookup?: HostLookup | undefined;
  /** Coalescing windows of member and user events. @default 3 s / 1 s, as Go's agent */
  readonly coalescing?: CoalescingWindows | undefined;
  /**
   * Extra serf (and `memberlist`) options, applied over those derived from the configuration
   * (tests use faster memberlist timings).
   */
  readonly serfOptions?: SerfOptions | undefined;
  /** RPC server options, or `false` for no RPC listener. @default listen on `config.rpcAddr` */
  readonly rpc?: false | Omit<RpcServerOptions, "backend" | "logger" | "authKey"> | undefined;
  /** Telemetry timings (in-memory intervals, runtime metrics period, host name). */
  readonly metrics?: AgentMetricsOptions | undefined;
  /** HTTP listener limits (`http_addr`); the listener runs only when `http_addr` is set. */
  readonly http?: AgentHttpOptions | undefined;
  /** mDNS socket and timing options (`-discover`); tests keep multicast on loopback. */
  readonly mdns?:
    | Omit<
        AgentMdnsOptions,
        "cluster" | "nodeName" | "advertiseIp" | "advertisePort" | "onPeers" | "logger"
      >
    | undefined;
  /** Events waiting for event handler scripts at most. @default 16384 */
  readonly handlerQueueCapacity?: number | undefined;
  /** Kill a handler script after this long; 0 = never, as Go. @default 0 */
  readonly scriptTimeoutMs?: number | undefined;
  /**
   * At shutdown, how long queued and running handler scripts may still run before they are
   * killed (Go leaves them running as orphans when the process exits). @default 2000
   */
  readonly handlerDrainMs?: number | undefined;
  /**
   * With a snapshot: keep events not yet handled in `<snapshot>.pending` and hand them to the
   * handlers after a crash (see the README, "Event handlers across crashes"). @default true
   */
  readonly eventJournal?: boolean | undefined;
}

const EMPTY = new Uint8Array(0);
const INTERNAL_QUERY_PREFIX = "_serf_";
const KEY_SIZES: ReadonlySet<number> = new Set([16, 24, 32]);

/** Go `runtime.GOOS` for Node's platform names. */
function goOs(platform: string): string {
  return platform === "win32" ? "windows" : platform === "sunos" ? "solaris" : platform;
}

/** Go `runtime.GOARCH` for Node's architecture names. */
function goArch(arch: string): string {
  const names: Readonly<Record<string, string>> = {
    x64: "amd64",
    ia32: "386",
    arm: "arm",
    arm64: "arm64",
    ppc64: "ppc64le",
    s390x: "s390x",
    mips: "mips",
    mipsel: "mipsle",
    riscv64: "riscv64",
    loong64: "loong64",
  };
  return names[arch] ?? arch;
}

function isLinkLocal(info: NetworkInterfaceInfo): boolean {
  if (info.family === "IPv4") return info.address.startsWith("169.254.");
  return /^fe[89ab]/i.test(info.address);
}

function payloadText(payload: Uint8Array | null): string {
  return payload === null ? "" : utf8Decode(payload);
}

/** A serf member in the RPC schema. */
export function toRpcMember(m: SerfMember): RpcMember {
  return {
    name: m.name,
    addr: m.addr,
    port: m.port,
    tags: new Map(Object.entries(m.tags)),
    status: m.status,
    protocolMin: m.protocolMin,
    protocolMax: m.protocolMax,
    protocolCur: m.protocolCur,
    delegateMin: m.delegateMin,
    delegateMax: m.delegateMax,
    delegateCur: m.delegateCur,
  };
}

function toKeyResult(r: KeyOperationResult): AgentKeyResult {
  return {
    keys: r.keys,
    messages: r.messages,
    numErr: r.numErr,
    numNodes: r.numNodes,
    numResp: r.numResp,
    error: r.error,
  };
}

async function* mapResponses(
  responses: AsyncIterable<{ readonly from: string; readonly payload: Uint8Array }>,
): AsyncIterable<AgentQueryResponse> {
  for await (const r of responses) yield { from: r.from, payload: r.payload };
}

/** Go's `%s` of a member's IP. */
function memberIp(m: SerfMember): string {
  try {
    return ipFromBytes(m.addr);
  } catch {
    return "<nil>";
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

const NO_UI: AgentUi = { output: () => {}, info: () => {}, error: () => {} };
const NO_OUTPUT: LogOutput = { write: () => true };

/** Addresses, key and profile checked before serf starts (Go `setupAgent`). */
interface AgentSetup {
  readonly bindIp: string;
  readonly bindPort: number;
  readonly advertise: { readonly ip: string; readonly port: number } | undefined;
  readonly encryptKey: Uint8Array;
  readonly profile: "lan" | "wan" | "local";
}

/** A running agent. Create with `Agent.create`. */
export class Agent implements AgentBackend {
  /** The configuration the agent was started with. */
  readonly config: AgentConfig;
  /** The serf node. */
  readonly serf: Serf;
  /** The agent's logger (console, `monitor` ring, syslog). */
  readonly logger: Logger;
  /** The bind address as the banner shows it (`ip:port`). */
  readonly bindAddr: string;
  /** The configured advertise address (`ip:port`), if any. */
  readonly advertiseAddr: string | undefined;
  /** Resolves when the agent stopped on its own or was shut down (see `AgentExit`). */
  readonly done: Promise<AgentExit>;
  /** Telemetry: statsd/statsite, the SIGUSR1 in-memory sink, Prometheus (see AgentMetrics). */
  readonly metrics: AgentMetrics;
  /** Routes of the HTTP listener (`http_addr`); register more with `httpRouter.get(…)`. */
  readonly httpRouter = new HttpRouter();

  readonly #log: ComponentLogger;
  readonly #ui: AgentUi;
  readonly #clock: Clock;
  readonly #stage: TimedStage<SerfEvent> | undefined;
  readonly #durable: DurableEventPipeline | undefined;
  readonly #runner: EventHandlerRunner;
  readonly #startupScripts: readonly EventScript[];
  readonly #subscribers = new Set<(event: AgentEvent) => void>();
  readonly #retryAbort = new AbortController();
  readonly #handlerDrainMs: number;
  readonly #unsubscribeSerf: () => void;
  #rpc: RpcServer | undefined;
  #http: HttpServer | undefined;
  #mdns: AgentMdns | undefined;
  #resolveDone: (exit: AgentExit) => void = () => {};
  #shutdownPromise: Promise<void> | undefined;

  private constructor(init: {
    config: AgentConfig;
    serf: Serf;
    logger: Logger;
    ui: AgentUi;
    clock: Clock;
    bindAddr: string;
    advertiseAddr: string | undefined;
    options: AgentOptions;
    metrics: AgentMetrics;
    journal?: PendingJournal | undefined;
  }) {
    this.config = init.config;
    this.metrics = init.metrics;
    init.metrics.observe(() => this.serf);
    this.serf = init.serf;
    this.logger = init.logger;
    this.bindAddr = init.bindAddr;
    this.advertiseAddr = init.advertiseAddr;
    this.#ui = init.ui;
    this.#clock = init.clock;
    this.#log = init.logger.child("agent");
    this.#handlerDrainMs = init.options.handlerDrainMs ?? 2000;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    const coalescer = createCoalescePipeline(init.options.coalescing ?? AGENT_COALESCING_WINDOWS);
    this.#stage =
      coalescer === undefined
        ? undefined
        : new TimedStage(
            coalescer,
            init.clock,
            (e) => this.#dispatch(e),
            () => this.#shutdownPromise === undefined,
          );
    this.#durable =
      init.journal === undefined
        ? undefined
        : new DurableEventPipeline({
            journal: init.journal,
            windows: init.options.coalescing ?? AGENT_COALESCING_WINDOWS,
            clock: init.clock,
            emit: (e, onHandled) => this.#dispatch(e, onHandled),
            logger: this.#log,
            active: () => this.#shutdownPromise === undefined,
          });
    this.#startupScripts = parseEventScripts(init.config.eventHandlers);
    const env = init.options.env;
    const cwd = init.options.cwd;
    const timeoutMs = init.options.scriptTimeoutMs;
    this.#runner = new EventHandlerRunner({
      scripts: this.#startupScripts,
      self: () => {
        const m = this.serf.localMember();
        return { name: m.name, tags: m.tags };
      },
      logger: this.#log,
      invoke: init.metrics.timeScripts(invokeEventScript),
      ...(init.options.handlerQueueCapacity === undefined
        ? {}
        : { queueCapacity: init.options.handlerQueueCapacity }),
      invokeOptions: {
        ...(env === undefined ? {} : { env }),
        ...(cwd === undefined ? {} : { cwd }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      },
    });
    this.#unsubscribeSerf = this.serf.on("*", (event) => this.#onSerfEvent(event));
  }

  /**
   * Starts an agent (Go `setupAgent` + `startAgent`): checks addresses, interface, key and
   * profile; prints `Starting Serf agent...`; loads the tags and keyring files; starts serf;
   * starts mDNS discovery when `discover` is set; starts the RPC listener and prints
   * `Starting Serf agent RPC...`. It does not join: call `startJoin` / `startRetryJoin`.
   *
   * @throws ConfigError (`Invalid bind address: …`, `Invalid encryption key: …`, `Unknown
   *   profile: …`, `Invalid log level: …`) or AgentError (`Failed to setup the Serf agent: …`,
   *   `Failed to start the Serf agent: Error creating Serf: …`, `Error starting mDNS listener:
   *   …`, `Error starting RPC listener: …`); messages are Go's, without the `==> ` prefix.
   */
  static async create(config: AgentConfig, options: AgentOptions = {}): Promise<Agent> {
    const ui = options.ui ?? NO_UI;
    const logger =
      options.logger ??
      new Logger({
        output: options.logOutput ?? NO_OUTPUT,
        level: checkLogLevel(config.logLevel === "" ? "INFO" : config.logLevel),
      });
    const setup = await Agent.#setup(config, options, ui);

    ui.output("Starting Serf agent...");
    const log = logger.child("agent");
    let tags: Tags = tagRecord(config.tags);
    let keyringFile: string | undefined;
    try {
      if (config.tagsFile !== "") {
        const restored = loadTagsFile(config.tagsFile, config.tags);
        if (restored !== undefined) {
          tags = restored;
          log.info(`Restored ${Object.keys(restored).length} tag(s) from ${config.tagsFile}`);
        }
      }
      if (config.keyringFile !== "") {
        const keys = loadKeyringFile(config.keyringFile, config.encryptKey);
        keyringFile = config.keyringFile;
        log.info(`Restored keyring with ${keys.length} keys from ${config.keyringFile}`);
      }
    } catch (err) {
      if (err instanceof AgentFileError) {
        throw new AgentError(
          AgentErrorCode.SETUP,
          `Failed to setup the Serf agent: ${err.message}`,
          { cause: err },
        );
      }
      throw err;
    }

    const journal =
      config.snapshotPath !== "" && options.eventJournal !== false
        ? openEventJournal(config.snapshotPath, log)
        : undefined;
    log.info("Serf agent starting");
    const clock = options.clock ?? systemClock;
    const metrics = await AgentMetrics.create(config, logger, options.metrics);
    let serf: Serf;
    try {
      serf = await Agent.#startSerf(
        config,
        options,
        setup,
        tags,
        keyringFile,
        logger,
        clock,
        metrics,
      );
    } catch (err) {
      await metrics.close();
      journal?.close();
      throw err;
    }
    const bindAddr = formatResolvedAddr({ ip: setup.bindIp, port: setup.bindPort });
    const agent = new Agent({
      config,
      serf,
      logger,
      ui,
      clock,
      bindAddr,
      advertiseAddr:
        setup.advertise === undefined ? undefined : formatResolvedAddr(setup.advertise),
      options,
      metrics,
      journal,
    });
    agent.#durable?.replay();
    // Serf reported the local node's join while it was being created, before anyone could
    // listen; Go's agent sees (and handles) that event, so replay it.
    agent.#onSerfEvent({ type: "member-join", members: [serf.localMember()] });

    if (config.discover !== "") {
      try {
        await agent.#startMdns(options);
      } catch (err) {
        await agent.shutdown();
        throw new AgentError(
          AgentErrorCode.MDNS,
          `Error starting mDNS listener: ${errorText(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    if (options.rpc !== false) {
      const rpc = new RpcServer({
        ...options.rpc,
        backend: agent,
        logger: logger.child("agent.ipc"),
        authKey: config.rpcAuthKey,
        metrics: metrics.sink,
      });
      try {
        await rpc.listen(config.rpcAddr);
      } catch (err) {
        await rpc.close();
        await agent.shutdown();
        throw new AgentError(AgentErrorCode.RPC, `Error starting RPC listener: ${errorText(err)}`, {
          cause: err,
        });
      }
      agent.#rpc = rpc;
      ui.output("Starting Serf agent RPC...");
    }
    if (config.httpAddr !== "") {
      try {
        // Loaded only with http_addr: node:http and the API stay out of other agents' heaps.
        const { registerHttpApi, registerMetricsRoute, startAgentHttp } = await import(
          "./http/agent-http-routes.ts"
        );
        if (metrics.registry !== undefined)
          registerMetricsRoute(agent.httpRouter, metrics.registry);
        const log = logger.child("agent.http");
        registerHttpApi(agent.httpRouter, agent, log);
        agent.#http = await startAgentHttp(config.httpAddr, agent.httpRouter, log, options.http);
      } catch (err) {
        await agent.shutdown();
        throw new AgentError(
          AgentErrorCode.HTTP,
          `Error starting HTTP listener: ${errorText(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    return agent;
  }

  static async #setup(
    config: AgentConfig,
    options: AgentOptions,
    ui: AgentUi,
  ): Promise<AgentSetup> {
    const bind = await checkBindAddr(config.bindAddr, options.hostLookup);
    let bindIp = bind.ip === "" ? "0.0.0.0" : bind.ip;
    if (config.interface !== "") {
      const name = config.interface;
      const all = (options.networkInterfaces ?? osNetworkInterfaces)();
      const addrs = all[name] ?? [];
      if (addrs.length === 0) {
        throw new AgentError(AgentErrorCode.SETUP_ADDRESS, `Interface '${name}' has no addresses`);
      }
      if (bindIp === "0.0.0.0") {
        const usable = addrs.find((a) => !isLinkLocal(a));
        if (usable === undefined) {
          throw new AgentError(
            AgentErrorCode.SETUP_ADDRESS,
            `Failed to find usable address for interface '${name}'`,
          );
        }
        bindIp = canonicalIP(usable.address) ?? usable.address;
        ui.output(`Using interface '${name}' address '${bindIp}'`);
      } else if (!addrs.some((a) => (canonicalIP(a.address) ?? a.address) === bindIp)) {
        throw new AgentError(
          AgentErrorCode.SETUP_ADDRESS,
          `Interface '${name}' has no '${bindIp}' address`,
        );
      }
    }
    const advertise =
      config.advertiseAddr === ""
        ? undefined
        : await checkAdvertiseAddr(config.advertiseAddr, options.hostLookup);
    const encryptKey = decodeEncryptKey(config.encryptKey);
    const profile = checkProfile(config.profile);
    return { bindIp, bindPort: bind.port, advertise, encryptKey, profile };
  }

  static async #startSerf(
    config: AgentConfig,
    options: AgentOptions,
    setup: AgentSetup,
    tags: Tags,
    keyringFile: string | undefined,
    logger: Logger,
    clock: Clock,
    metrics: AgentMetrics,
  ): Promise<Serf> {
    const fail = (text: string, cause?: unknown): AgentError =>
      new AgentError(
        AgentErrorCode.START,
        `Failed to start the Serf agent: Error creating Serf: ${text}`,
        { cause },
      );
    if (setup.encryptKey.length > 0 && !KEY_SIZES.has(setup.encryptKey.length)) {
      throw fail("Failed to create memberlist: key size must be 16, 24 or 32 bytes");
    }
    if (config.snapshotPath !== "" && config.rejoinAfterLeave) {
      Agent.#noteIgnoredLeaves(config.snapshotPath, logger);
    }
    const extra = options.serfOptions ?? {};
    const serfOptions: SerfOptions = {
      broadcastTimeoutMs: config.broadcastTimeoutMs > 0 ? config.broadcastTimeoutMs : undefined,
      reconnectIntervalMs: config.reconnectIntervalMs > 0 ? config.reconnectIntervalMs : undefined,
      reconnectTimeoutMs: config.reconnectTimeoutMs > 0 ? config.reconnectTimeoutMs : undefined,
      tombstoneTimeoutMs: config.tombstoneTimeoutMs > 0 ? config.tombstoneTimeoutMs : undefined,
      queryResponseSizeLimit: config.queryResponseSizeLimit,
      querySizeLimit: config.querySizeLimit,
      userEventSizeLimit: config.userEventSizeLimit,
      enableNameConflictResolution: !config.disableNameResolution,
      ...extra,
      memberlist: { enableCompression: config.enableCompression, ...extra.memberlist },
    };
    try {
      return await Serf.create({
        nodeName: config.nodeName,
        bindAddr: setup.bindIp,
        bindPort: setup.bindPort,
        advertiseAddr: setup.advertise?.ip,
        advertisePort: setup.advertise?.port,
        tags,
        encryptKeys: setup.encryptKey.length > 0 ? [setup.encryptKey] : undefined,
        keyringFile,
        snapshotPath: config.snapshotPath === "" ? undefined : config.snapshotPath,
        rejoinAfterLeave: config.rejoinAfterLeave,
        validateNodeNames: config.validateNodeNames,
        protocolVersion: config.protocol > 0 ? config.protocol : undefined,
        profile: setup.profile,
        options: serfOptions,
        clock,
        logger: libraryLogger(logger),
        metrics: metrics.sink,
      });
    } catch (err) {
      throw fail(goSerfCreateErrorText(err, setup.bindIp, setup.bindPort), err);
    }
  }

  /** Go's snapshot replay logs each `leave` it skips because of `-rejoin`. */
  static #noteIgnoredLeaves(path: string, logger: Logger): void {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch {
      return;
    }
    try {
      for (const record of parseSnapshot(bytes).records) {
        if (record.kind === "leave")
          logger.log("INFO", "serf", "Ignoring previous leave in snapshot");
      }
    } catch {
      // A damaged snapshot is reported by serf itself.
    }
  }

  async #startMdns(options: AgentOptions): Promise<void> {
    const { host, port } = parseAddress(this.serf.localAddress);
    // Serf 0.10.2: `-mdns-iface` wins over `-iface` for mDNS.
    const ifaceName = this.config.mdnsInterface || this.config.interface;
    const iface =
      ifaceName === ""
        ? undefined
        : mdnsInterfaceAddress(ifaceName, options.networkInterfaces ?? osNetworkInterfaces);
    const mdnsLog = this.logger.child("agent.mdns");
    // Loaded only with -discover: multicast-dns and the mDNS code stay out of other agents' heaps.
    const { AgentMdns } = await import("./discovery/agent-mdns.ts");
    this.#mdns = await AgentMdns.start({
      ...(iface === undefined ? {} : { multicastInterface: iface }),
      ...options.mdns,
      cluster: this.config.discover,
      nodeName: this.config.nodeName,
      disableIPv4Queries: this.config.mdnsDisableIPv4,
      advertiseIp: host,
      advertisePort: port,
      logger: mdnsLog,
      onPeers: async (addrs) => {
        try {
          return await this.join(addrs, this.config.replayOnJoin);
        } catch (err) {
          return { joined: err instanceof JoinError ? err.num : 0, error: err };
        }
      },
    });
  }

  // -------------------------------------------------------------------------------------------
  // State

  /** The RPC address the agent listens on (`ip:port`), if the RPC server runs. */
  get rpcAddress(): string | undefined {
    return this.#rpc?.address;
  }

  /** The HTTP listener's address (`ip:port`), if it runs (`http_addr`). */
  get httpAddress(): string | undefined {
    return this.#http?.address;
  }

  /** The RPC server, if it runs. */
  get rpcServer(): RpcServer | undefined {
    return this.#rpc;
  }

  /** Whether gossip is encrypted (banner `Encrypted:`). */
  get encrypted(): boolean {
    return this.serf.encryptionEnabled;
  }

  /** The RPC auth key (`rpc_auth`). */
  get rpcAuthKey(): string {
    return this.config.rpcAuthKey;
  }

  /** True once `shutdown` started. */
  get isShutdown(): boolean {
    return this.#shutdownPromise !== undefined;
  }

  /** Resolves when no event handler script runs or waits (tests). */
  whenHandlersIdle(): Promise<void> {
    return this.#runner.whenIdle();
  }

  // -------------------------------------------------------------------------------------------
  // Event loop

  #onSerfEvent(event: SerfDriverEvent): void {
    switch (event.type) {
      case "member-join":
      case "member-leave":
      case "member-failed":
      case "member-update":
      case "member-reap":
        this.#logMemberEvent(event);
        this.#feed(event);
        break;
      case "user":
      case "query":
        this.#feed(event);
        break;
      case "shutdown":
        if (this.#shutdownPromise === undefined) {
          this.#log.warn("Serf shutdown detected, quitting");
          void this.shutdown();
        }
        break;
      default:
        break;
    }
  }

  /** Go serf's `EventMember…` lines. */
  #logMemberEvent(event: SerfMemberEvent): void {
    const forced = event.forced === true ? " (forced)" : "";
    for (const m of event.members) {
      switch (event.type) {
        case "member-join":
          this.logger.log("INFO", "serf", `EventMemberJoin: ${m.name} ${memberIp(m)}`);
          break;
        case "member-leave":
          this.logger.log("INFO", "serf", `EventMemberLeave${forced}: ${m.name} ${memberIp(m)}`);
          break;
        case "member-failed":
          this.logger.log("INFO", "serf", `EventMemberFailed: ${m.name} ${memberIp(m)}`);
          break;
        case "member-update":
          this.logger.log("INFO", "serf", `EventMemberUpdate: ${m.name}`);
          break;
        case "member-reap":
          // Go: the reaper's line has no address, a prune's has `(forced)` and the address.
          this.logger.log(
            "INFO",
            "serf",
            event.forced === true
              ? `EventMemberReap (forced): ${m.name} ${memberIp(m)}`
              : `EventMemberReap: ${m.name}`,
          );
          break;
      }
    }
  }

  #feed(event: SerfEvent): void {
    if (this.#durable !== undefined) {
      this.#durable.handle(event);
      return;
    }
    if (this.#stage === undefined) {
      this.#dispatch(event);
      return;
    }
    this.#stage.handle(event);
  }

  /** Converts a driver-clock time to `Date.now()` time. */
  #wallTime(driverMs: number): number {
    return Date.now() + (driverMs - this.#clock.now());
  }

  /**
   * One (coalesced) event: log it, queue it for the handlers, hand it to RPC streams.
   * `onHandled`: the journal's completion callback.
   */
  #dispatch(event: SerfEvent, onHandled?: () => void): void {
    let handlerEvent: HandlerEvent;
    let agentEvent: AgentEvent;
    switch (event.type) {
      case "member-join":
      case "member-leave":
      case "member-failed":
      case "member-update":
      case "member-reap":
        handlerEvent = {
          type: event.type,
          members: event.members.map((m) => ({
            name: m.name,
            addr: memberIp(m),
            port: m.port,
            tags: m.tags,
          })),
        };
        agentEvent = { type: event.type, members: event.members.map(toRpcMember) };
        break;
      case "user":
        handlerEvent = {
          type: "user",
          name: event.name,
          payload: event.payload,
          lTime: event.lTime,
          coalesce: event.coalesce,
        };
        agentEvent = {
          type: "user",
          name: event.name,
          payload: event.payload.length === 0 ? null : event.payload,
          lTime: event.lTime,
          coalesce: event.coalesce,
        };
        break;
      case "query": {
        if (event.name.startsWith(INTERNAL_QUERY_PREFIX)) return;
        const handle = event.handle;
        handlerEvent = {
          type: "query",
          name: event.name,
          payload: event.payload,
          lTime: event.lTime,
          respond: (response) => this.respond(handle, response),
        };
        agentEvent = {
          type: "query",
          name: event.name,
          payload: event.payload.length === 0 ? null : event.payload,
          lTime: event.lTime,
          handle,
          deadline: this.#wallTime(event.deadline),
        };
        break;
      }
      default:
        return;
    }
    this.#log.info(`Received event: ${describeEvent(handlerEvent)}`);
    this.#runner.handleEvent(handlerEvent, onHandled);
    for (const subscriber of [...this.#subscribers]) {
      try {
        subscriber(agentEvent);
      } catch {
        // Subscribers never throw (AgentBackend contract); a broken one must not stop others.
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Joining

  /**
   * Joins through `addrs` (Go `Agent.Join`): logs `joining: [ADDRS] replay: R`, then
   * `joined: N nodes` or `error joining: …`. Resolves to the number of nodes contacted.
   * @throws JoinError with Go's go-multierror text when no address could be contacted.
   */
  async join(addrs: readonly string[], replay: boolean): Promise<number> {
    this.#log.info(`joining: ${goStringSlice(addrs)} replay: ${replay}`);
    let n: number;
    try {
      n = await this.serf.join(addrs, { ignoreOld: !replay });
    } catch (err) {
      const text = goJoinErrorText(err);
      this.#log.warn(`error joining: ${text}`);
      throw new JoinError(text, 0);
    }
    if (n > 0) this.#log.info(`joined: ${n} nodes`);
    return n;
  }

  /**
   * The start join (`-join`, `start_join`; Go `startupJoin`): prints `Joining
   * cluster...(replay: R)` and `Join completed. Synced with N initial agents`. Resolves to 0
   * without addresses.
   * @throws AgentError (`START_JOIN`) with the join error text when every address failed.
   */
  async startJoin(): Promise<number> {
    const addrs = this.config.startJoin;
    if (addrs.length === 0) return 0;
    this.#ui.output(`Joining cluster...(replay: ${this.config.replayOnJoin})`);
    let n: number;
    try {
      n = await this.join(addrs, this.config.replayOnJoin);
    } catch (err) {
      throw new AgentError(AgentErrorCode.START_JOIN, errorText(err), { cause: err });
    }
    this.#ui.info(`Join completed. Synced with ${n} initial agents`);
    return n;
  }

  /**
   * The retry join (`-retry-join`; Go `retryJoin`), in the background: tries every
   * `retry_interval` until a join succeeds. After `retry_max_attempts` (> 0) further failed
   * rounds it logs `maximum retry join attempts made, exiting` and resolves `done` with
   * `retry-join-failed`. Resolves true on success, false when it gave up or the agent stopped.
   */
  async startRetryJoin(): Promise<boolean> {
    const addrs = this.config.retryJoin;
    if (addrs.length === 0) return false;
    const signal = this.#retryAbort.signal;
    const replay = this.config.replayOnJoin;
    const interval = this.config.retryIntervalMs;
    let attempt = 0;
    while (!signal.aborted) {
      this.#log.info(`Joining cluster...(replay: ${replay})`);
      try {
        const n = await this.join(addrs, replay);
        this.#log.info(`Join completed. Synced with ${n} initial agents`);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        attempt++;
        const max = this.config.retryMaxAttempts;
        if (max > 0 && attempt > max) {
          this.#log.error("maximum retry join attempts made, exiting");
          this.#resolveDone({ reason: "retry-join-failed" });
          return false;
        }
        this.#log.warn(
          `Join failed: ${errorText(err)}, retrying in ${formatGoDurationMs(interval)}`,
        );
        await sleep(interval, signal);
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Leave, shutdown, reload

  /**
   * Graceful leave (Go `Agent.Leave`): logs `requesting graceful leave from Serf`, broadcasts
   * the leave and waits for it. Call `shutdown` afterwards.
   * @throws e.g. `Leave already in progress`, a broadcast timeout.
   */
  async leave(): Promise<void> {
    if (this.#shutdownPromise !== undefined) return;
    this.#log.info("requesting graceful leave from Serf");
    await this.serf.leave();
  }

  /**
   * Shuts down without leaving (Go `Agent.Shutdown`; after `leave` for a graceful exit):
   * stops retry join and mDNS, shuts serf down (peers see a failure unless we left), delivers
   * events still held by the coalescer, gives queued handler scripts `handlerDrainMs`, closes
   * the RPC server and its connections, and resolves `done`. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdownPromise ??= this.#doShutdown();
    return this.#shutdownPromise;
  }

  async #doShutdown(): Promise<void> {
    this.#retryAbort.abort();
    this.#log.info("requesting serf shutdown");
    const mdns = this.#mdns;
    this.#mdns = undefined;
    await mdns?.stop().catch((err: unknown) => {
      this.logger.log("ERR", "agent.mdns", `Failed to stop: ${errorText(err)}`);
    });
    try {
      await this.serf.shutdown();
    } catch (err) {
      this.#log.error(`Failed to shut down serf: ${errorText(err)}`);
    }
    this.#unsubscribeSerf();
    this.#stage?.flush();
    this.#durable?.flush();
    if (this.#handlerDrainMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#runner.whenIdle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#handlerDrainMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.#runner.close();
    this.#durable?.close();
    await this.#rpc?.close();
    await this.#http?.close();
    await this.metrics.close();
    this.#subscribers.clear();
    this.#log.info("shutdown complete");
    this.#resolveDone({ reason: "shutdown" });
  }

  /**
   * Applies a re-read configuration (SIGHUP; Go `handleReload`): the console log level (an
   * invalid one is reported and the old level kept), the event handlers (from the next event
   * on; `stats` keeps listing the start-up ones, as Go), and the tags — replaced by the
   * configured tags, so tags set over RPC are lost, as in Go.
   *
   * With a tags file the tags are reloaded from that file instead (an edited file takes
   * effect; a missing file keeps the current tags). Go 0.9.4 clears the tags and overwrites
   * the file with `{}` there, which loses the persisted tags: deliberately not reproduced.
   * Problems are reported through the UI (`Failed to update tags: …`).
   */
  async reload(next: AgentConfig): Promise<void> {
    try {
      this.logger.setLevel(next.logLevel);
    } catch (err) {
      this.#ui.error(errorText(err));
    }
    this.#runner.updateScripts(parseEventScripts(next.eventHandlers));
    let tags: Tags | undefined = next.tags;
    try {
      if (this.config.tagsFile !== "") tags = loadTagsFile(this.config.tagsFile, tagRecord());
      if (tags !== undefined) await this.replaceTags(tags);
    } catch (err) {
      this.#ui.error(`Failed to update tags: ${errorText(err)}`);
    }
  }

  /** The current console log level. */
  get logLevel(): LogLevel {
    return this.logger.level;
  }

  // -------------------------------------------------------------------------------------------
  // Tags

  /**
   * Replaces the local tags (Go `Agent.SetTags`): writes the tags file first (if configured),
   * then gossips the tags; resolves once broadcast.
   * @throws `Failed to write tags file: …`, `Encoded length of tags exceeds limit of 512 bytes`.
   */
  async replaceTags(tags: Readonly<Tags>): Promise<void> {
    if (this.config.tagsFile !== "") {
      try {
        writeTagsFile(this.config.tagsFile, tags);
      } catch (err) {
        this.#log.error(errorText(err));
        throw err;
      }
    }
    try {
      await this.serf.setTags(tagRecord(tags));
    } catch (err) {
      // Go: "Encoded length of tags exceeds limit of 512 bytes" (no size in the text).
      const limit = /^encoded length of tags .*exceeds limit of (\d+) bytes$/i.exec(errorText(err));
      if (limit !== null) throw new Error(tagsLimitError(Number(limit[1])), { cause: err });
      throw err;
    }
  }

  /** RPC `tags`: current tags minus `deleteKeys`, overlaid with `set`. */
  async setTags(set: StringMap, deleteKeys: readonly string[]): Promise<void> {
    const tags = tagRecord(this.serf.localMember().tags);
    for (const key of deleteKeys) delete tags[key];
    for (const [key, value] of set) tags[key] = value;
    await this.replaceTags(tags);
  }

  // -------------------------------------------------------------------------------------------
  // AgentBackend: cluster operations

  members(): RpcMember[] {
    return this.serf.members().map(toRpcMember);
  }

  async forceLeave(node: string, prune: boolean): Promise<void> {
    const what = prune ? " (prune)" : "";
    this.#log.info(`Force leaving node${what}: ${node}`);
    try {
      await this.serf.forceLeave(node, { prune });
    } catch (err) {
      this.#log.warn(`failed to remove node${what}: ${errorText(err)}`);
      throw err;
    }
  }

  userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): void {
    this.#log.debug(
      `Requesting user event send: ${name}. Coalesced: ${coalesce}. Payload: ${goQuote(payloadText(payload))}`,
    );
    try {
      this.serf.userEvent(name, payload ?? EMPTY, coalesce);
    } catch (err) {
      this.#log.warn(`failed to send user event: ${errorText(err)}`);
      throw err;
    }
  }

  query(params: QueryRequest): AgentQuery {
    const { name, payload } = params;
    if (
      name.startsWith(INTERNAL_QUERY_PREFIX) &&
      (name !== `${INTERNAL_QUERY_PREFIX}ping` || payload !== null)
    ) {
      throw new Error(`Queries cannot contain the '${INTERNAL_QUERY_PREFIX}' prefix`);
    }
    this.#log.debug(`Requesting query send: ${name}. Payload: ${goQuote(payloadText(payload))}`);
    let resp: QueryResponse;
    try {
      resp = this.serf.query(name, payload ?? EMPTY, {
        filterNodes: params.filterNodes.length > 0 ? params.filterNodes : undefined,
        filterTags: params.filterTags.size > 0 ? Object.fromEntries(params.filterTags) : undefined,
        requestAck: params.requestAck,
        relayFactor: params.relayFactor,
        timeoutMs: params.timeoutMs > 0 ? params.timeoutMs : undefined,
      });
    } catch (err) {
      this.#log.warn(`failed to start user query: ${errorText(err)}`);
      throw err;
    }
    return {
      deadline: this.#wallTime(resp.deadline),
      acks: resp.acks,
      responses: mapResponses(resp.responses),
      close: () => resp.close(),
    };
  }

  /**
   * Answers a delivered query (RPC `respond`, handler scripts).
   * @throws `failed to respond to key query: response already sent` and the other Go texts.
   */
  respond(handle: number, payload: Uint8Array | null): void {
    try {
      this.serf.respond(handle, payload ?? EMPTY);
    } catch (err) {
      throw new Error(`failed to respond to key query: ${errorText(err)}`, { cause: err });
    }
  }

  async installKey(key: string): Promise<AgentKeyResult> {
    this.#log.info("Initiating key installation");
    return toKeyResult(await this.serf.keyManager.installKey(key));
  }

  async useKey(key: string): Promise<AgentKeyResult> {
    this.#log.info("Initiating primary key change");
    return toKeyResult(await this.serf.keyManager.useKey(key));
  }

  async removeKey(key: string): Promise<AgentKeyResult> {
    this.#log.info("Initiating key removal");
    return toKeyResult(await this.serf.keyManager.removeKey(key));
  }

  async listKeys(): Promise<AgentKeyResult> {
    this.#log.info("Initiating key listing");
    return toKeyResult(await this.serf.keyManager.listKeys());
  }

  /** `serf info` sections (Go `Agent.Stats`). */
  stats(): StatsResponse {
    const local = this.serf.localMember();
    const s = this.serf.stats();
    const serf = new Map<string, string>([
      ["members", String(s.members)],
      ["failed", String(s.failed)],
      ["left", String(s.left)],
      ["health_score", String(s.healthScore)],
      ["member_time", String(s.memberTime)],
      ["event_time", String(s.eventTime)],
      ["query_time", String(s.queryTime)],
      ["intent_queue", String(s.intentQueue)],
      ["event_queue", String(s.eventQueue)],
      ["query_queue", String(s.queryQueue)],
      ["encrypted", String(s.encrypted)],
    ]);
    if (s.coordinateResets !== undefined) {
      serf.set("coordinate_resets", String(s.coordinateResets));
    }
    const handlers = new Map<string, string>();
    for (const script of this.#startupScripts) {
      handlers.set(`${script.event}:${script.name}`, script.script);
    }
    const runtime = new Map<string, string>([
      ["os", goOs(process.platform)],
      ["arch", goArch(process.arch)],
      ["version", process.version],
      ["max_procs", String(availableParallelism())],
      ["goroutines", String(process.getActiveResourcesInfo().length)],
      ["cpu_count", String(cpus().length)],
    ]);
    return new Map<string, StringMap>([
      ["agent", new Map([["name", local.name]])],
      ["runtime", runtime],
      ["serf", serf],
      ["tags", new Map(Object.entries(local.tags))],
      ["event_handlers", handlers],
    ]);
  }

  getCoordinate(node: string): RpcCoordinate | undefined {
    const c = this.serf.getCoordinate(node);
    if (c === undefined) return undefined;
    return { vec: [...c.vec], error: c.error, adjustment: c.adjustment, height: c.height };
  }

  subscribeEvents(handler: (event: AgentEvent) => void): () => void {
    this.#subscribers.add(handler);
    return () => {
      this.#subscribers.delete(handler);
    };
  }

  subscribeLogs(_level: LogLevel, handler: (line: string) => void): () => void {
    return this.logger.subscribe(handler);
  }
}
