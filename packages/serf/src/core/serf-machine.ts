/**
 * # SerfMachine: the sans-I/O serf 0.9.4 core
 *
 * A synchronous state machine that owns a {@link SwimMachine} and implements its delegates
 * (node meta = tags, user messages = serf messages, broadcasts from serf's intent → query →
 * event queues, push/pull user state, ack payload / ping complete = Vivaldi, conflicts), so the
 * whole serf stack — gossip, intents, user events, queries, reaping, reconnects, key rotation —
 * runs without sockets, clocks or `Math.random`, and can be simulated.
 *
 * ```ts
 * const m = new SerfMachine(resolveSerfOptions({ protocolVersion: 5 }),
 *   { name, addr, port, tags }, random, now, snapshotState?,
 *   { keyring?, snapshot?, logger?, merge? });
 *
 * // the driver contract is SwimMachine's (times: ms on one monotonic clock; "ip:port")
 * m.handlePacket(from, decodedMessages, now);            // decoded parts of one datagram
 * const reply = m.handleStreamRequest(from, msg, now);  // inbound stream: write reply if any
 * m.handleStreamReply(exchange, replyOrFailure, now);   // outcome of a stream transmit
 * m.handleTimeout(now);                                 // when pollTimeout() has passed
 *
 * // operations (each may throw a SerfError/RangeError synchronously; results come as events)
 * const j = m.join(["10.0.0.1:7946"], ignoreOld, now);  // → "join-finished" {join: j}
 * m.leave(now);                                          // → "leave-finished" (state "left")
 * m.forceLeave("node-x", prune, now);                    // → "force-leave-finished"
 * m.setTags({ role: "web" }, now);                       // → "tags-updated"
 * m.userEvent("deploy", payload, coalesce, now);         // delivered locally + gossiped
 * const q = m.query({ name, payload, filterNodes, filterTags, requestAck, relayFactor,
 *   timeoutMs }, now);                                   // → query-ack / query-response / query-done
 * m.respond(queryEvent.handle, payload, now);            // answer a delivered "query" event
 * m.installKey(b64, {}, now); m.useKey(…); m.removeKey(…); m.listKeys({}, now);
 *                                                        // → "key-operation" {response: KeyResponse}
 * m.shutdown(now);
 *
 * // outputs: drain all three after EVERY call above (including the constructor)
 * let t; while ((t = m.pollTransmit())) send(t);         // memberlist Transmit (packet/stream)
 * let e; while ((e = m.pollEvent())) deliver(e);         // SerfEvent
 * const at = m.pollTimeout();                            // arm ONE timer (absolute ms)
 *
 * // queries
 * m.members(); m.localMember(); m.member(name); m.numNodes(); m.state; m.stats();
 * m.coordinate(); m.cachedCoordinate(name); m.clocks(); m.defaultQueryTimeoutMs(); m.swim;
 * ```
 *
 * Contract:
 * - **Transmits** are the SwimMachine's ({@link Transmit}): serf's own datagrams (query acks,
 *   responses, relays) are memberlist user packets (`08` + serf bytes), sent through
 *   `SwimMachine.sendUserPacket`, so the driver only knows memberlist transmits.
 * - **Events** ({@link SerfEvent}) are emitted in causal order. Member events carry one member
 *   each; coalescing is the driver's (see `createCoalescePipeline`). Internal `_serf_` queries
 *   never surface as `query` events. memberlist notifications serf does not consume are passed
 *   through as `{ type: "memberlist" }` for logging.
 * - **Snapshots.** With a {@link SnapshotSink} the machine emits the snapshot records Go's
 *   snapshotter writes (`alive`, `not-alive`, `clock`, `event-clock`, `query-clock`, `leave`),
 *   synchronously, in order; the driver appends them to its store (flush/compaction are its
 *   business). A replayed snapshot given to the constructor restores the clocks and
 *   `eventMinTime`/`queryMinTime`, seeds the snapshot's last values, and starts a rejoin of the
 *   previous members (one memberlist join at a time, `rejoin-finished` at the end).
 * - **Keyring.** Key queries are answered through the {@link KeyringPort}; without one the node
 *   answers "encryption not enabled", as Go does.
 * - **Graceful leave** (serf.md §5.6) is a state progression: `state` goes `alive` →
 *   `leaving` → (intent broadcast out, ≤ BroadcastTimeout) → memberlist leave (≤
 *   BroadcastTimeout) → LeavePropagateDelay → `left`, ending with `leave-finished`. A timeout
 *   ends it with `ok: false` and the state stays `leaving` (0.9.4). Keep driving the machine
 *   until then, and `shutdown()` afterwards.
 * - **Time** never goes backwards inside the machine; due timers run before any input.
 * - **Determinism.** Same options, identity, random seed and inputs give the same outputs.
 */

