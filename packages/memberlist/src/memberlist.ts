/**
 * `Memberlist`: the driver that runs a sans-I/O `SwimMachine` on a real (or in-memory)
 * transport. It owns
 *
 * - the machine, fed with the clock's `now` on every input;
 * - **one** timer, always armed for the machine's `pollTimeout()`;
 * - the `PacketPipeline` (compound, LZW, CRC, AES-GCM) between machine and transport;
 * - stream exchanges: for every stream transmit it dials, writes the request, reads one reply
 *   and reports it with `handleStreamReply`; inbound streams are read (bounded by
 *   `tcpTimeoutMs`), answered with `handleStreamRequest`'s reply and closed, like Go.
 *
 * After every input the driver "pumps": it drains `pollTransmit()` into the transport,
 * `pollEvent()` into the subscribers, and re-arms the timer. Event callbacks run synchronously
 * inside the pump; they may call back into the `Memberlist` (the pump is re-entrancy safe).
 */

import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import type { Keyring, StreamMessage } from "@serf-ts/wire";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { type Random, SeededRandom } from "./core/random.ts";
import { SwimMachine } from "./core/swim-machine.ts";
import type {
  CoreDelegates,
  ExchangeOutcome,
  MemberlistEvent,
  NodeInfo,
  StreamFailure,
  StreamTransmit,
} from "./core/types.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { NetTransport } from "./net-transport.ts";
import {
  type MemberlistOptions,
  type ResolvedMemberlistOptions,
  resolveOptions,
} from "./options.ts";
import { PacketPipeline, type PacketPipelineStats } from "./packet-pipeline.ts";
import {
  type Address,
  type DuplexStream,
  formatAddress,
  ipToBytes,
  isIPv4,
  isIPv6,
  parseAddress,
  type Transport,
} from "./transport.ts";

/** Go memberlist closes the 128th concurrent inbound push/pull without reply. */
const MAX_INBOUND_STREAMS = 127;
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
}

/** Counters for diagnostics. */
export interface MemberlistStats extends PacketPipelineStats {
  /** Events dropped because an `events()` consumer fell behind. */
  droppedEvents: number;
  /** Inbound streams closed because too many were in progress. */
  rejectedStreams: number;
  /** Stream exchanges we started that failed (dial, I/O, timeout, decode). */
  failedExchanges: number;
}

/** A join where no seed could be contacted (Go returns an error in that case). */
export class JoinError extends Error {
  /** One message per seed that failed. */
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`Failed to join: ${errors.join("; ")}`);
    this.name = "JoinError";
    this.errors = errors;
  }
}

/** Listener for `Memberlist.on`. */
export type MemberlistListener = (event: MemberlistEvent) => void;

/** Async iteration over events with a bounded buffer (drop-oldest). */
class EventSubscription implements AsyncIterableIterator<MemberlistEvent> {
  readonly #buffer: MemberlistEvent[] = [];
  readonly #capacity: number;
  readonly #onDrop: () => void;
  readonly #unsubscribe: (s: EventSubscription) => void;
  #waiter: ((r: IteratorResult<MemberlistEvent>) => void) | undefined;
  #done = false;

  constructor(capacity: number, onDrop: () => void, unsubscribe: (s: EventSubscription) => void) {
    this.#capacity = Math.max(1, capacity);
    this.#onDrop = onDrop;
    this.#unsubscribe = unsubscribe;
  }

