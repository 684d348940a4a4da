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

import { type Clock, parseAddress, systemClock } from "@serf-ts/memberlist";
import {
  createCoalescePipeline,
  type QueryResponse,
  type Serf,
  type SerfDriverEvent,
  type SerfEvent,
  TimedStage,
} from "@serf-ts/serf";
import { utf8Decode } from "@serf-ts/wire";
import { formatGoDurationMs, goQuote } from "@serf-ts/wire/gocompat";
import {
  type QueryRequest,
  type Member as RpcMember,
  type RpcCoordinate,
  type StatsResponse,
  type StringMap,
  tagsLimitError,
} from "@serf-ts/wire/rpc";
import { networkInterfaces as osNetworkInterfaces } from "node:os";
import {
  AgentError,
  AgentErrorCode,
  errorText,
  goJoinErrorText,
  goStringSlice,
} from "./agent-errors.ts";
import { dispatchedEvent, INTERNAL_QUERY_PREFIX, logMemberEvent } from "./agent-event-dispatch.ts";
import { AgentFileError, loadKeyringFile, loadTagsFile, writeTagsFile } from "./agent-files.ts";
import type { AgentExit, AgentOptions, AgentUi } from "./agent-options.ts";
import { mapResponses, toKeyResult, toRpcCoordinate, toRpcMember } from "./agent-rpc-mapping.ts";
import { resolveAgentSetup, startAgentSerf } from "./agent-setup.ts";
import { agentStats } from "./agent-stats.ts";
import { type AgentConfig, type Tags, tagRecord } from "./config/agent-config.ts";
import { formatResolvedAddr } from "./config/setup-checks.ts";
import type { AgentMdns } from "./discovery/agent-mdns.ts";
import { mdnsInterfaceAddress } from "./discovery/mdns-common.ts";
import { DurableEventPipeline } from "./event-handlers/durable-event-pipeline.ts";
import { type EventScript, parseEventScripts } from "./event-handlers/event-filter.ts";
import { EventHandlerRunner } from "./event-handlers/event-handler-runner.ts";
import { describeEvent } from "./event-handlers/events.ts";
import { openEventJournal, type PendingJournal } from "./event-handlers/pending-journal.ts";
import { invokeEventScript } from "./event-handlers/script-invoker.ts";
import type { HttpServer } from "./http/http-server.ts";
import { HttpRouter } from "./http/router.ts";
import { checkLogLevel, type LogLevel } from "./logging/log-level.ts";
import { type ComponentLogger, Logger, type LogOutput } from "./logging/logger.ts";
import { AgentMetrics } from "./metrics/agent-metrics.ts";
import {
  type AgentBackend,
  type AgentEvent,
  type AgentKeyResult,
  type AgentQuery,
  JoinError,
} from "./rpc/agent-backend.ts";
import { RpcServer } from "./rpc/rpc-server.ts";
import { AGENT_COALESCING_WINDOWS } from "./event-handlers/coalescing-windows.ts";

export type { AgentExit, AgentOptions, AgentUi } from "./agent-options.ts";

const EMPTY = new Uint8Array(0);

function payloadText(payload: Uint8Array | null): string {
  return payload === null ? "" : utf8Decode(payload);
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
    const setup = await resolveAgentSetup(config, options, ui);

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
      serf = await startAgentSerf(
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
        logMemberEvent(this.logger, event);
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
    const dispatched = dispatchedEvent(
      event,
      (handle, response) => this.respond(handle, response),
      (driverMs) => this.#wallTime(driverMs),
    );
    if (dispatched === undefined) return;
    const { handlerEvent, agentEvent } = dispatched;
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
    return agentStats(this.serf, this.#startupScripts);
  }

  getCoordinate(node: string): RpcCoordinate | undefined {
    const c = this.serf.getCoordinate(node);
    return c === undefined ? undefined : toRpcCoordinate(c);
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
