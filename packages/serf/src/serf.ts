/**
 * `Serf`: the driver that runs a sans-I/O `SerfMachine` on a real (or in-memory) transport —
 * serf as a library, wire-compatible with Go serf 0.9.4.
 *
 * - Pumping (one timer for `pollTimeout()`, packet pipeline, stream exchanges) is memberlist's
 *   generic `MachineDriver`.
 * - Operations return promises resolved from the machine's result events (`join-finished`,
 *   `leave-finished`, `tags-updated`, `key-operation`, `query-*`).
 * - Application events (member, user, query, diagnostics) go through the optional coalescing
 *   stages, then to `on(type, cb)` listeners, `onQuery` responders and `events()` iterators.
 *   Each iterator has a bounded buffer: on overflow the oldest event is dropped, counted in
 *   `stats().droppedEvents`, and an `{ type: "overflow", dropped }` event takes its place.
 * - A snapshot file (`snapshotPath`) is replayed at start (clocks, replay protection, rejoin
 *   of the previous members without an explicit join) and written while running.
 * - Encryption keys (and an optional keyring file) form a keyring shared by the packet
 *   pipeline and the machine's key queries, so `serf keys` run anywhere rotates it here too.
 *
 * Listener callbacks run synchronously inside the pump; they may call back into the `Serf`.
 */

import { hostname } from "node:os";
import {
  type Clock,
  coreMetrics,
  type MetricsSink,
  createDefaultTransport,
  defaultRandom,
  EventStream,
  ipToBytes,
  JoinError,
  type Logger,
  MachineDriver,
  noopLogger,
  PacketPipeline,
  parseAddress,
  resolveSeeds,
  systemClock,
  type Transport,
} from "@serf-ts/memberlist";
import { type Coordinate, decodeKeyBase64, Keyring } from "@serf-ts/wire";
import { SerfMachine, type SerfQueryHandle, type SerfState } from "./core/serf-machine.ts";
import {
  createCoalescePipeline,
  type KeyOperation,
  type Member,
  type SerfEvent,
  type SerfQueryEvent,
} from "./core/events.ts";
import { keyringPort } from "./core/internal-queries.ts";
import { nodeNameError } from "./core/node-name.ts";
import { keyringFileExists, readKeyringFile, writeKeyringFile } from "./keyring-file.ts";
import { resolveSerfOptions, type ResolvedSerfOptions } from "./options.ts";
import { openFileSnapshotStore } from "./snapshot/file-snapshot-store.ts";
import { parseSnapshot } from "./core/snapshot/snapshot-format.ts";
import { replaySnapshot, type SnapshotState } from "./core/snapshot/snapshot-replay.ts";
import { TimedStage } from "./timed-stage.ts";
import { SnapshotWriter } from "./snapshot/snapshot-writer.ts";
import { type Deferred, deferred } from "./deferred.ts";
import { logSerfEvent } from "./serf-event-log.ts";

import {
  type SerfConfig,
  type SerfQuery,
  type SerfDriverEvent,
  type SerfDriverEventType,
  type SerfDriverEventOf,
  type QueryHandler,
  type SerfEventsOptions,
  type QueryParams,
  type NodeResponse,
  type QueryResult,
  type QueryResponse,
  type KeyOperationResult,
  type SerfKeyManager,
  type KeyOptions,
  type SerfDriverStats,
  SerfOperationError,
} from "./serf-driver-types.ts";

export type {
  SerfConfig,
  SerfQuery,
  SerfOverflowEvent,
  SerfDriverEvent,
  SerfDriverEventType,
  SerfDriverEventOf,
  QueryHandler,
  SerfEventsOptions,
  QueryParams,
  NodeResponse,
  QueryResult,
  QueryResponse,
  KeyOperationResult,
  SerfKeyManager,
  KeyOptions,
  SerfDriverStats,
} from "./serf-driver-types.ts";
export { SerfOperationError } from "./serf-driver-types.ts";

// ---------------------------------------------------------------------------------------------
// Internals

const DEFAULT_EVENT_BUFFER = 1024;
const QUERY_STREAM_CAPACITY = 1 << 16;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

type Listener = (event: SerfDriverEvent) => void;

function toBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return EMPTY;
  return typeof payload === "string" ? encoder.encode(payload) : payload;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** Book-keeping of a query we sent. */
