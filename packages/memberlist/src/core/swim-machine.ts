/**
 * # SwimMachine: the sans-I/O SWIM + Lifeguard core of memberlist 0.2.2
 *
 * A synchronous state machine. It owns the member table, the probe loop, suspicion timers,
 * the gossip broadcast queue and push/pull scheduling, and never touches sockets, clocks or
 * `Math.random`: the driver feeds it inputs with the current time and drains its outputs.
 *
 * ```ts
 * const m = new SwimMachine(resolveOptions({ profile: "lan" }), self, seededRandom(seed), now, delegates);
 *
 * // inputs (times are ms on one monotonic clock with an arbitrary origin; addresses "ip:port")
 * m.handlePacket(from, messages, now);            // decoded parts of one UDP datagram
 * const reply = m.handleStreamRequest(from, msg, now); // inbound stream: write `reply` if any
 * m.handleStreamReply(exchange, replyOrFailure, now);  // outcome of a stream we were asked for
 * m.handleTimeout(now);                            // when `pollTimeout()` has passed
 * const ids = m.join(["10.0.0.1:7946"], now);       // push/pulls (Join = true), one per seed
 * m.updateMeta(meta, now); m.leave(now); m.shutdown();
 * m.sendUserPacket(to, payload, nodeName?);        // serf's best-effort user messages
 *
 * // outputs: drain all three after EVERY call above (including the constructor)
 * let t; while ((t = m.pollTransmit())) send(t);  // PacketTransmit | StreamTransmit
 * let e; while ((e = m.pollEvent())) deliver(e);  // MemberlistEvent
 * const at = m.pollTimeout();                      // arm ONE timer for `at` (absolute ms)
 *
 * // queries (cheap, synchronous)
 * m.members(); m.allNodes(); m.numMembers(); m.estNumNodes(); m.localNode(); m.getNode(name);
 * m.nodeState(name); m.nodeIncarnation(name); m.healthScore(); m.isLeaveComplete();
 * m.isUpdateComplete(); m.isShutdown; m.broadcasts  // memberlist's own TransmitLimitedQueue
 * ```
 *
 * Events (`MemberlistEvent`, see types.ts): `join` / `leave` (dead or left, see `node.state`) /
 * `update` — Go's EventDelegate, the local node's own join included — plus `suspect`,
 * `conflict`, `refute`, `health`, `push-pull` (outcome of every exchange, joins included),
 * `leave-complete`, `update-complete`, `rejected` (admission filters, bad versions), `dropped`
 * (ignored input) and `probe-fallback` (only the TCP ping got through).
 *
 * Contract:
 * - **Packets.** `messages` are the decoded parts of one datagram after the driver opened it
 *   (decrypt → CRC → decompress → split compounds, recursively). Order is preserved. The core
 *   treats every message object (and its byte arrays) as immutable and may keep references.
 * - **Packet transmits.** `messages` holds encoded parts (`typed` the same parts as objects):
 *   one part → send it as is, several → one compound (never more than 255 parts; larger
 *   batches come as several transmits). Then compress (if enabled and shorter), prepend the
 *   hasCrc header when `crc`, encrypt, send to `to`.
 * - **Stream transmits.** Dial `to`, write `message` (compressed/encrypted as configured),
 *   read one reply, and report it with `handleStreamReply(exchange, reply)`; report dial,
 *   read, decode errors and timeouts as `{ error }`. After `timeoutMs` the core gives up by
 *   itself and ignores a late report. Inbound streams go to `handleStreamRequest`, whose return
 *   value is the reply to write (undefined: close without reply). The 127-concurrent push/pull
 *   limit and `TCPTimeout` on accepted streams are the driver's.
 * - **Time** never goes backwards inside the machine (a smaller `now` is treated as the last
 *   one). Deadlines that are already due are run before any input is handled, so a driver that
 *   wakes late stays correct; promptness only affects quality.
 * - **Delegates** are called synchronously and must not call back into the machine.
 * - **Determinism.** Same options, identity, random seed and input sequence give the same
 *   outputs, bit for bit.
 */