  push(event: MemberlistEvent): void {
    if (this.#done) return;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w({ value: event, done: false });
      return;
    }
    if (this.#buffer.length >= this.#capacity) {
      this.#buffer.shift();
      this.#onDrop();
    }
    this.#buffer.push(event);
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<MemberlistEvent>> {
    const event = this.#buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<MemberlistEvent>> {
    this.#buffer.length = 0;
    this.end();
    this.#unsubscribe(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MemberlistEvent> {
    return this;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function defaultRandom(): Random {
  const b = randomBytes(4);
  return new SeededRandom(b.readUInt32BE(0));
}

/**
 * A running memberlist node. Create with `await Memberlist.create(config)`; it starts at once
 * (the local node is alive, timers run). Then `join`, `members`, `leave`, `shutdown`.
 */
export class Memberlist {
  /** The resolved options in use. */
  readonly options: ResolvedMemberlistOptions;
  /** The transport in use. */
  readonly transport: Transport;
  readonly stats: MemberlistStats;

  readonly #machine: SwimMachine;
  readonly #pipeline: PacketPipeline;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #listeners = new Set<MemberlistListener>();
  readonly #subscriptions = new Set<EventSubscription>();
  readonly #eventBufferSize: number;
  readonly #delegates: CoreDelegates;
  readonly #openStreams = new Set<DuplexStream>();
  readonly #exchangeWaiters = new Map<number, (outcome: ExchangeOutcome) => void>();
  readonly #conditionWaiters = new Set<() => boolean>();
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #pumping = false;
  #pumpAgain = false;
  #inboundStreams = 0;
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
  ) {
    this.#delegates = delegates;
    this.options = options;
    this.transport = transport;
    this.#machine = machine;
    this.#pipeline = pipeline;
    this.#clock = clock;
    this.#logger = logger;
    this.#eventBufferSize = eventBufferSize;
    // The pipeline's counters object is shared so `stats` always shows current values.
    this.stats = Object.assign(pipeline.stats, {
      droppedEvents: 0,
      rejectedStreams: 0,
      failedExchanges: 0,
    });
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
      config.transport ??
      (await NetTransport.create({
        bindAddress: options.bindAddr,
        bindPort: options.bindPort,
        ...(options.advertiseAddr !== undefined ? { advertiseAddress: options.advertiseAddr } : {}),
        ...(options.advertisePort !== undefined ? { advertisePort: options.advertisePort } : {}),
        clock,
        logger: logger.child("transport"),
      }));
    try {
      const { host, port } = parseAddress(transport.localAddress);
      const pipeline = new PacketPipeline({
        enableCompression: options.enableCompression,
        keyring,
        gossipVerifyIncoming: options.gossipVerifyIncoming,
        gossipVerifyOutgoing: options.gossipVerifyOutgoing,
        logger: logger.child("pipeline"),
      });
      const machine = new SwimMachine(
        options,
        { name: options.name, addr: ipToBytes(host), port, meta: config.meta },
        config.random ?? defaultRandom(),
        clock.now(),
        config.delegates ?? {},
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
      );
      ml.#start();
      return ml;
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  #start(): void {
    this.transport.onPacket((bytes, from, at) => this.#onPacket(bytes, from, at));
    this.transport.onStream((stream, from) => {
      void this.#serveStream(stream, from);
    });
    this.#logger.info("memberlist started", {
      name: this.options.name,
      address: this.transport.localAddress,
    });
    this.#pump();
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** This node's name. */
  get name(): string {
    return this.options.name;
  }

  /** `ip:port` other nodes use to reach this one. */
  get localAddress(): Address {
    return this.transport.localAddress;
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
    return this.#pipeline.keyring;
  }

  /**
   * Joins a cluster: one push/pull (Join = true) with every resolved seed. A seed is
   * `"host:port"`, `"host"` (port = `bindPort`) or `"name/host:port"` (Go's node-aware form;
   * the name is ignored, as by Go's TCP transport). Host names resolve to all their addresses.
   * @returns how many push/pulls succeeded (at least 1).
   * @throws JoinError when none succeeded.
   */
  async join(seeds: readonly string[]): Promise<number> {
    if (this.#shutdown) throw new JoinError(["memberlist is shut down"]);
    const errors: string[] = [];
    const addresses: Address[] = [];
    for (const seed of seeds) {
      try {
        addresses.push(...(await this.#resolveSeed(seed)));
      } catch (err) {
        errors.push(`Failed to resolve ${seed}: ${errorText(err)}`);
      }
    }
    if (addresses.length === 0) throw new JoinError(errors.length > 0 ? errors : ["no seeds"]);
    const ids = this.#machine.join(addresses, this.#clock.now());
    const outcomes = ids.map(
      (id) =>
        new Promise<ExchangeOutcome>((resolve) => {
          this.#exchangeWaiters.set(id, resolve);
        }),
    );
    this.#pump();
    const results = await Promise.all(outcomes);
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
    this.#machine.leave(this.#clock.now());
    this.#pump();
    const done = await this.#waitUntil(() => this.#machine.isLeaveComplete(), timeoutMs);
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
    this.#machine.updateMeta(bytes, this.#clock.now());
    this.#pump();
    const done = await this.#waitUntil(() => this.#machine.isUpdateComplete(), timeoutMs);
    if (!done) throw new Error("timeout waiting for update broadcast");
  }

  /** Sends a user message (type 8) as one UDP packet (Go `SendBestEffort`). */
  sendBestEffort(to: Address, payload: Uint8Array, node?: string): void {
    if (this.#shutdown) return;
    this.#machine.sendUserPacket(to, payload, node);
    this.#pump();
  }

  /**
   * Stops without leaving: timers stop, the transport closes, open streams are torn down and
   * event iterators end. Peers will eventually see this node as failed. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#machine.shutdown();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = undefined;
    // Drain what the machine still had (events only: nothing is sent after shutdown).
    for (;;) if (this.#machine.pollTransmit() === undefined) break;
    this.#dispatchEvents();
    for (const s of [...this.#openStreams]) s.close();
    for (const resolve of this.#exchangeWaiters.values()) {
      resolve({ exchange: 0, kind: "push-pull", ok: false, error: "shut down" });
    }
    this.#exchangeWaiters.clear();
    this.#checkConditions(true);
    await this.transport.close();
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
    const sub = new EventSubscription(
      bufferSize,
      () => {
        this.stats.droppedEvents++;
      },
      (s) => this.#subscriptions.delete(s),
    );
    if (this.#shutdown) sub.end();
    else this.#subscriptions.add(sub);
    return sub;
  }

  // -------------------------------------------------------------------------------------------
  // Pump: drain the machine after every input

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#shutdown) return;
        for (;;) {
          const t = this.#machine.pollTransmit();
          if (t === undefined) break;
          if (t.kind === "packet") {
            for (const datagram of this.#pipeline.encodeOutgoing(t.messages, { crc: t.crc })) {
              this.transport.sendPacket(t.to, datagram);
            }
          } else {
            void this.#runExchange(t, this.#clock.now());
          }
        }
        this.#dispatchEvents();
        this.#checkConditions(false);
        this.#armTimer();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #dispatchEvents(): void {
    for (;;) {
      const event = this.#machine.pollEvent();
      if (event === undefined) break;
      if (event.type === "push-pull") {
        const waiter = this.#exchangeWaiters.get(event.exchange);
        if (waiter !== undefined) {
          this.#exchangeWaiters.delete(event.exchange);
          waiter({ exchange: event.exchange, kind: "push-pull", ok: event.ok, error: event.error });
        }
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
      case "suspect":
        this.#logger.info("suspect node", { node: event.node.name, from: event.from });
        break;
      case "conflict":
        this.#logger.error("conflicting address for node", {
          node: event.existing.name,
          existing: event.existing.address,
          other: event.other.address,
        });
        break;
      case "refute":
        this.#logger.warn("refuting accusation", { reason: event.reason, from: event.from });
        break;
      case "dropped":
      case "rejected":
        this.#logger.debug(`input ${event.type}`, { ...event });
        break;
      case "probe-fallback":
        this.#logger.warn(
          `Was able to connect to ${event.node} but other probes failed, network may be misconfigured`,
        );
        break;
      default:
        break;
    }
  }

  #armTimer(): void {
    const at = this.#machine.pollTimeout();
    if (at === this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = this.#clock.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      if (this.#shutdown) return;
      this.#machine.handleTimeout(this.#clock.now());
      this.#pump();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Conditions (leave / update completion)

  #waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    if (this.#shutdown) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const check = (): boolean => {
        if (!condition()) return false;
        timer?.cancel();
        resolve(true);
        return true;
      };
      const entry = (): boolean => check();
      this.#conditionWaiters.add(entry);
      timer = this.#clock.setTimer(this.#clock.now() + timeoutMs, () => {
        this.#conditionWaiters.delete(entry);
        resolve(condition());
      });
    });
  }

  /** Resolves waiters whose condition holds; at shutdown every waiter gets its final answer. */
  #checkConditions(final: boolean): void {
    for (const waiter of [...this.#conditionWaiters]) {
      if (waiter() || final) this.#conditionWaiters.delete(waiter);
    }
  }

  #delegateMeta(): Uint8Array {
    return this.#delegates.nodeMeta?.(512) ?? this.localNode().meta;
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  #onPacket(bytes: Uint8Array, from: Address, receivedAtMs: number): void {
    if (this.#shutdown) return;
    const { messages } = this.#pipeline.decodeIncoming(bytes, from);
    if (messages.length === 0) return;
    this.#machine.handlePacket(from, messages, receivedAtMs);
    this.#pump();
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /** Outbound exchange requested by the machine: dial, write, read one reply, report it. */
  async #runExchange(t: StreamTransmit, startedAt: number): Promise<void> {
    let stream: DuplexStream | undefined;
    let timedOut = false;
    const abort = new AbortController();
    const deadline = this.#clock.setTimer(startedAt + t.timeoutMs, () => {
      timedOut = true;
      abort.abort();
      stream?.close();
    });
    let reply: StreamMessage | StreamFailure;
    try {
      stream = await this.transport.dial(t.to, { timeoutMs: t.timeoutMs, signal: abort.signal });
      if (timedOut || this.#shutdown) throw new Error("timeout");
      this.#openStreams.add(stream);
      await stream.write(this.#pipeline.encodeStream(t.message));
      reply = await this.#readMessage(stream);
    } catch (err) {
      reply = { error: timedOut ? `i/o timeout after ${t.timeoutMs} ms` : errorText(err) };
    } finally {
      deadline.cancel();
      if (stream !== undefined) {
        stream.close();
        this.#openStreams.delete(stream);
      }
    }
    if ("error" in reply && !("type" in reply)) {
      this.stats.failedExchanges++;
      this.#logger.debug("stream exchange failed", { to: t.to, node: t.node, error: reply.error });
    }
    if (this.#shutdown) return;
    const outcome = this.#machine.handleStreamReply(t.exchange, reply, this.#clock.now());
    if (outcome !== undefined) {
      const waiter = this.#exchangeWaiters.get(t.exchange);
      if (waiter !== undefined) {
        this.#exchangeWaiters.delete(t.exchange);
        waiter(outcome);
      }
    }
    this.#pump();
  }

  /** Reads one stream message; rejects on end of stream, I/O or decode errors. */
  async #readMessage(stream: DuplexStream): Promise<StreamMessage> {
    const reader = this.#pipeline.createStreamReader();
    for (;;) {
      const chunk = await stream.read();
      if (chunk === null) throw new Error("EOF");
      reader.push(chunk);
      const r = reader.read();
      if (r !== undefined) {
        this.#pipeline.noteStreamIn(r);
        return r.message;
      }
    }
  }

  /** Inbound stream: read the request, answer it, close (Go `handleConn`). */
  async #serveStream(stream: DuplexStream, from: Address): Promise<void> {
    if (this.#shutdown) {
      stream.close();
      return;
    }
    if (this.#inboundStreams >= MAX_INBOUND_STREAMS) {
      this.stats.rejectedStreams++;
      this.#logger.error("too many pending push/pull requests", { from });
      stream.close();
      return;
    }
    this.#inboundStreams++;
    this.#openStreams.add(stream);
    const deadline = this.#clock.setTimer(this.#clock.now() + this.options.tcpTimeoutMs, () =>
      stream.close(),
    );
    try {
      const reader = this.#pipeline.createStreamReader();
      let request: StreamMessage | undefined;
      while (request === undefined) {
        const chunk = await stream.read();
        if (chunk === null) return; // closed before a full request (or timed out)
        reader.push(chunk);
        try {
          const r = reader.read();
          if (r !== undefined) {
            this.#pipeline.noteStreamIn(r);
            request = r.message;
          }
        } catch (err) {
          this.#logger.error("failed to receive stream", { from, err: errorText(err) });
          const reply = this.#pipeline.errorReplyFor(err);
          if (reply !== undefined) await stream.write(reply);
          await stream.end();
          return;
        }
      }
      if (this.#shutdown) return;
      const reply = this.#machine.handleStreamRequest(from, request, this.#clock.now());
      this.#pump();
      if (reply !== undefined && !stream.closed) {
        await stream.write(this.#pipeline.encodeStream(reply));
        await stream.end();
      }
    } catch (err) {
      this.#logger.debug("stream error", { from, err: errorText(err) });
    } finally {
      deadline.cancel();
      this.#inboundStreams--;
      stream.close();
      this.#openStreams.delete(stream);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Seeds

  async #resolveSeed(seed: string): Promise<Address[]> {
    let text = seed.trim();
    const slash = text.indexOf("/");
    if (slash >= 0) text = text.slice(slash + 1);
    const defaultPort = this.options.bindPort || parseAddress(this.localAddress).port;
    let host: string;
    let port: number;
    if (text.startsWith("[") || (text.split(":").length === 2 && !isIPv6(text))) {
      ({ host, port } = parseAddress(text));
    } else {
      host = text;
      port = defaultPort;
    }
    if (isIPv4(host) || isIPv6(host)) return [formatAddress(host, port)];
    const found = await lookup(host, { all: true });
    return found.map((a) => formatAddress(a.address, port));
  }
}