import {
  DeadlineQueue,
  Fifo,
  type MemberlistEvent,
  type StreamFailure,
  type StreamReply,
  type StreamRequest,
  NO_CORE_METRICS,
  SwimMachine,
  type Transmit,
  TransmitLimitedQueue,
  type ExchangeOutcome,
} from "@serf-ts/memberlist/core";
import {
  type Coordinate,
  decodeBase64Std,
  encodeSerfMessage,
  encodeTags,
  type PacketMessage,
  SerfMessageType,
  type UserEventMessage,
  utf8Encode,
} from "@serf-ts/wire";
import { encodeKeyRequestPayload } from "@serf-ts/wire/codec";
import { VivaldiClient } from "./coordinate/client.ts";
import type { KeyOperation, Member, SerfEvent } from "./events.ts";
import type { ResolvedSerfOptions } from "../options.ts";
import { SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS } from "./snapshot/compaction.ts";
import { rejoinCandidates, type SnapshotState } from "./snapshot/snapshot-replay.ts";
import { QueryBuffer, UserEventBuffer } from "./event-buffer.ts";
import type { KeyringPort } from "./internal-queries.ts";
import { LamportClock } from "./lamport.ts";
import type { SerfBroadcast, SerfContext, SerfTimer } from "./serf-context.ts";
import {
  type KeyOperationOptions,
  type SerfIdentity,
  SerfMachineError,
  SerfMachineErrorCode,
  type SerfMachineHooks,
  type SerfMachineLogger,
  type SerfQueryHandle,
  type SerfQueryParams,
  type SerfState,
  type SerfStats,
  type SnapshotSink,
} from "./serf-machine-types.ts";
import { SerfDelegate } from "./serf-delegate.ts";
import { SerfEventIntake } from "./serf-event-intake.ts";
import { SerfLifecycle } from "./serf-lifecycle.ts";
import { SerfMetrics } from "./serf-metrics.ts";
import { SerfQueries } from "./serf-queries.ts";
import { defaultQueryTimeoutMs } from "./query-timeout.ts";
import type { Random } from "./random.ts";
import { SerfMemberTable } from "./serf-members.ts";
import { checkEncodedUserEventSize, checkUserEventSizeBeforeEncoding } from "./size-limits.ts";

export type { KeyringPort } from "./internal-queries.ts";
export type {
  KeyOperationOptions,
  SerfIdentity,
  SerfMachineHooks,
  SerfMachineLogger,
  SerfQueryHandle,
  SerfQueryParams,
  SerfState,
  SerfStats,
  SnapshotSink,
} from "./serf-machine-types.ts";
export { SerfMachineError, SerfMachineErrorCode } from "./serf-machine-types.ts";

const NOOP_LOGGER: SerfMachineLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

function toTagMap(
  tags: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined,
): Map<string, string> {
  if (tags === undefined) return new Map();
  if (tags instanceof Map) return new Map(tags);
  return new Map(Object.entries(tags as Readonly<Record<string, string>>));
}

// ---------------------------------------------------------------------------------------------

export class SerfMachine {
  /** The resolved options this machine runs with. */
  readonly options: ResolvedSerfOptions;
  /** The SWIM core serf runs on (read-only use: members, health, local node). */
  readonly swim: SwimMachine;
  /** The local node name. */
  readonly name: string;
  private readonly addr: Uint8Array;
  private readonly port: number;
  private tags: Map<string, string>;
  private readonly random: Random;
  private readonly keyring: KeyringPort | undefined;
  private readonly sink: SnapshotSink | undefined;
  private readonly log: SerfMachineLogger;
  private readonly dropper: (type: SerfMessageType) => boolean;
  private readonly merge: ((members: readonly Member[]) => string | undefined) | undefined;
  private readonly metrics: SerfMetrics;