interface PendingQuery {
  readonly handle: SerfQueryHandle;
  readonly acks: EventStream<string>;
  readonly responses: EventStream<NodeResponse>;
  readonly collected: { acks: string[]; responses: NodeResponse[] };
  readonly done: Deferred<QueryResult>;
  closed: boolean;
  detachSignal: (() => void) | undefined;
}

/** A configured key as raw bytes (base64 text is decoded and validated). */
function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === "string" ? decodeKeyBase64(key) : key;
}

/**
 * A running serf node. Create with `await Serf.create(config)`; it starts at once (alive,
 * timers running, snapshot rejoin under way). Then `join`, `userEvent`, `query`, `leave`,
 * `shutdown`.
 */
export class Serf {
  /** The resolved options in use. */
  readonly options: ResolvedSerfOptions;
  /** Cluster-wide key operations. */
  readonly keyManager: SerfKeyManager;

  readonly #machine: SerfMachine;
  readonly #driver: MachineDriver<SerfMachine>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** memberlist's lines (Go's wording), as `memberlist` under the library logger. */
  readonly #memberlistLogger: Logger;
  readonly #keyring: Keyring | undefined;
  readonly #snapshot: SnapshotWriter | undefined;
  readonly #stage: TimedStage<SerfEvent> | undefined;
  readonly #eventBufferSize: number;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #streams = new Set<{
    stream: EventStream<SerfDriverEvent>;
    types: ReadonlySet<string> | undefined;
  }>();
  readonly #queryHandlers = new Set<QueryHandler>();
  readonly #joins = new Map<number, Deferred<number>>();
  readonly #leaves: Deferred<void>[] = [];
  readonly #tagOps = new Map<number, Deferred<void>>();
  readonly #forceLeaves = new Map<number, Deferred<void>>();
  readonly #keyOps = new Map<number, Deferred<KeyOperationResult>>();
  readonly #queries = new Map<number, PendingQuery>();
  #keyChain: Promise<unknown> = Promise.resolve();
  #droppedEvents = 0;
  #shutdownPromise: Promise<void> | undefined;

  private constructor(init: {
    options: ResolvedSerfOptions;
    machine: SerfMachine;
    transport: Transport;
    pipeline: PacketPipeline;
    clock: Clock;
    logger: Logger;
    keyring: Keyring | undefined;
    snapshot: SnapshotWriter | undefined;
    eventBufferSize: number;
    metrics: MetricsSink | undefined;
  }) {
    this.options = init.options;
    this.#machine = init.machine;
    this.#clock = init.clock;
    this.#logger = init.logger;
    this.#memberlistLogger = init.logger.child("memberlist");
    this.#keyring = init.keyring;
    this.#snapshot = init.snapshot;
    this.#eventBufferSize = init.eventBufferSize;
    const pipeline = createCoalescePipeline(init.options);
    this.#stage =
      pipeline === undefined
        ? undefined
        : new TimedStage(
            pipeline,
            init.clock,
            (e) => this.#deliver(e as SerfDriverEvent),
            () => !this.#driver.isShutdown,
          );
    this.#driver = new MachineDriver({
      machine: init.machine,
      transport: init.transport,
      pipeline: init.pipeline,
      clock: init.clock,
      logger: init.logger,
      tcpTimeoutMs: init.options.memberlist.tcpTimeoutMs,
      onEvent: (event) => this.#onMachineEvent(event),
      metrics: init.metrics,
    });
    this.keyManager = {
      installKey: (key, o) => this.#keyOperation("install", key, o),
      useKey: (key, o) => this.#keyOperation("use", key, o),
      removeKey: (key, o) => this.#keyOperation("remove", key, o),
      listKeys: (o) => this.#keyOperation("list", "", o),
    };
  }

  /**
   * Creates and starts a node: loads the keyring, replays the snapshot, binds the transport
   * (unless given), creates the machine and starts it (a snapshot with previous members starts
   * the rejoin).
   * @throws RangeError for invalid options, KeyError for bad keys, `TransportError` when
   *   binding fails, Error for an unreadable keyring file.
   */
  static async create(config: SerfConfig = {}): Promise<Serf> {
    const logger = config.logger ?? noopLogger;
    const clock = config.clock ?? systemClock;
    const name = config.nodeName || config.options?.memberlist?.name || hostname();
    const badName = config.validateNodeNames === true ? nodeNameError(name) : undefined;
    if (badName !== undefined) throw new Error(badName);
    const keyringFile = config.keyringFile;

    // Keyring (encryption keys and/or keyring file).
    let keys = (config.encryptKeys ?? []).map(keyBytes);
    if (config.keyringFile !== undefined && keyringFileExists(config.keyringFile)) {
      if (keys.length > 0) {
        throw new Error("Encryption key not allowed while using a keyring");
      }
      keys = readKeyringFile(config.keyringFile);
    } else if (config.keyringFile !== undefined && keys.length > 0) {
      writeKeyringFile(config.keyringFile, keys);
    }
    const keyring = keys.length > 0 ? Keyring.create(keys) : undefined;

    const base = config.options ?? {};
    const options = resolveSerfOptions({
      ...base,
      ...(config.protocolVersion !== undefined ? { protocolVersion: config.protocolVersion } : {}),
      ...(config.rejoinAfterLeave !== undefined
        ? { rejoinAfterLeave: config.rejoinAfterLeave }
        : {}),
      memberlist: {
        ...base.memberlist,
        name,
        ...(config.profile !== undefined ? { profile: config.profile } : {}),
        ...(config.bindAddr !== undefined ? { bindAddr: config.bindAddr } : {}),
        ...(config.bindPort !== undefined ? { bindPort: config.bindPort } : {}),
        ...(config.advertiseAddr !== undefined ? { advertiseAddr: config.advertiseAddr } : {}),
        ...(config.advertisePort !== undefined ? { advertisePort: config.advertisePort } : {}),
        encryptionEnabled: keyring !== undefined,
      },
    });

    // Snapshot: open and replay before anything runs.
    let store = config.snapshotStore;
    if (store === undefined && config.snapshotPath !== undefined) {
      store = await openFileSnapshotStore(config.snapshotPath);
    }
    let replayed: SnapshotState | undefined;
    if (store !== undefined) {
      try {
        const parsed = parseSnapshot(await store.readAll());
        replayed = replaySnapshot(parsed.records, { rejoinAfterLeave: options.rejoinAfterLeave });
        for (const w of replayed.warnings) logger.warn("snapshot line ignored", { line: w });
        if (parsed.tornTail !== undefined) logger.warn("snapshot ends with a partial line");
      } catch (err) {
        await store.close();
        throw err;
      }
    }

    let transport: Transport | undefined;
    try {
      transport =
        config.transport ??
        (await createDefaultTransport(options.memberlist, clock, logger.child("transport")));
      const { host, port } = parseAddress(transport.localAddress);
      const pipeline = new PacketPipeline({
        enableCompression: options.memberlist.enableCompression,
        keyring,
        gossipVerifyIncoming: options.memberlist.gossipVerifyIncoming,
        gossipVerifyOutgoing: options.memberlist.gossipVerifyOutgoing,
        label: options.memberlist.label,
        skipInboundLabelCheck: options.memberlist.skipInboundLabelCheck,
        logger: logger.child("pipeline"),
      });
      const metrics =
        config.metrics === undefined ? undefined : coreMetrics(config.metrics, logger);
      const snapshot =
        store === undefined
          ? undefined
          : new SnapshotWriter({
              store,
              clock,
              logger: logger.child("snapshot"),
              rejoinAfterLeave: options.rejoinAfterLeave,
              replayed,
              metrics: metrics?.sink,
            });
      const machine = new SerfMachine(
        // Go takes the label header out of the UDP budget (`labelOverhead`).
        pipeline.labelOverheadBytes === 0
          ? options
          : {
              ...options,
              memberlist: {
                ...options.memberlist,
                udpBufferSize: options.memberlist.udpBufferSize - pipeline.labelOverheadBytes,
              },
            },
        { name, addr: ipToBytes(host), port, tags: config.tags ?? {} },
        config.random ?? defaultRandom(),
        clock.now(),
        replayed,
        {
          keyring:
            keyring === undefined
              ? undefined
              : keyringPort(keyring, (k) => {
                  if (keyringFile !== undefined) writeKeyringFile(keyringFile, k.keys());
                }),
          snapshot,
          logger: logger.child("serf"),
          metrics,
        },
      );
      const serf = new Serf({
        options,
        machine,
        transport,
        pipeline,
        clock,
        logger,
        keyring,
        snapshot,
        eventBufferSize: config.eventBufferSize ?? DEFAULT_EVENT_BUFFER,
        metrics: metrics?.sink,
      });
      logger.info("serf started", { name, address: transport.localAddress });
      serf.#driver.start();
      return serf;
    } catch (err) {
      await transport?.close();
      await store?.close().catch(() => undefined);
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Identity and state

  /** This node's name. */
  get name(): string {
    return this.#machine.name;
  }

  /** `ip:port` other nodes use to reach this one. */
  get localAddress(): string {
    return this.#driver.transport.localAddress;
  }

  /** Local state: alive, leaving, left, shutdown. */
  get state(): SerfState {
    return this.#machine.state;
  }

  /** Whether gossip is encrypted. */
  get encryptionEnabled(): boolean {
    return this.#keyring !== undefined;
  }

  /** The gossip keyring (shared with the packet pipeline), if encryption is enabled. */
  get keyring(): Keyring | undefined {
    return this.#keyring;
  }

  /** Every known member, any status (Go `Members`). */
  members(): Member[] {
    return this.#machine.members();
  }

  /** The local member (Go `LocalMember`). */
  localMember(): Member {
    return this.#machine.localMember();
  }

  /** One member by name. */
  member(name: string): Member | undefined {
    return this.#machine.member(name);
  }

  /** Number of members, any status (Go `NumNodes`). */
  numNodes(): number {
    return this.#machine.numNodes();
  }

  /** The local Vivaldi coordinate (`undefined` when coordinates are disabled). */
  coordinate(): Coordinate | undefined {
    return this.#machine.coordinate();
  }

  /** The last coordinate seen for `node` (Go `GetCachedCoordinate`). */
  getCoordinate(node: string): Coordinate | undefined {
    return this.#machine.cachedCoordinate(node);
  }

  /** Go `DefaultQueryTimeout` for the current cluster size. */
  defaultQueryTimeoutMs(): number {
    return this.#machine.defaultQueryTimeoutMs();
  }

  /** Operator statistics. */
  stats(): SerfDriverStats {
    return {
      ...this.#machine.stats(),
      droppedEvents: this.#droppedEvents,
      network: { ...this.#driver.stats },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  /**
   * Joins a cluster through the given addresses (`host:port`, `host`, `name/host:port`): one
   * push/pull each; if at least one succeeds a join intent is broadcast. With `ignoreOld`, user
   * events already in the remote buffers are not delivered here (Go agent default).
   * @returns the number of nodes contacted successfully.
   * @throws JoinError when none could be contacted; SerfMachineError after leave/shutdown.
   */
  async join(
    addresses: readonly string[],
    options: { readonly ignoreOld?: boolean | undefined } = {},
  ): Promise<number> {
    const defaultPort = this.options.memberlist.bindPort || parseAddress(this.localAddress).port;
    const { addresses: resolved, errors } = await resolveSeeds(addresses, defaultPort);
    if (resolved.length === 0) throw new JoinError(errors.length > 0 ? errors : ["no addresses"]);
    const d = deferred<number>();
    this.#driver.act((m, now) => {
      const id = m.join(resolved, options.ignoreOld ?? false, now);
      this.#joins.set(id, d);
    });
    const contacted = await d.promise;
    for (const e of errors) this.#logger.warn(e);
    return contacted;
  }

  /**
   * Leaves gracefully (serf.md §5.6): leave intent broadcast, memberlist leave, propagation
   * delay; resolves when the node is `left`. Keep it running until then; `shutdown()` after.
   * @throws SerfOperationError on a broadcast timeout (0.9.4 then stays `leaving`),
   *   SerfMachineError when a leave is already in progress or after shutdown.
   */
  async leave(): Promise<void> {
    const d = deferred<void>();
    this.#driver.act((m, now) => {
      this.#leaves.push(d);
      try {
        m.leave(now);
      } catch (err) {
        this.#leaves.pop();
        throw err;
      }
    });
    await d.promise;
  }

  /**
   * Forcibly moves a failed node to `left` cluster-wide (Go `RemoveFailedNode`); with `prune`
   * it is erased. Resolves when the intent was broadcast.
   */
  async forceLeave(node: string, options: { readonly prune?: boolean } = {}): Promise<void> {
    const d = deferred<void>();
    this.#driver.act((m, now) => {
      this.#forceLeaves.set(m.forceLeave(node, options.prune ?? false, now), d);
    });
    await d.promise;
  }

  /**
   * Replaces the local tags and waits until the update was broadcast (or nobody else is
   * alive).
   * @throws EncodeError when the encoded tags exceed 512 bytes; SerfOperationError on timeout.
   */
  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    const d = deferred<void>();
    this.#driver.act((m, now) => {
      this.#tagOps.set(m.setTags(tags, now), d);
    });
    await d.promise;
  }

  /**
   * Fires a user event: delivered locally at once and gossiped to every member.
   * @throws SizeLimitError when name + payload exceed `userEventSizeLimit` (512 by default).
   */
  userEvent(name: string, payload: Uint8Array | string = EMPTY, coalesce = false): void {
    const bytes = toBytes(payload);
    this.#driver.act((m, now) => m.userEvent(name, bytes, coalesce, now));
  }

  /**
   * Sends a query; every node that passes the filters gets it (this one included). Acks and
   * responses stream in until the deadline.
   * @throws SizeLimitError "query exceeds limit of N bytes"; SerfMachineError below protocol 4;
   *   the signal's reason when `signal` is already aborted.
   */
  query(
    name: string,
    payload: Uint8Array | string = EMPTY,
    params: QueryParams = {},
  ): QueryResponse {
    const signal = params.signal;
    if (signal?.aborted === true) throw abortError(signal);
    const bytes = toBytes(payload);
    const pending = this.#driver.act((m, now) => {
      const handle = m.query(
        {
          name,
          payload: bytes,
          filterNodes: params.filterNodes,
          filterTags: params.filterTags,
          requestAck: params.requestAck,
          relayFactor: params.relayFactor,
          timeoutMs: params.timeoutMs,
        },
        now,
      );
      const q: PendingQuery = {
        handle,
        acks: new EventStream<string>({ capacity: QUERY_STREAM_CAPACITY }),
        responses: new EventStream<NodeResponse>({ capacity: QUERY_STREAM_CAPACITY }),
        collected: { acks: [], responses: [] },
        done: deferred<QueryResult>(),
        closed: false,
        detachSignal: undefined,
      };
      this.#queries.set(handle.lTime, q);
      return q;
    });
    if (signal !== undefined && !pending.closed) {
      const onAbort = (): void => this.#closeQuery(pending);
      signal.addEventListener("abort", onAbort, { once: true });
      pending.detachSignal = () => signal.removeEventListener("abort", onAbort);
    }
    return {
      name,
      lTime: pending.handle.lTime,
      id: pending.handle.id,
      deadline: pending.handle.deadline,
      acks: pending.acks,
      responses: pending.responses,
      finished: pending.done.promise,
      get closed() {
        return pending.closed;
      },
      close: () => this.#closeQuery(pending),
    };
  }

  /**
   * Answers a delivered query (the event itself, or its handle).
   * @throws as {@link SerfQuery.respond}.
   */
  respond(query: SerfQueryEvent | number, payload: Uint8Array | string): void {
    const handle = typeof query === "number" ? query : query.handle;
    const bytes = toBytes(payload);
    this.#driver.act((m, now) => m.respond(handle, bytes, now));
  }

  /**
   * Registers a JS query responder. For every delivered (non-internal) query it is called with
   * the query; a returned (or resolved) payload is sent as the response. The first responder
   * to answer wins. @returns an unregister function.
   */
  onQuery(handler: QueryHandler): () => void {
    this.#queryHandlers.add(handler);
    return () => {
      this.#queryHandlers.delete(handler);
    };
  }

  /**
   * Calls `listener` synchronously for every event of `type` (`"*"`: every event).
   * @returns an unsubscribe function.
   */
  on<T extends Exclude<SerfDriverEventType, "overflow">>(
    type: T,
    listener: (event: SerfDriverEventOf<T>) => void,
  ): () => void;
  on(type: "*", listener: (event: SerfDriverEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const l = listener as Listener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /**
   * Events from now on as an async iterator. Bounded: when the consumer falls behind the
   * oldest events are dropped, counted in `stats().droppedEvents`, and replaced by one
   * `{ type: "overflow", dropped }` marker. Ends at `shutdown()`, on `signal` abort, or when
   * the loop breaks.
   */
  events(options: SerfEventsOptions = {}): AsyncIterableIterator<SerfDriverEvent> {
    const types = options.types === undefined ? undefined : new Set<string>(options.types);
    const signal = options.signal;
    const onAbort = (): void => {
      this.#streams.delete(entry);
      entry.stream.end();
    };
    const entry = {
      stream: new EventStream<SerfDriverEvent>({
        capacity: options.bufferSize ?? this.#eventBufferSize,
        onDrop: () => {
          this.#droppedEvents++;
        },
        overflowEvent: (dropped) => ({ type: "overflow", dropped }),
        onReturn: () => {
          this.#streams.delete(entry);
          signal?.removeEventListener("abort", onAbort);
        },
      }),
      types,
    };
    if (this.#shutdownPromise !== undefined || signal?.aborted === true) {
      entry.stream.end();
      return entry.stream;
    }
    this.#streams.add(entry);
    signal?.addEventListener("abort", onAbort, { once: true });
    return entry.stream;
  }

  /**
   * Stops without leaving (Go `Shutdown`): the machine stops, the transport closes, held
   * (coalesced) events are delivered, the snapshot is flushed and closed, pending operations
   * fail, query streams and event iterators end. Peers will see this node fail unless it left
   * first. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdownPromise ??= this.#doShutdown();
    return this.#shutdownPromise;
  }

  async #doShutdown(): Promise<void> {
    if (this.#machine.state === "alive") {
      this.#logger.warn("shutdown without a leave", { name: this.name });
    }
    this.#machine.shutdown(this.#clock.now());
    await this.#driver.shutdown();
    this.#stage?.flush();
    const gone = new SerfOperationError("serf is shut down");
    for (const d of this.#joins.values()) d.reject(gone);
    this.#joins.clear();
    for (const d of this.#leaves.splice(0)) d.reject(gone);
    for (const d of this.#tagOps.values()) d.reject(gone);
    this.#tagOps.clear();
    for (const d of this.#forceLeaves.values()) d.reject(gone);
    this.#forceLeaves.clear();
    for (const d of this.#keyOps.values()) d.reject(gone);
    this.#keyOps.clear();
    for (const q of [...this.#queries.values()]) this.#finishQuery(q);
    for (const { stream } of this.#streams) stream.end();
    this.#streams.clear();
    await this.#snapshot?.close();
    this.#logger.info("serf shut down", { name: this.name });
  }

  // -------------------------------------------------------------------------------------------
  // Machine events

  #onMachineEvent(event: SerfEvent): void {
    switch (event.type) {
      case "join-finished": {
        const d = this.#joins.get(event.join);
        if (d !== undefined) {
          this.#joins.delete(event.join);
          if (event.contacted > 0) d.resolve(event.contacted);
          else d.reject(new JoinError((event.error ?? "no addresses to join").split("; ")));
        }
        break;
      }
      case "leave-finished":
        for (const d of this.#leaves.splice(0)) {
          if (event.ok) d.resolve();
          else d.reject(new SerfOperationError(event.error ?? "leave failed"));
        }
        break;
      case "tags-updated":
        this.#settle(this.#tagOps, event.op, event.ok, event.error);
        break;
      case "force-leave-finished":
        this.#settle(this.#forceLeaves, event.op, event.ok, event.error);
        break;
      case "key-operation": {
        const d = this.#keyOps.get(event.op);
        if (d !== undefined) {
          this.#keyOps.delete(event.op);
          d.resolve({ ...event.response, operation: event.operation, error: event.error });
        }
        break;
      }
      case "query-ack": {
        const q = this.#ownQuery(event.lTime, event.id);
        if (q !== undefined) {
          q.collected.acks.push(event.from);
          q.acks.push(event.from);
        }
        break;
      }
      case "query-response": {
        const q = this.#ownQuery(event.lTime, event.id);
        if (q !== undefined) {
          const r: NodeResponse = { from: event.from, payload: event.payload };
          q.collected.responses.push(r);
          q.responses.push(r);
        }
        break;
      }
      case "query-done": {
        const q = this.#ownQuery(event.lTime, event.id);
        if (q !== undefined) this.#finishQuery(q);
        break;
      }
      case "rejoin-finished":
        if (event.ok) this.#logger.info("re-joined previously known node", { node: event.node });
        else this.#logger.warn("failed to re-join any previously known node");
        break;
      case "shutdown":
        if (event.reason === "name-conflict") {
          this.#logger.error("minority in name conflict resolution, shutting down");
          queueMicrotask(() => {
            void this.shutdown();
          });
        }
        break;
      default:
        break;
    }
    logSerfEvent(this.#logger, this.#memberlistLogger, event);
    const e: SerfEvent = event.type === "query" ? this.#wrapQuery(event) : event;
    if (this.#stage === undefined) {
      this.#deliver(e as SerfDriverEvent);
      return;
    }
    this.#stage.handle(e);
  }

  #settle(map: Map<number, Deferred<void>>, op: number, ok: boolean, error?: string): void {
    const d = map.get(op);
    if (d === undefined) return;
    map.delete(op);
    if (ok) d.resolve();
    else d.reject(new SerfOperationError(error ?? "operation failed"));
  }

  #ownQuery(lTime: number, id: number): PendingQuery | undefined {
    const q = this.#queries.get(lTime);
    return q !== undefined && q.handle.id === id ? q : undefined;
  }

  #closeQuery(q: PendingQuery): void {
    if (q.closed) return;
    if (this.#driver.isShutdown) {
      this.#finishQuery(q);
      return;
    }
    this.#driver.act((m, now) => m.closeQuery(q.handle.lTime, now));
    // The machine emits query-done (handled in the pump); make sure it is closed regardless.
    this.#finishQuery(q);
  }

  #finishQuery(q: PendingQuery): void {
    if (q.closed) return;
    q.closed = true;
    if (this.#queries.get(q.handle.lTime) === q) this.#queries.delete(q.handle.lTime);
    q.detachSignal?.();
    q.acks.end();
    q.responses.end();
    q.done.resolve({ acks: [...q.collected.acks], responses: [...q.collected.responses] });
  }

  #wrapQuery(event: SerfQueryEvent): SerfQuery {
    return { ...event, respond: (payload) => this.respond(event.handle, payload) };
  }

  #deliver(event: SerfDriverEvent): void {
    if (event.type === "query") this.#runQueryHandlers(event);
    for (const key of [event.type, "*"]) {
      const set = this.#listeners.get(key);
      if (set === undefined) continue;
      for (const l of [...set]) {
        try {
          l(event);
        } catch (err) {
          this.#logger.error("event listener threw", { err: errorText(err), event: event.type });
        }
      }
    }
    for (const { stream, types } of this.#streams) {
      if (types === undefined || types.has(event.type)) stream.push(event);
    }
  }

  #runQueryHandlers(query: SerfQuery): void {
    let answered = false;
    const answer = (value: unknown): void => {
      if (answered || !(typeof value === "string" || value instanceof Uint8Array)) return;
      answered = true;
      try {
        query.respond(value);
      } catch (err) {
        this.#logger.warn("failed to respond to query", { name: query.name, err: errorText(err) });
      }
    };
    for (const handler of [...this.#queryHandlers]) {
      let result: unknown;
      try {
        result = handler(query);
      } catch (err) {
        this.#logger.error("query handler threw", { name: query.name, err: errorText(err) });
        continue;
      }
      if (result instanceof Promise) {
        result.then(answer, (err: unknown) => {
          this.#logger.error("query handler failed", { name: query.name, err: errorText(err) });
        });
      } else {
        answer(result);
      }
    }
  }

  #keyOperation(
    operation: KeyOperation,
    key: string,
    options: KeyOptions = {},
  ): Promise<KeyOperationResult> {
    // Go's KeyManager holds a lock per operation: run them one at a time.
    const run = async (): Promise<KeyOperationResult> => {
      const d = deferred<KeyOperationResult>();
      this.#driver.act((m, now) => {
        const opts = { relayFactor: options.relayFactor };
        const op =
          operation === "install"
            ? m.installKey(key, opts, now)
            : operation === "use"
              ? m.useKey(key, opts, now)
              : operation === "remove"
                ? m.removeKey(key, opts, now)
                : m.listKeys(opts, now);
        this.#keyOps.set(op, d);
      });
      return d.promise;
    };
    const result = this.#keyChain.then(run, run);
    this.#keyChain = result.catch(() => undefined);
    return result;
  }
}