import type {
  AliveMessage,
  PacketMessage,
  PingMessage,
  PushPullMessage,
  StreamMessage,
} from "@serf-ts/wire";
import { encodeMessage } from "@serf-ts/wire/codec";
import { buildVsn, type ResolvedMemberlistOptions } from "../options.ts";
import { Awareness } from "./awareness.ts";
import type { Broadcast } from "./broadcast-queue.ts";
import { TransmitLimitedQueue } from "./broadcast-queue.ts";
import type { CoreContext, MemberBroadcastMessage, TimerPayload } from "./context.ts";
import { type Deadline, DeadlineQueue } from "./deadlines.ts";
import { Fifo } from "./fifo.ts";
import {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_OVERHEAD,
  ENCRYPT_OVERHEAD,
  gossipTargets,
  MAX_COMPOUND_PARTS,
  USER_MSG_OVERHEAD,
} from "./gossip.ts";
import { pushPullFailedLog, unexpectedStreamPingLog } from "./log-records.ts";
import { kRandomNodes, pushPullScaleMs } from "./math.ts";
import { MemberTable, nodeInfo } from "./members.ts";
import { type CoreMetrics, NO_CORE_METRICS } from "./metrics-sink.ts";
import { Prober } from "./probe.ts";
import { localPushPull, mergeRemoteState } from "./push-pull.ts";
import { type Random, randomBelow } from "./random.ts";
import { SwimMetrics } from "./swim-metrics.ts";
import type {
  CoreDelegates,
  ExchangeOutcome,
  LocalNodeIdentity,
  MemberlistEvent,
  NodeInfo,
  PacketTransmit,
  StreamFailure,
  StreamReply,
  Transmit,
} from "./types.ts";

export type {
  CoreDelegates,
  ExchangeOutcome,
  LocalNodeIdentity,
  MemberlistEvent,
  NodeInfo,
  PacketTransmit,
  RefuteReason,
  StreamFailure,
  StreamReply,
  StreamRequest,
  StreamTransmit,
  Transmit,
} from "./types.ts";

/** Maximum size of node metadata (Go `MetaMaxSize`). */
export const META_MAX_SIZE = 512;

const EMPTY = new Uint8Array(0);

/**
 * Encodings of gossip messages by object identity. Messages are immutable, and a received
 * alive/suspect/dead is re-broadcast as the same object, so nodes sharing message objects (the
 * simulator) encode each one once. Entries die with their message.
 */
const encodedBroadcasts = new WeakMap<MemberBroadcastMessage, Uint8Array>();

function encodeBroadcast(msg: MemberBroadcastMessage): Uint8Array {
  let bytes = encodedBroadcasts.get(msg);
  if (bytes === undefined) {
    bytes = encodeMessage(msg);
    encodedBroadcasts.set(msg, bytes);
  }
  return bytes;
}

/** A memberlist broadcast in the queue: encoded bytes plus the typed message. */
interface MemberBroadcast extends Broadcast {
  readonly name: string;
  readonly typed: MemberBroadcastMessage;
}

interface PendingExchange {
  readonly kind: "push-pull" | "ping";
  readonly timer: Deadline<TimerPayload>;
  readonly onReply: (reply: StreamReply | StreamFailure) => {
    ok: boolean;
    error: string | undefined;
  };
}

function userPart(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = 8; // MessageType.USER
  out.set(payload, 1);
  return out;
}

export class SwimMachine {
  /** The resolved options this machine runs with. */
  readonly options: ResolvedMemberlistOptions;
  /** memberlist's own broadcast queue (alive/suspect/dead), for diagnostics and tests. */
  readonly broadcasts: TransmitLimitedQueue<MemberBroadcast>;
  private readonly selfName: string;
  private readonly random: Random;
  private readonly delegates: CoreDelegates;
  private readonly awareness: Awareness;
  private readonly metrics: SwimMetrics;
  private readonly timers = new DeadlineQueue<TimerPayload>();
  private readonly transmits = new Fifo<Transmit>();
  private readonly events = new Fifo<MemberlistEvent>();
  private readonly exchanges = new Map<number, PendingExchange>();
  private readonly table: MemberTable;
  private readonly prober: Prober;
  private readonly ctx: CoreContext;
  private nowMs: number;
  /** When the gossip ticker fell asleep (its phase), while it sleeps; see `wakeGossip`. */
  private gossipSleptAt: number | undefined;
  private seqNo = 0;
  private nextExchange = 1;
  private shut = false;
  private leaveDone = false;
  private pendingUpdate: number | undefined;
  /** Byte budget of a gossip packet (Go reserves the GCM overhead whenever a keyring is set). */
  private readonly gossipBudget: number;
  /** Byte budget of a piggy-backed packet (Go: only when also encrypting outgoing traffic). */
  private readonly piggyBudget: number;