  private readonly clock = new LamportClock();
  private readonly eventClock = new LamportClock();
  private readonly queryClock = new LamportClock();
  private readonly table: SerfMemberTable;
  private readonly intentQueue: TransmitLimitedQueue<SerfBroadcast>;
  private readonly eventQueue: TransmitLimitedQueue<SerfBroadcast>;
  private readonly queryQueue: TransmitLimitedQueue<SerfBroadcast>;
  private readonly eventBuffer: UserEventBuffer;
  private readonly queryBuffer: QueryBuffer;
  private readonly vivaldi: VivaldiClient | undefined;
  private readonly coordCache = new Map<string, Coordinate>();
  /** The services the modules below share (see serf-context.ts). */
  private readonly ctx: SerfContext;
  private readonly queries: SerfQueries;
  private readonly lifecycle: SerfLifecycle;
  private readonly delegate: SerfDelegate;
  private readonly intake: SerfEventIntake;

  private readonly timers = new DeadlineQueue<SerfTimer>();
  private readonly events = new Fifo<SerfEvent>();
  private nextOp = 1;

  private stateValue: SerfState = "alive";

  private nowMs: number;
  /** > 0 while inside a SwimMachine call: no re-entry, sends and follow-ups are deferred. */
  private swimDepth = 0;
  private readonly afterSwim: (() => void)[] = [];
  private readonly outbox: { to: string; payload: Uint8Array; node: string | undefined }[] = [];
  private swimReady = false;

