/**
 * `Memberlist`: the driver that runs a sans-I/O `SwimMachine` on a real (or in-memory)
 * transport. The pumping (one timer for `pollTimeout()`, the `PacketPipeline`, stream
 * exchanges, inbound streams) is the generic `MachineDriver`; this class adds memberlist's
 * public API: join with seed resolution, leave / meta updates that wait for their broadcast,
 * and events as synchronous listeners plus bounded async iterators.
 *
 * Event callbacks run synchronously inside the pump; they may call back into the `Memberlist`
 * (the pump is re-entrancy safe).
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Keyring } from "@serf-ts/wire";
import { type Clock, systemClock } from "./clock.ts";
import type { MetricsSink } from "./core/metrics-sink.ts";
import { type Random, SeededRandom } from "./core/random.ts";
import { SwimMachine } from "./core/swim-machine.ts";
import type { CoreDelegates, MemberlistEvent, NodeInfo } from "./core/types.ts";
import { EventStream } from "./event-stream.ts";
import { writeMemberlistLog } from "./log-record-sink.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { MachineDriver, type MachineDriverStats } from "./machine-driver.ts";
import { coreMetrics } from "./metrics.ts";
import { NetTransport } from "./net-transport.ts";
import {
  type MemberlistOptions,
  type ResolvedMemberlistOptions,
  resolveOptions,
} from "./options.ts";
import { PacketPipeline } from "./packet-pipeline.ts";
import { resolveSeeds } from "./seeds.ts";
import { type Address, ipToBytes, parseAddress, type Transport } from "./transport.ts";

const DEFAULT_EVENT_BUFFER = 1024;

/** Everything `Memberlist.create` takes. Only `options.name` is usually needed. */
export interface MemberlistConfig {
  /** Protocol options: profile, name, bind/advertise address, timings. */
  readonly options?: MemberlistOptions;
  /**
   * The network. Default: a `NetTransport` bound to `options.bindAddr:options.bindPort` and
   * advertising `options.advertiseAddr:advertisePort` (owned and closed by `shutdown`).
   * A given transport is closed by `shutdown` too (Go closes its transport).
   */
  readonly transport?: Transport;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Randomness of the core. @default a `SeededRandom` seeded from `crypto.randomBytes` */
  readonly random?: Random;
  /** Gossip keyring; enables encryption (and sets `options.encryptionEnabled`). */
  readonly keyring?: Keyring;
  /** Hooks of the upper layer (serf), passed to the machine unchanged. */
  readonly delegates?: CoreDelegates;
  /** Initial metadata when there is no `delegates.nodeMeta`. */
  readonly meta?: Uint8Array;
  /** Per-subscriber buffer of `events()`; the oldest event is dropped on overflow. @default 1024 */
  readonly eventBufferSize?: number;
  /**
   * Where memberlist's metrics go (Go's names: `memberlist.msg.alive`, `memberlist.probeNode`,
   * …; see `MEMBERLIST_METRICS`). A sink that throws is ignored. @default none
   */
  readonly metrics?: MetricsSink;
}

/** Counters for diagnostics. */
export interface MemberlistStats extends MachineDriverStats {
  /** Events dropped because an `events()` consumer fell behind. */
  droppedEvents: number;
}

/**
 * A join where no seed could be contacted (Go returns an error in that case). The message lists
 * the failures, each already saying what failed (`Failed to join 10.0.0.1:7946: ...`,
 * `Failed to resolve db: ...`), separated by `; `.
 */
export class JoinError extends Error {
  /** One message per seed that failed. */
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(errors.join("; "));
    this.name = "JoinError";
    this.errors = errors;
  }
}

/** Listener for `Memberlist.on`. */
export type MemberlistListener = (event: MemberlistEvent) => void;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A `SeededRandom` seeded from `crypto.randomBytes` (production randomness for the cores). */
export function defaultRandom(): Random {
  const b = randomBytes(4);
  return new SeededRandom(b.readUInt32BE(0));
}