  /**
   * Creates the local node (alive, incarnation 1), queues its alive broadcast, emits its own
   * `join` event and arms the probe, gossip and push/pull timers.
   */
  constructor(
    options: ResolvedMemberlistOptions,
    self: LocalNodeIdentity,
    random: Random,
    now: number,
    delegates: CoreDelegates = {},
    metrics: CoreMetrics = NO_CORE_METRICS,
  ) {
    this.options = options;
    this.metrics = new SwimMetrics(metrics);
    this.selfName = self.name;
    this.random = random;
    this.delegates = delegates;
    this.nowMs = now;
    this.awareness = new Awareness(options.awarenessMaxMultiplier);
    const enc = options.encryptionEnabled;
    this.gossipBudget = options.udpBufferSize - (enc ? ENCRYPT_OVERHEAD : 0);
    this.piggyBudget =
      options.udpBufferSize - (enc && options.gossipVerifyOutgoing ? ENCRYPT_OVERHEAD : 0);
    this.ctx = this.makeContext();
    this.table = new MemberTable(this.ctx);
    this.broadcasts = new TransmitLimitedQueue<MemberBroadcast>({
      numNodes: () => this.table.size,
      retransmitMult: options.retransmitMult,
      onQueued: () => this.wakeGossip(this.nowMs),
    });
    this.prober = new Prober(this.ctx, this.table, self.addr, self.port);

    const meta = delegates.nodeMeta?.(META_MAX_SIZE) ?? self.meta ?? EMPTY;
    checkMeta(meta);
    this.table.aliveNode(
      {
        type: "alive",
        incarnation: this.table.nextIncarnation(),
        node: self.name,
        addr: self.addr,
        port: self.port,
        meta,
        vsn: buildVsn(options),
      },
      { bootstrap: true },
    );

    // Go's tickers start at creation; the stagger Go adds does not shift a ticker's phase.
    if (options.probeIntervalMs > 0) {
      this.timers.schedule(now + options.probeIntervalMs, { kind: "probe-tick" });
    }
    if (options.gossipIntervalMs > 0 && options.gossipNodes > 0) {
      this.timers.schedule(now + options.gossipIntervalMs, { kind: "gossip-tick" });
    }
    if (options.pushPullIntervalMs > 0) {
      const stagger = randomBelow(random, options.pushPullIntervalMs);
      this.timers.schedule(now + stagger, { kind: "push-pull-arm" });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Inputs

  /** Handles the decoded messages of one datagram received from `from` ("ip:port"). */
  handlePacket(from: string, messages: readonly PacketMessage[], now: number): void {
    if (!this.enter(now)) return;
    for (const msg of messages) this.handleMessage(from, msg);
  }

  /**
   * Handles an inbound stream's request (push/pull, TCP ping, reliable user message).
   * @returns the reply to write, or `undefined` to close without replying.
   */
  handleStreamRequest(from: string, msg: StreamMessage, now: number): StreamMessage | undefined {
    if (!this.enter(now)) return undefined;
    switch (msg.type) {
      case "ping": {
        if (msg.node !== "" && msg.node !== this.selfName) {
          this.emit(unexpectedStreamPingLog(msg.node, from));
          this.emit({ type: "dropped", from, reason: `ping for unexpected node ${msg.node}` });
          return undefined;
        }
        return { type: "ack", seqNo: msg.seqNo, payload: null };
      }
      case "push-pull": {
        // Go replies with its state first, then merges the request.
        const reply = localPushPull(this.ctx, this.table, msg.join);
        mergeRemoteState(this.ctx, this.table, msg, msg.join);
        return reply;
      }
      case "user":
        this.delegates.notifyUserMessage?.(msg.payload);
        return undefined;
      default:
        this.emit({ type: "dropped", from, reason: `unexpected ${msg.type} stream request` });
        return undefined;
    }
  }

  /**
   * Reports the outcome of a stream transmit: the reply message or a failure.
   * @returns how the core judged it, or `undefined` for an unknown or expired exchange.
   */
  handleStreamReply(
    exchange: number,
    reply: StreamReply | StreamFailure,
    now: number,
  ): ExchangeOutcome | undefined {
    if (!this.enter(now)) return undefined;
    const pending = this.exchanges.get(exchange);
    if (pending === undefined) return undefined;
    this.exchanges.delete(exchange);
    this.timers.cancel(pending.timer);
    const { ok, error } = pending.onReply(reply);
    return { exchange, kind: pending.kind, ok, error };
  }

  /** Runs every deadline that is due at `now`. */
  handleTimeout(now: number): void {
    this.enter(now);
  }

  /**
   * The direct ping of probe `seqNo` (a transmit's `pingSeqNo`) leaves now: its round trip is
   * timed from here. Runs no deadlines (call it while draining transmits).
   */
  handlePingSent(seqNo: number, now: number): void {
    if (this.shut) return;
    this.prober.pingSent(seqNo, now);
  }

  /**
   * Starts a join: one push/pull (Join = true) per seed address ("ip:port"; resolving names is
   * the driver's job).
   * @returns the exchange ids; each ends with a `push-pull` event (and the
   *   `handleStreamReply` result). The join succeeded if at least one of them is ok.
   */
  join(seeds: readonly string[], now: number): number[] {
    if (!this.enter(now)) return [];
    return seeds.map((seed) => this.startPushPull(seed, undefined, true));
  }

  /**
   * Leaves gracefully: marks the local node left and broadcasts `dead{From: self}`. Keep the
   * machine running until `isLeaveComplete()` (or a `leave-complete` event, or your timeout),
   * then `shutdown()`.
   */
  leave(now: number): void {
    if (!this.enter(now) || this.table.left) return;
    this.table.left = true;
    const me = this.table.self();
    const name = this.selfName;
    this.table.deadNode({ type: "dead", incarnation: me.incarnation, node: name, from: name }, () =>
      this.finishLeave(),
    );
    if (!this.table.anyAlive()) this.finishLeave();
  }

  /** True once the leave broadcast is out (or nobody else is alive to hear it). */
  isLeaveComplete(): boolean {
    return this.table.left && (this.leaveDone || !this.table.anyAlive());
  }

  /**
   * Changes the local metadata (Go `UpdateNode`): a new incarnation and an alive broadcast.
   * Wait for `isUpdateComplete()` / `update-complete` if the caller must know it went out.
   * @throws RangeError if `meta` exceeds 512 bytes.
   */
  updateMeta(meta: Uint8Array, now: number): void {
    checkMeta(meta);
    if (!this.enter(now)) return;
    const me = this.table.self();
    const incarnation = this.table.nextIncarnation();
    this.pendingUpdate = incarnation;
    this.table.aliveNode(
      {
        type: "alive",
        incarnation,
        node: this.selfName,
        addr: me.addr,
        port: me.port,
        meta,
        vsn: buildVsn(this.options),
      },
      {
        bootstrap: true,
        finished: () => {
          if (this.pendingUpdate === incarnation) this.pendingUpdate = undefined;
          this.emit({ type: "update-complete", incarnation });
        },
      },
    );
  }

  /** True when the last `updateMeta` broadcast is out (or nobody else is alive). */
  isUpdateComplete(): boolean {
    return this.pendingUpdate === undefined || !this.table.anyAlive();
  }

  /**
   * Sends a user message (type 8) by UDP without piggy-backing (Go `SendToAddress` /
   * `SendBestEffort`). With a known `node` whose PMax ≥ 5 the packet gets a CRC, as in Go.
   */
  sendUserPacket(to: string, payload: Uint8Array, node?: string): void {
    if (this.shut) return;
    const known = node === undefined ? undefined : this.table.get(node);
    const crc = known !== undefined && (known.vsn[1] as number) >= 5;
    this.ctx.sendRaw(to, node, [{ type: "user", payload }], crc);
  }

  /**
   * A broadcast was queued (memberlist's own queue calls this; a delegate with `hasBroadcasts`
   * calls it after queueing): a sleeping gossip ticker is re-armed for its next tick on its
   * original phase, so gossip leaves exactly when an always-running ticker would send it.
   */
  wakeGossip(now: number): void {
    const slept = this.gossipSleptAt;
    if (slept === undefined || this.shut) return;
    this.gossipSleptAt = undefined;
    const interval = this.options.gossipIntervalMs;
    const t = Math.max(now, this.nowMs);
    this.timers.schedule(slept + interval * (Math.floor((t - slept) / interval) + 1), {
      kind: "gossip-tick",
    });
  }

  /** True while a gossip tick may have something to send. */
  private hasGossip(): boolean {
    if (this.broadcasts.numQueued() > 0) return true;
    const d = this.delegates;
    if (d.getBroadcasts === undefined) return false;
    return d.hasBroadcasts === undefined || d.hasBroadcasts();
  }

  /** Stops all timers; later inputs are ignored. Queued transmits/events stay drainable. */
  shutdown(): void {
    this.shut = true;
    this.timers.clear();
    this.prober.clear();
    this.exchanges.clear();
  }

  // ---------------------------------------------------------------------------------------
  // Outputs

  /** Next datagram or stream exchange to perform. */
  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  /** Next notification. */
  pollEvent(): MemberlistEvent | undefined {
    return this.events.shift();
  }

  /** Absolute time (ms) at which `handleTimeout` must be called next, if any. */
  pollTimeout(): number | undefined {
    if (this.shut) return undefined;
    return this.timers.peek();
  }

  // ---------------------------------------------------------------------------------------
  // Queries

  /** Members that are alive or suspect, the local node included (Go `Members`). */
  members(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const r of this.table.nodes) if (r.state <= 1) out.push(nodeInfo(r));
    return out;
  }

  /** Every entry of the local list, dead and left ones included. */
  allNodes(): NodeInfo[] {
    return this.table.nodes.map(nodeInfo);
  }

  /** Number of alive or suspect members, the local node included (Go `NumMembers`). */
  numMembers(): number {
    return this.table.numLive;
  }

  /** Number of entries in the local list, any state (Go `estNumNodes`). */
  estNumNodes(): number {
    return this.table.size;
  }

  /** The local node. */
  localNode(): NodeInfo {
    return nodeInfo(this.table.self());
  }

  /** One entry of the local list by name. */
  getNode(name: string): NodeInfo | undefined {
    const r = this.table.get(name);
    return r === undefined ? undefined : nodeInfo(r);
  }

  /** State code of one node (cheap: no snapshot), `undefined` if unknown. */
  nodeState(name: string): number | undefined {
    return this.table.get(name)?.state;
  }

  /** Incarnation of one node as known locally, `undefined` if unknown. */
  nodeIncarnation(name: string): number | undefined {
    return this.table.get(name)?.incarnation;
  }

  /** Lifeguard health score (0 = healthy, up to `awarenessMaxMultiplier − 1`). */
  healthScore(): number {
    return this.awareness.score;
  }

  /** True after `shutdown()`. */
  get isShutdown(): boolean {
    return this.shut;
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  /** Advances time and runs due deadlines; false after shutdown. */
  private enter(now: number): boolean {
    if (this.shut) return false;
    if (now > this.nowMs) this.nowMs = now;
    for (;;) {
      const due = this.timers.popDue(this.nowMs);
      if (due === undefined) break;
      this.fire(due.payload, due.at);
      if (this.shut) return false;
    }
    return true;
  }

  private fire(payload: TimerPayload, at: number): void {
    const o = this.options;
    switch (payload.kind) {
      case "probe-tick":
        this.timers.schedule(at + o.probeIntervalMs, payload);
        this.prober.tick();
        break;
      case "gossip-tick":
        // Nothing left to gossip, or nobody to gossip to: the ticker sleeps until a broadcast
        // is queued (wakeGossip). A node that becomes a gossip target always comes with one
        // (alive, suspect or dead), so sleeping without targets loses nothing either.
        if (this.metrics.timeGossip(() => this.gossip()) > 0 && this.hasGossip()) {
          this.timers.schedule(at + o.gossipIntervalMs, payload);
        } else this.gossipSleptAt = at;
        break;
      case "push-pull-arm":
        this.armPushPull();
        break;
      case "push-pull-tick":
        this.periodicPushPull();
        break;
      case "probe-timeout":
        this.prober.directTimeout(payload.seqNo);
        break;
      case "probe-deadline":
        this.prober.deadlineReached(payload.seqNo);
        break;
      case "relay-timeout":
        this.prober.relayTimeout(payload.seqNo);
        break;
      case "suspicion":
        this.table.suspicionExpired(payload.record, payload.suspicion);
        break;
      case "exchange-timeout": {
        const pending = this.exchanges.get(payload.exchange);
        if (pending === undefined) break;
        this.exchanges.delete(payload.exchange);
        pending.onReply({ error: "timeout" });
        break;
      }
    }
  }

  private handleMessage(from: string, msg: PacketMessage): void {
    switch (msg.type) {
      case "ping":
        this.prober.handlePing(from, msg);
        break;
      case "indirect-ping":
        this.prober.handleIndirectPing(from, msg);
        break;
      case "ack":
        this.prober.handleAck(msg);
        break;
      case "nack":
        this.prober.handleNack(msg);
        break;
      case "suspect":
        this.table.suspectNode(msg);
        break;
      case "alive": {
        // Protocol < 2 peers leave the port out: Go substitutes its own bind port.
        const live: AliveMessage =
          msg.port === 0 ? { ...msg, port: this.options.bindPort } : (msg as AliveMessage);
        this.table.aliveNode(live);
        break;
      }
      case "dead":
        this.table.deadNode(msg);
        break;
      case "user":
        this.delegates.notifyUserMessage?.(msg.payload);
        break;
      default:
        this.emit({
          type: "dropped",
          from,
          reason: `unexpected message type ${(msg as { type: string }).type}`,
        });
    }
  }

  private emit(event: MemberlistEvent): void {
    this.events.push(event);
  }

  private finishLeave(): void {
    if (this.leaveDone) return;
    this.leaveDone = true;
    this.emit({ type: "leave-complete" });
  }

  /** Gossip round (Go `gossip`). */
  /** Go `gossip`; returns how many nodes were picked to gossip to. */
  private gossip(): number {
    const o = this.options;
    const targets = gossipTargets(
      this.random,
      o.gossipNodes,
      this.table.nodes,
      this.selfName,
      this.nowMs,
      o.gossipToTheDeadTimeMs,
    );
    const avail = this.gossipBudget - COMPOUND_HEADER_OVERHEAD;
    for (const node of targets) {
      const parts: Uint8Array[] = [];
      const typed: PacketMessage[] = [];
      this.collectBroadcasts(COMPOUND_OVERHEAD, avail, MAX_COMPOUND_PARTS, parts, typed);
      if (parts.length === 0) break;
      this.pushPackets(node.address, node.name, parts, typed, (node.vsn[1] as number) >= 5);
    }
    return targets.length;
  }

  /** Go `getBroadcasts`: memberlist's queue first, then the delegate's (framed as user). */
  private collectBroadcasts(
    overhead: number,
    limit: number,
    maxCount: number,
    parts: Uint8Array[],
    typed: PacketMessage[],
  ): void {
    let used = 0;
    const own = this.broadcasts.getBroadcastItems(overhead, limit, maxCount);
    for (const b of own) {
      parts.push(b.message);
      typed.push(b.typed);
      used += b.message.length + overhead;
    }
    const delegate = this.delegates.getBroadcasts;
    if (delegate === undefined) return;
    const avail = limit - used;
    if (avail <= overhead + USER_MSG_OVERHEAD) return;
    for (const payload of delegate.call(this.delegates, overhead + USER_MSG_OVERHEAD, avail)) {
      parts.push(userPart(payload));
      typed.push({ type: "user", payload });
    }
  }

  /** Pushes packet transmits, splitting at 255 parts per compound. */
  private pushPackets(
    to: string,
    node: string | undefined,
    parts: Uint8Array[],
    typed: PacketMessage[],
    crc: boolean,
    pingSeqNo?: number,
  ): void {
    if (parts.length <= MAX_COMPOUND_PARTS) {
      this.transmits.push(
        pingSeqNo === undefined
          ? { kind: "packet", to, node, messages: parts, typed, crc }
          : { kind: "packet", to, node, messages: parts, typed, crc, pingSeqNo },
      );
      return;
    }
    for (let i = 0; i < parts.length; i += MAX_COMPOUND_PARTS) {
      const t: PacketTransmit = {
        kind: "packet",
        to,
        node,
        messages: parts.slice(i, i + MAX_COMPOUND_PARTS),
        typed: typed.slice(i, i + MAX_COMPOUND_PARTS),
        crc,
      };
      this.transmits.push(t);
    }
  }

  /** First periodic push/pull after the stagger, then one per scaled interval. */
  private armPushPull(): void {
    const interval = pushPullScaleMs(this.options.pushPullIntervalMs, this.table.size);
    this.timers.schedule(this.nowMs + interval, { kind: "push-pull-tick" });
  }

  /** Go `pushPull`: state exchange with one random alive node. */
  private periodicPushPull(): void {
    const self = this.selfName;
    const [node] = kRandomNodes(this.random, 1, this.table.nodes, (n) => {
      return n.name === self || n.state !== 0;
    });
    if (node === undefined) {
      this.armPushPull();
      return;
    }
    this.startPushPull(node.address, node.name, false);
  }

  private startPushPull(to: string, node: string | undefined, join: boolean): number {
    const message = localPushPull(this.ctx, this.table, join);
    const startedAt = this.nowMs;
    let exchange = 0;
    exchange = this.ctx.openStream(to, node, message, this.options.tcpTimeoutMs, (reply) => {
      this.metrics.pushPullNode(this.nowMs - startedAt);
      let error: string | undefined;
      if (!("type" in reply)) error = reply.error;
      else if (reply.type === "error") error = `remote error: ${reply.error}`;
      else if (reply.type !== "push-pull") error = `unexpected ${reply.type} reply to push/pull`;
      else error = mergeRemoteState(this.ctx, this.table, reply, join);
      // Go logs failed periodic exchanges; a failed join is reported by the caller.
      if (!join && error !== undefined) this.emit(pushPullFailedLog(node ?? to, error));
      this.emit({ type: "push-pull", exchange, peer: to, join, ok: error === undefined, error });
      if (!join) this.armPushPull();
      return { ok: error === undefined, error };
    });
    return exchange;
  }

  private makeContext(): CoreContext {
    // biome-ignore lint/complexity/noUselessThisAlias: the context closes over the machine.
    const m = this;
    const encode = (msg: PacketMessage): Uint8Array => encodeMessage(msg);
    return {
      options: m.options,
      random: m.random,
      delegates: m.delegates,
      awareness: m.awareness,
      selfName: m.selfName,
      metrics: m.metrics,
      now: () => m.nowMs,
      emit: (event) => m.emit(event),
      applyAwarenessDelta: (delta) => {
        if (!m.awareness.applyDelta(delta)) return;
        m.metrics.healthScore(m.awareness.score);
        m.emit({ type: "health", score: m.awareness.score });
      },
      nextSeqNo: () => {
        m.seqNo = (m.seqNo + 1) >>> 0;
        return m.seqNo;
      },
      broadcast: (msg, finished) => {
        const message = encodeBroadcast(msg);
        const b: MemberBroadcast =
          finished === undefined
            ? { message, name: msg.node, typed: msg }
            : { message, name: msg.node, typed: msg, finished };
        m.broadcasts.queueBroadcast(b);
      },
      sendMessage: (to, node, msg, pingSeqNo) => {
        const bytes = encode(msg);
        const parts: Uint8Array[] = [bytes];
        const typed: PacketMessage[] = [msg];
        const avail = m.piggyBudget - bytes.length - COMPOUND_HEADER_OVERHEAD;
        m.collectBroadcasts(COMPOUND_OVERHEAD, avail, MAX_COMPOUND_PARTS - 1, parts, typed);
        m.pushPackets(to, node, parts, typed, false, pingSeqNo);
      },
      sendRaw: (to, node, msgs, crc, pingSeqNo) => {
        m.pushPackets(to, node, msgs.map(encode), [...msgs], crc, pingSeqNo);
      },
      openStream: (to, node, message, timeoutMs, onReply) => {
        const exchange = m.nextExchange++;
        const timer = m.timers.schedule(m.nowMs + timeoutMs, {
          kind: "exchange-timeout",
          exchange,
        });
        const kind = message.type === "ping" ? "ping" : "push-pull";
        m.exchanges.set(exchange, { kind, timer, onReply });
        m.transmits.push({
          kind: "stream",
          to,
          node,
          exchange,
          message: message as PingMessage | PushPullMessage,
          timeoutMs,
        });
        return exchange;
      },
      schedule: (at, payload) => m.timers.schedule(at, payload),
      cancel: (deadline) => m.timers.cancel(deadline),
    };
  }
}

function checkMeta(meta: Uint8Array): void {
  if (meta.length > META_MAX_SIZE) {
    throw new RangeError(`node meta is ${meta.length} bytes, more than the ${META_MAX_SIZE} limit`);
  }
}