  constructor(
    options: ResolvedSerfOptions,
    identity: SerfIdentity,
    random: Random,
    now: number,
    snapshot?: SnapshotState | undefined,
    hooks: SerfMachineHooks = {},
  ) {
    this.options = options;
    this.name = identity.name;
    this.addr = identity.addr;
    this.port = identity.port;
    this.tags = toTagMap(identity.tags);
    this.random = random;
    this.keyring = hooks.keyring;
    this.sink = hooks.snapshot;
    this.log = hooks.logger ?? NOOP_LOGGER;
    this.dropper = hooks.messageDropper ?? (() => false);
    this.merge = hooks.merge;
    this.metrics = new SerfMetrics(hooks.metrics ?? NO_CORE_METRICS);
    this.nowMs = now;

    // Fails early like Go's Create ("Encoded length of tags exceeds limit of 512 bytes").
    this.encodeLocalTags();

    this.table = new SerfMemberTable({
      selfName: this.name,
      now: () => this.nowMs,
      localAlive: () => this.stateValue === "alive",
      emitMember: (type, member, forced) => this.intake.emitMember(type, member, forced === true),
      refuteLeave: () => {
        this.log.debug("refuting an older leave intent");
        this.delegate.broadcastJoin(this.clock.time());
      },
      schedulePrune: (name) => {
        const delay = options.broadcastTimeoutMs + options.leavePropagateDelayMs;
        this.timers.schedule(this.nowMs + delay, { kind: "prune", name });
      },
      onErase: (name) => {
        this.vivaldi?.forgetNode(name);
        this.coordCache.delete(name);
      },
      onFlap: () => this.metrics.memberFlap(),
      flapTimeoutMs: options.flapTimeoutMs,
      metrics: this.metrics,
    });
    const queueOptions = {
      numNodes: () => this.table.size,
      retransmitMult: options.memberlist.retransmitMult,
      // A sleeping gossip ticker wakes up for serf's broadcasts too.
      onQueued: () => this.swim?.wakeGossip(this.nowMs),
    };
    this.intentQueue = new TransmitLimitedQueue<SerfBroadcast>(queueOptions);
    this.eventQueue = new TransmitLimitedQueue<SerfBroadcast>(queueOptions);
    this.queryQueue = new TransmitLimitedQueue<SerfBroadcast>(queueOptions);
    this.eventBuffer = new UserEventBuffer(options.eventBuffer);
    this.queryBuffer = new QueryBuffer(options.queryBuffer);
    if (!options.disableCoordinates) {
      this.vivaldi = new VivaldiClient(random);
      this.coordCache.set(this.name, this.vivaldi.getCoordinate());
    }

    // Clocks start at 1 (so a join LTime of 0 is never news), then witness the snapshot.
    this.clock.increment();
    this.eventClock.increment();
    this.queryClock.increment();
    if (snapshot !== undefined) {
      this.clock.witness(snapshot.lastClock);
      this.eventClock.witness(snapshot.lastEventClock);
      this.queryClock.witness(snapshot.lastQueryClock);
      this.eventBuffer.setMinTime(snapshot.lastEventClock + 1);
      this.queryBuffer.setMinTime(snapshot.lastQueryClock + 1);
    }

    this.ctx = this.makeContext();
    this.intake = new SerfEventIntake(this.ctx, this.sink, snapshot);
    this.queries = new SerfQueries(this.ctx);
    this.lifecycle = new SerfLifecycle(this.ctx);
    this.delegate = new SerfDelegate(this.ctx, this.queries, this.lifecycle);

    this.swimDepth++;
    this.swim = new SwimMachine(
      options.memberlist,
      { name: identity.name, addr: identity.addr, port: identity.port },
      random,
      now,
      this.delegate.makeDelegates(),
      hooks.metrics,
    );
    this.swimReady = true;
    this.swimDepth--;
    this.afterSwimCall();

    this.timers.schedule(now + options.reapIntervalMs, { kind: "reap" });
    this.timers.schedule(now + options.reconnectIntervalMs, { kind: "reconnect" });
    this.timers.schedule(now + options.queueCheckIntervalMs, { kind: "queue-check" });
    if (this.sink !== undefined) {
      this.timers.schedule(now + SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS, { kind: "snapshot-clock" });
    }

    if (snapshot !== undefined && snapshot.aliveNodes.size > 0) {
      this.lifecycle.rejoin(rejoinCandidates(snapshot, this.name, random));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Driver inputs

  /** Handles the decoded messages of one datagram received from `from` ("ip:port"). */
  handlePacket(from: string, messages: readonly PacketMessage[], now: number): void {
    if (!this.begin(now)) return;
    this.inSwim(() => this.swim.handlePacket(from, messages, now));
  }

  /**
   * Handles an inbound stream's request (push/pull, TCP ping, reliable user message).
   * @returns the reply to write, or `undefined` to close without replying.
   */
  handleStreamRequest(from: string, msg: StreamRequest, now: number): StreamReply | undefined {
    if (!this.begin(now)) return undefined;
    return this.inSwim(() => this.swim.handleStreamRequest(from, msg, now));
  }

  /** Reports the outcome of a stream transmit (reply or failure). */
  handleStreamReply(
    exchange: number,
    reply: StreamReply | StreamFailure,
    now: number,
  ): ExchangeOutcome | undefined {
    if (!this.begin(now)) return undefined;
    return this.inSwim(() => this.swim.handleStreamReply(exchange, reply, now));
  }

  /** A probe's direct ping leaves now (memberlist `handlePingSent`). */
  handlePingSent(seqNo: number, now: number): void {
    if (this.stateValue !== "shutdown") this.swim.handlePingSent(seqNo, now);
  }

  /** Runs every deadline (memberlist's and serf's) that is due at `now`. */
  handleTimeout(now: number): void {
    if (!this.begin(now)) return;
    this.inSwim(() => this.swim.handleTimeout(now));
  }

  // -------------------------------------------------------------------------------------------
  // Outputs

  /** Next datagram or stream exchange to perform. */
  pollTransmit(): Transmit | undefined {
    return this.swim.pollTransmit();
  }

  /** Next event. */
  pollEvent(): SerfEvent | undefined {
    return this.events.shift();
  }

  /** Absolute time (ms) at which `handleTimeout` must be called next, if any. */
  pollTimeout(): number | undefined {
    if (this.stateValue === "shutdown") return undefined;
    const a = this.swim.pollTimeout();
    const b = this.timers.peek();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  /**
   * Joins through the given addresses ("ip:port"): one push/pull each. When at least one
   * succeeds a join intent is broadcast. With `ignoreOld`, user events already in the remote
   * event buffers are not delivered (the push/pull raises `eventMinTime`).
   * @returns the join id of the `join-finished` event.
   * @throws SerfMachineError "Serf can't Join after Leave or Shutdown".
   */
  join(addresses: readonly string[], ignoreOld: boolean, now: number): number {
    if (this.stateValue !== "alive") {
      throw new SerfMachineError(
        SerfMachineErrorCode.STATE,
        "Serf can't Join after Leave or Shutdown",
      );
    }
    this.begin(now);
    return this.lifecycle.join(addresses, ignoreOld, now);
  }

  /**
   * Starts the graceful leave (serf.md §5.6). Progress: `state`, then `leave-finished`.
   * Calling it when already left emits `leave-finished` ok again.
   * @throws SerfMachineError "Leave already in progress" / "Leave called after Shutdown".
   */
  leave(now: number): void {
    if (this.stateValue === "left") {
      this.emit({ type: "leave-finished", ok: true, error: undefined });
      return;
    }
    if (this.stateValue === "leaving") {
      throw new SerfMachineError(SerfMachineErrorCode.STATE, "Leave already in progress");
    }
    if (this.stateValue === "shutdown") {
      throw new SerfMachineError(SerfMachineErrorCode.STATE, "Leave called after Shutdown");
    }
    this.begin(now);
    this.lifecycle.leave(now);
    this.flushOutbox();
  }

  /**
   * Forcibly moves a failed node to left everywhere (Go `RemoveFailedNode`), or with `prune`
   * erases it (Go `RemoveFailedNodePrune`).
   * @returns the op id of the `force-leave-finished` event.
   */
  forceLeave(node: string, prune: boolean, now: number): number {
    this.requireRunning();
    this.begin(now);
    return this.lifecycle.forceLeave(node, prune, now);
  }

  /**
   * Replaces the local tags and broadcasts them (memberlist alive with a new incarnation).
   * @returns the op id of the `tags-updated` event.
   * @throws EncodeError when the encoded tags exceed 512 bytes.
   */
  setTags(
    tags: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
    now: number,
  ): number {
    this.requireRunning();
    const next = toTagMap(tags);
    const meta = encodeTags(next, { protocolVersion: this.options.protocolVersion });
    this.begin(now);
    this.tags = next;
    const op = this.nextOp++;
    this.inSwim(() => this.swim.updateMeta(meta, now));
    this.lifecycle.tagsUpdating(op, now);
    return op;
  }

  /**
   * Sends a user event (serf.md §6.1): delivered locally at once and gossiped.
   * @throws SizeLimitError with Go's texts when `name` + `payload` or the encoded message is
   *   over `userEventSizeLimit` (or 9216).
   */
  userEvent(name: string, payload: Uint8Array, coalesce: boolean, now: number): void {
    this.requireRunning();
    const nameBytes = utf8Encode(name).length;
    checkUserEventSizeBeforeEncoding(nameBytes, payload.length, this.options.userEventSizeLimit);
    const msg: UserEventMessage = {
      type: "user-event",
      lTime: this.eventClock.time(),
      name,
      payload: payload.length === 0 ? null : payload.slice(),
      cc: coalesce,
    };
    const raw = encodeSerfMessage(msg);
    checkEncodedUserEventSize(raw.length, this.options.userEventSizeLimit);
    this.begin(now);
    this.eventClock.increment();
    this.intake.handleUserEvent(msg);
    this.eventQueue.queueBroadcast({ message: raw });
  }

  /**
   * Sends a query (serf.md §7.1); it is processed locally too. Acks, responses and the end
   * come as `query-ack`, `query-response`, `query-done` events with the handle's `lTime`.
   * @throws SerfMachineError "Feature not supported" below protocol 4; SizeLimitError "query
   *   exceeds limit of N bytes".
   */
  query(params: SerfQueryParams, now: number): SerfQueryHandle {
    this.requireRunning();
    this.begin(now);
    const handle = this.queries.startUserQuery(params);
    this.flushOutbox();
    return handle;
  }

  /**
   * Closes one of our queries before its deadline (Go `QueryResponse.Close`); emits
   * `query-done`. Returns false if it is not open.
   */
  closeQuery(lTime: number, now: number): boolean {
    this.begin(now);
    return this.queries.close(lTime);
  }

  /**
   * Answers a delivered `query` event (Go `Query.Respond`): one response, before the
   * deadline, relayed `relayFactor` times.
   * @throws SizeLimitError "response exceeds limit of N bytes"; SerfMachineError "response
   *   already sent" / "response is past the deadline" / unknown handle.
   */
  respond(handle: number, payload: Uint8Array, now: number): void {
    this.begin(now);
    this.queries.respond(handle, payload);
    this.flushOutbox();
  }

  /** Installs a key on every member (`_serf_install-key`). @returns the op id. */
  installKey(keyBase64: string, opts: KeyOperationOptions, now: number): number {
    return this.keyOperation("install", keyBase64, opts, now);
  }

  /** Makes a key primary on every member (`_serf_use-key`). @returns the op id. */
  useKey(keyBase64: string, opts: KeyOperationOptions, now: number): number {
    return this.keyOperation("use", keyBase64, opts, now);
  }

  /** Removes a key from every member (`_serf_remove-key`). @returns the op id. */
  removeKey(keyBase64: string, opts: KeyOperationOptions, now: number): number {
    return this.keyOperation("remove", keyBase64, opts, now);
  }

  /** Lists every member's keys (`_serf_list-keys`). @returns the op id. */
  listKeys(opts: KeyOperationOptions, now: number): number {
    return this.keyOperation("list", "", opts, now);
  }

  /**
   * Stops everything (Go `Shutdown`): memberlist stops, timers are cleared, a last `clock`
   * snapshot record is written. Queued transmits/events stay drainable.
   */
  shutdown(now?: number): void {
    this.shutdownWith("requested", now);
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  /** Local instance state. */
  get state(): SerfState {
    return this.stateValue;
  }

  /** Every known member, any status (Go `Members`). */
  members(): Member[] {
    return this.table.list();
  }

  /** The local member (Go `LocalMember`). */
  localMember(): Member {
    const s = this.table.get(this.name);
    if (s === undefined) throw new Error("local member missing"); // never: joined at start
    return s.member;
  }

  /** One member by name. */
  member(name: string): Member | undefined {
    return this.table.get(name)?.member;
  }

  /** Status LTime of a member (diagnostics, tests). */
  memberStatusLTime(name: string): number | undefined {
    return this.table.get(name)?.statusLTime;
  }

  /** Number of members, any status (Go `NumNodes`). */
  numNodes(): number {
    return this.table.size;
  }

  /** The local tags. */
  localTags(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.tags);
  }

  /** The three Lamport clocks. */
  clocks(): { readonly member: number; readonly event: number; readonly query: number } {
    return {
      member: this.clock.time(),
      event: this.eventClock.time(),
      query: this.queryClock.time(),
    };
  }

  /** Minimum LTimes below which events/queries are dropped. */
  minTimes(): { readonly event: number; readonly query: number } {
    return { event: this.eventBuffer.minTime, query: this.queryBuffer.minTime };
  }

  /** Go `DefaultQueryTimeout`: gossip interval × mult × ceil(log10(live + 1)). */
  defaultQueryTimeoutMs(): number {
    return defaultQueryTimeoutMs(
      this.options.memberlist.gossipIntervalMs,
      this.swim.numMembers(),
      this.options.queryTimeoutMult,
    );
  }

  /** The local Vivaldi coordinate (`undefined` when disabled). */
  coordinate(): Coordinate | undefined {
    return this.vivaldi?.getCoordinate();
  }

  /** The last coordinate seen for a node (the local one included). */
  cachedCoordinate(name: string): Coordinate | undefined {
    return this.coordCache.get(name);
  }

  /** Whether a keyring is attached (Go `EncryptionEnabled`). */
  get encryptionEnabled(): boolean {
    return this.keyring !== undefined;
  }

  /** Depths of the three serf broadcast queues. */
  queueDepths(): { readonly intent: number; readonly event: number; readonly query: number } {
    return {
      intent: this.intentQueue.numQueued(),
      event: this.eventQueue.numQueued(),
      query: this.queryQueue.numQueued(),
    };
  }

  /** Operator statistics (Go `Stats`). */
  stats(): SerfStats {
    return {
      members: this.table.size,
      failed: this.table.failed.length,
      left: this.table.left.length,
      healthScore: this.swim.healthScore(),
      memberTime: this.clock.time(),
      eventTime: this.eventClock.time(),
      queryTime: this.queryClock.time(),
      intentQueue: this.intentQueue.numQueued(),
      eventQueue: this.eventQueue.numQueued(),
      queryQueue: this.queryQueue.numQueued(),
      encrypted: this.keyring !== undefined,
      coordinateResets: this.vivaldi?.stats.resets,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** Advances time, runs due serf timers; false once shut down. */
  private begin(now: number): boolean {
    if (this.stateValue === "shutdown") return false;
    if (now > this.nowMs) this.nowMs = now;
    for (;;) {
      const due = this.timers.popDue(this.nowMs);
      if (due === undefined) break;
      this.fire(due.payload);
      if (this.isShut()) return false;
    }
    this.flushOutbox();
    return true;
  }

  private isShut(): boolean {
    return this.stateValue === "shutdown";
  }

  /** Runs a SwimMachine call, then serf's follow-ups (member events, deferred work, sends). */
  private inSwim<T>(fn: () => T): T {
    this.swimDepth++;
    let result: T;
    try {
      result = fn();
    } finally {
      this.swimDepth--;
    }
    if (this.swimDepth === 0) this.afterSwimCall();
    return result;
  }

  private afterSwimCall(): void {
    this.syncSwimEvents();
    // Follow-ups may call into the swim machine again (and queue more follow-ups).
    while (this.afterSwim.length > 0) {
      const next = this.afterSwim.shift() as () => void;
      next();
      this.syncSwimEvents();
    }
    this.flushOutbox();
  }

  /** Runs `fn` now, or after the current SwimMachine call returns. */
  private defer(fn: () => void): void {
    if (this.swimDepth > 0) this.afterSwim.push(fn);
    else fn();
  }

  /**
   * Drains memberlist notifications. Member changes apply at once (Go's event delegate runs
   * synchronously inside memberlist), everything else after the SwimMachine call.
   */
  private syncSwimEvents(): void {
    if (!this.swimReady) return;
    for (;;) {
      const ev = this.swim.pollEvent();
      if (ev === undefined) break;
      switch (ev.type) {
        case "join":
          if (this.dropper(SerfMessageType.JOIN)) break; // Go drops join notifications with messageJoinType
          this.table.nodeJoined(ev.node);
          break;
        case "leave":
          this.table.nodeLeft(ev.node.name);
          break;
        case "update":
          this.table.nodeUpdated(ev.node);
          break;
        case "log": // at once, so memberlist's line precedes serf's for the same change (as in Go)
          this.emit({ type: "memberlist", event: ev });
          break;
        default:
          this.defer(() => this.onMemberlistEvent(ev));
      }
    }
  }

  private onMemberlistEvent(ev: MemberlistEvent): void {
    switch (ev.type) {
      case "conflict":
        this.queries.handleNodeConflict(ev.existing, ev.other);
        return;
      case "push-pull":
        this.lifecycle.onPushPullDone(ev.exchange, ev.join, ev.ok, ev.error, ev.peer);
        break;
      case "leave-complete":
        this.lifecycle.onLeaveComplete();
        break;
      case "update-complete":
        this.lifecycle.onUpdateComplete();
        break;
      default:
        break;
    }
    this.emit({ type: "memberlist", event: ev });
  }

  /** Sends a serf message as a memberlist user packet (deferred inside SwimMachine calls). */
  private sendTo(to: string, payload: Uint8Array, node: string | undefined): void {
    this.outbox.push({ to, payload, node });
    if (this.swimDepth === 0) this.flushOutbox();
  }

  private flushOutbox(): void {
    if (this.swimDepth > 0 || !this.swimReady) return;
    while (this.outbox.length > 0) {
      const o = this.outbox.shift() as {
        to: string;
        payload: Uint8Array;
        node: string | undefined;
      };
      if (o.node === undefined) this.swim.sendUserPacket(o.to, o.payload);
      else this.swim.sendUserPacket(o.to, o.payload, o.node);
    }
  }

  private emit(event: SerfEvent): void {
    this.events.push(event);
  }

  private requireRunning(): void {
    if (this.stateValue === "shutdown") {
      throw new SerfMachineError(SerfMachineErrorCode.STATE, "Serf is shut down");
    }
  }

  private encodeLocalTags(): Uint8Array {
    return encodeTags(this.tags, { protocolVersion: this.options.protocolVersion });
  }

  private makeContext(): SerfContext {
    return {
      options: this.options,
      name: this.name,
      addr: this.addr,
      port: this.port,
      random: this.random,
      keyring: this.keyring,
      log: this.log,
      metrics: this.metrics,
      table: this.table,
      queryClock: this.queryClock,
      queryBuffer: this.queryBuffer,
      queryQueue: this.queryQueue,
      now: () => this.nowMs,
      tags: () => this.tags,
      emit: (event) => this.emit(event),
      sendTo: (to, payload, node) => this.sendTo(to, payload, node),
      schedule: (at, timer) => this.timers.schedule(at, timer),
      numMembers: () => this.swim.numMembers(),
      defaultQueryTimeoutMs: () => this.defaultQueryTimeoutMs(),
      isShut: () => this.isShut(),
      shutdownWith: (reason, now) => this.shutdownWith(reason, now),
      snapshotQueryClock: (lTime) => this.intake.snapshotQueryClock(lTime),
      clock: this.clock,
      state: () => this.stateValue,
      setState: (state) => {
        this.stateValue = state;
      },
      nextOp: () => this.nextOp++,
      swimJoin: (addresses, now) => this.inSwim(() => this.swim.join(addresses, now)),
      swimLeave: (now) => this.inSwim(() => this.swim.leave(now)),
      isLeaveComplete: () => this.swim.isLeaveComplete(),
      isUpdateComplete: () => this.swim.isUpdateComplete(),
      defer: (fn) => this.defer(fn),
      queueIntent: (msg, finished) => this.delegate.queueIntent(msg, finished),
      handleLeaveIntent: (msg) => this.delegate.handleLeaveIntent(msg),
      broadcastJoin: (lTime) => this.delegate.broadcastJoin(lTime),
      snapshotLeave: () => this.intake.snapshotLeave(),
      cancel: (timer) => this.timers.cancel(timer),
      dropper: (type) => this.dropper(type),
      merge: this.merge,
      vivaldi: this.vivaldi,
      coordCache: this.coordCache,
      eventClock: this.eventClock,
      eventBuffer: this.eventBuffer,
      intentQueue: this.intentQueue,
      eventQueue: this.eventQueue,
      syncSwimEvents: () => this.syncSwimEvents(),
      encodeLocalTags: () => this.encodeLocalTags(),
      handleUserEvent: (msg) => this.intake.handleUserEvent(msg),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Timers

  private fire(t: SerfTimer): void {
    const o = this.options;
    const now = this.nowMs;
    switch (t.kind) {
      case "reap":
        this.timers.schedule(now + o.reapIntervalMs, t);
        this.lifecycle.reap(now);
        return;
      case "reconnect":
        this.timers.schedule(now + o.reconnectIntervalMs, t);
        this.lifecycle.reconnect();
        return;
      case "queue-check":
        this.timers.schedule(now + o.queueCheckIntervalMs, t);
        this.delegate.checkQueues();
        return;
      case "snapshot-clock":
        this.timers.schedule(now + SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS, t);
        this.intake.snapshotClock();
        return;
      case "query-deadline":
        this.queries.onDeadline(t.lTime, t.id);
        return;
      case "respond-expire":
        this.queries.expire(t.handle);
        return;
      case "leave-timeout":
        this.lifecycle.onLeaveTimeout(t.phase);
        return;
      case "leave-propagated":
        this.lifecycle.onLeavePropagated();
        return;
      case "prune":
        this.lifecycle.prune(t.name);
        return;
      case "force-leave-timeout":
        this.lifecycle.onForceLeaveTimeout(t.op);
        return;
      case "tags-timeout":
        this.lifecycle.onTagsTimeout(t.op);
        return;
    }
  }

  /** Go `KeyManager` operations: a key query to every member. */
  private keyOperation(
    operation: KeyOperation,
    keyBase64: string,
    opts: KeyOperationOptions,
    now: number,
  ): number {
    this.requireRunning();
    const rawKey = decodeBase64Std(keyBase64);
    const payload = encodeKeyRequestPayload(rawKey);
    this.begin(now);
    const op = this.nextOp++;
    this.queries.startKeyQuery(op, operation, payload, opts.relayFactor ?? 0);
    this.flushOutbox();
    return op;
  }

  private shutdownWith(reason: "requested" | "name-conflict", now: number | undefined): void {
    if (this.stateValue === "shutdown") return;
    if (now !== undefined && now > this.nowMs) this.nowMs = now;
    this.intake.snapshotClock();
    this.stateValue = "shutdown";
    this.swim.shutdown();
    this.timers.clear();
    this.emit({ type: "shutdown", reason });
  }
}