/**
 * Creates the default transport for resolved options: a `NetTransport` bound to
 * `bindAddr:bindPort`, advertising `advertiseAddr:advertisePort` when set.
 */
export function createDefaultTransport(
  options: ResolvedMemberlistOptions,
  clock: Clock,
  logger: Logger,
): Promise<Transport> {
  return NetTransport.create({
    bindAddress: options.bindAddr,
    bindPort: options.bindPort,
    ...(options.advertiseAddr !== undefined ? { advertiseAddress: options.advertiseAddr } : {}),
    ...(options.advertisePort !== undefined ? { advertisePort: options.advertisePort } : {}),
    clock,
    logger,
  });
}

/**
 * A running memberlist node. Create with `await Memberlist.create(config)`; it starts at once
 * (the local node is alive, timers run). Then `join`, `members`, `leave`, `shutdown`.
 */
export class Memberlist {
  /** The resolved options in use. */
  readonly options: ResolvedMemberlistOptions;
  readonly stats: MemberlistStats;

  readonly #driver: MachineDriver<SwimMachine>;
  readonly #machine: SwimMachine;
  readonly #logger: Logger;
  readonly #listeners = new Set<MemberlistListener>();
  readonly #subscriptions = new Set<EventStream<MemberlistEvent>>();
  readonly #eventBufferSize: number;
  readonly #delegates: CoreDelegates;
  #shutdown = false;

  private constructor(
    options: ResolvedMemberlistOptions,
    transport: Transport,
    machine: SwimMachine,
    pipeline: PacketPipeline,
    clock: Clock,
    logger: Logger,
    eventBufferSize: number,
    delegates: CoreDelegates,
    metrics: MetricsSink | undefined,
  ) {
    this.#delegates = delegates;
    this.options = options;
    this.#machine = machine;
    this.#logger = logger;
    this.#eventBufferSize = eventBufferSize;
    this.#driver = new MachineDriver({
      machine,
      transport,
      pipeline,
      clock,
      logger,
      tcpTimeoutMs: options.tcpTimeoutMs,
      onEvent: (event) => this.#dispatch(event),
      metrics,
    });
    this.stats = Object.assign(this.#driver.stats, { droppedEvents: 0 });
  }

  /**
   * Creates and starts a node: binds the transport (unless given), creates the machine (the
   * local node becomes alive with incarnation 1) and starts its timers.
   * @throws RangeError for invalid options, `TransportError` when binding fails.
   */
  static async create(config: MemberlistConfig = {}): Promise<Memberlist> {
    const logger = config.logger ?? noopLogger;
    const clock = config.clock ?? systemClock;
    const keyring = config.keyring;
    const options = resolveOptions({
      ...config.options,
      name: config.options?.name || hostname(),
      encryptionEnabled: keyring !== undefined && keyring.size > 0,
    });
    const transport =
      config.transport ?? (await createDefaultTransport(options, clock, logger.child("transport")));
    try {
      const { host, port } = parseAddress(transport.localAddress);
      const pipeline = new PacketPipeline({
        enableCompression: options.enableCompression,
        keyring,
        gossipVerifyIncoming: options.gossipVerifyIncoming,
        gossipVerifyOutgoing: options.gossipVerifyOutgoing,
        label: options.label,
        skipInboundLabelCheck: options.skipInboundLabelCheck,
        logger: logger.child("pipeline"),
      });
      const metrics =
        config.metrics === undefined ? undefined : coreMetrics(config.metrics, logger);
      const machine = new SwimMachine(
        // Go takes the label header out of the UDP budget (`labelOverhead`).
        pipeline.labelOverheadBytes === 0
          ? options
          : { ...options, udpBufferSize: options.udpBufferSize - pipeline.labelOverheadBytes },
        { name: options.name, addr: ipToBytes(host), port, meta: config.meta },
        config.random ?? defaultRandom(),
        clock.now(),
        config.delegates ?? {},
        metrics,
      );
      const ml = new Memberlist(
        options,
        transport,
        machine,
        pipeline,
        clock,
        logger,
        config.eventBufferSize ?? DEFAULT_EVENT_BUFFER,
        config.delegates ?? {},
        metrics?.sink,
      );
      ml.#logger.info("memberlist started", {
        name: options.name,
        address: transport.localAddress,
      });
      ml.#driver.start();
      return ml;
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** This node's name. */
  get name(): string {
    return this.options.name;
  }

  /** The transport in use. */
  get transport(): Transport {
    return this.#driver.transport;
  }

  /** `ip:port` other nodes use to reach this one. */
  get localAddress(): Address {
    return this.#driver.transport.localAddress;
  }

  /** The local node as the cluster sees it. */
  localNode(): NodeInfo {
    return this.#machine.localNode();
  }

  /** Alive and suspect members, the local node included (Go `Members`). */
  members(): NodeInfo[] {
    return this.#machine.members();
  }

  /** Every node in the local list, dead and left ones included. */
  allNodes(): NodeInfo[] {
    return this.#machine.allNodes();
  }

  /** Number of alive and suspect members (Go `NumMembers`). */
  numMembers(): number {
    return this.#machine.numMembers();
  }

  /** One node by name (any state). */
  getNode(name: string): NodeInfo | undefined {
    return this.#machine.getNode(name);
  }

  /** Lifeguard health score (0 = healthy). */
  healthScore(): number {
    return this.#machine.healthScore();
  }

  /** True after `shutdown()`. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** The keyring in use (`undefined` when encryption is off). */
  get keyring(): Keyring | undefined {
    return this.#driver.pipeline.keyring;
  }

  /**
   * Joins a cluster: one push/pull (Join = true) with every resolved seed. A seed is
   * `"host:port"`, `"host"` (port = `bindPort`) or `"name/host:port"` (Go's node-aware form;
   * the name is ignored, as by Go's TCP transport). Host names resolve to all their addresses.
   * @returns how many push/pulls succeeded (at least 1).
   * @throws JoinError when none succeeded.
   */
  async join(seeds: readonly string[]): Promise<number> {
    if (this.#shutdown) throw new JoinError(["Failed to join: memberlist is shut down"]);
    const defaultPort = this.options.bindPort || parseAddress(this.localAddress).port;
    const { addresses, errors } = await resolveSeeds(seeds, defaultPort);
    if (addresses.length === 0)
      throw new JoinError(errors.length > 0 ? errors : ["Failed to join: no seeds given"]);
    const ids = this.#driver.act((m, now) => m.join(addresses, now));
    const results = await this.#driver.waitForExchanges(ids);
    let ok = 0;
    results.forEach((r, i) => {
      if (r.ok) ok++;
      else errors.push(`Failed to join ${addresses[i]}: ${r.error ?? "unknown error"}`);
    });
    if (ok === 0) throw new JoinError(errors);
    for (const e of errors) this.#logger.warn(e);
    return ok;
  }

  /**
   * Leaves gracefully: broadcasts that this node left and waits until that went out (or nobody
   * else is alive). Keep the node running meanwhile; call `shutdown()` afterwards.
   * @throws Error "timeout waiting for leave broadcast" after `timeoutMs` (Go's text).
   */
  async leave(timeoutMs: number): Promise<void> {
    if (this.#shutdown) return;
    this.#driver.act((m, now) => m.leave(now));
    const done = await this.#driver.waitUntil(() => this.#machine.isLeaveComplete(), timeoutMs);
    if (!done) throw new Error("timeout waiting for leave broadcast");
  }

  /**
   * Re-announces the local node with new metadata (Go `UpdateNode`) and waits until the alive
   * broadcast went out (or nobody else is alive). Metadata comes from `meta` or, when omitted,
   * from `delegates.nodeMeta(512)`.
   * @throws RangeError for meta over 512 bytes; Error "timeout waiting for update broadcast".
   */
  async updateMeta(meta: Uint8Array | undefined, timeoutMs: number): Promise<void> {
    if (this.#shutdown) return;
    const bytes = meta ?? this.#delegateMeta();
    this.#driver.act((m, now) => m.updateMeta(bytes, now));
    const done = await this.#driver.waitUntil(() => this.#machine.isUpdateComplete(), timeoutMs);
    if (!done) throw new Error("timeout waiting for update broadcast");
  }

  /** Sends a user message (type 8) as one UDP packet (Go `SendBestEffort`). */
  sendBestEffort(to: Address, payload: Uint8Array, node?: string): void {
    if (this.#shutdown) return;
    this.#driver.act((m) => m.sendUserPacket(to, payload, node));
  }

  /**
   * Sends a user message over a stream (TCP on the net transport): dial, write, close (Go
   * `SendReliable`). The receiver's `notifyUserMessage` delegate gets `payload`, as for
   * {@link sendBestEffort}, but without the UDP size limit, in order and retransmitted by TCP.
   * Resolves once the message is written and the stream closed; bounded by `tcpTimeoutMs`.
   * @throws TransportError: `CLOSED` after shutdown, `TIMEOUT`, `UNREACHABLE` when the dial
   * or write fails.
   */
  async sendReliable(to: Address, payload: Uint8Array): Promise<void> {
    // The driver rejects with CLOSED once shutdown() began (it stops before the first await).
    await this.#driver.sendStream(to, { type: "user", payload }, this.options.tcpTimeoutMs);
  }

  /**
   * Stops without leaving: timers stop, the transport closes, open streams are torn down and
   * event iterators end. Peers will eventually see this node as failed. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#machine.shutdown();
    await this.#driver.shutdown();
    for (const s of [...this.#subscriptions]) s.end();
    this.#subscriptions.clear();
    this.#logger.info("memberlist shut down", { name: this.options.name });
  }

  /** Calls `listener` synchronously for every event; returns an unsubscribe function. */
  on(listener: MemberlistListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Events from now on, as an async iterator with a bounded buffer (oldest dropped on
   * overflow, counted in `stats.droppedEvents`). Ends at `shutdown()`; `break` unsubscribes.
   */
  events(bufferSize: number = this.#eventBufferSize): AsyncIterableIterator<MemberlistEvent> {
    const sub: EventStream<MemberlistEvent> = new EventStream<MemberlistEvent>({
      capacity: bufferSize,
      onDrop: () => {
        this.stats.droppedEvents++;
      },
      onReturn: () => {
        this.#subscriptions.delete(sub);
      },
    });
    if (this.#shutdown) sub.end();
    else this.#subscriptions.add(sub);
    return sub;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  #dispatch(event: MemberlistEvent): void {
    if (event.type === "push-pull") {
      this.#driver.settleExchange({
        exchange: event.exchange,
        kind: "push-pull",
        ok: event.ok,
        error: event.error,
      });
    }
    this.#logEvent(event);
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.error("event listener threw", { err: errorText(err), event: event.type });
      }
    }
    for (const sub of this.#subscriptions) sub.push(event);
  }

  #logEvent(event: MemberlistEvent): void {
    switch (event.type) {
      case "join":
      case "leave":
      case "update":
        this.#logger.debug(`node ${event.type}`, {
          node: event.node.name,
          address: event.node.address,
          state: event.node.state,
        });
        break;
      case "log":
        writeMemberlistLog(this.#logger, event);
        break;
      case "dropped":
      case "rejected":
        this.#logger.debug(`input ${event.type}`, { ...event });
        break;
      default:
        break;
    }
  }

  #delegateMeta(): Uint8Array {
    return this.#delegates.nodeMeta?.(512) ?? this.localNode().meta;
  }
}
