/**
 * Deterministic discrete-event simulation of a memberlist cluster (ARCHITECTURE §3.4).
 *
 * - One clock and one event heap ordered by `(at, seq)`; `seq` is global, so events due at the
 *   same instant run in the order they were scheduled. Nothing awaits a promise.
 * - Per node: a `SwimMachine` and its cached next deadline. After anything touches a node the
 *   harness pumps it: transmits go to the network, events to the recorder, and a new deadline
 *   entry is pushed when `pollTimeout()` changed (stale entries are skipped when popped).
 * - The packet plane applies the seeded {@link FaultPlan} (loss, one-way loss, duplication,
 *   latency + jitter, partitions; crashed nodes are black holes). The stream plane is
 *   cut-or-deliver: a partition makes the exchange time out, a crashed peer refuses after one
 *   round trip, otherwise request and reply each take one latency.
 * - Messages travel typed by default (`codec: "typed"`: the `typed` parts of each transmit are
 *   handed to the receiver, no codec); `codec: "bytes"` decodes the encoded parts with
 *   `@serf-ts/wire`'s `decodeMessage` instead (and round-trips stream messages), covering the
 *   message codec (framing, compression, CRC and encryption belong to the driver's pipeline).
 * - One seed derives every node's `Random` (seed, node index, restart generation) and the fault
 *   RNG. Same seed + same script = identical transition log.
 */

import {
  decodeMessage,
  encodeMessage,
  NodeStateCode,
  type PacketMessage,
  type PushNodeState,
  type StreamMessage,
} from "@serf-ts/wire";
import { formatAddress } from "../../core/address.ts";
import { DeadlineQueue } from "../../core/deadlines.ts";
import { deriveSeed, seededRandom } from "../../core/random.ts";
import { SwimMachine } from "../../core/swim-machine.ts";
import type {
  CoreDelegates,
  MemberlistEvent,
  StreamFailure,
  StreamTransmit,
  Transmit,
} from "../../core/types.ts";
import {
  type MemberlistOptions,
  type ResolvedMemberlistOptions,
  resolveOptions,
} from "../../options.ts";
import { FaultPlan, type NetworkConfig } from "./faults.ts";

/** How messages travel between simulated nodes. */
export type SimCodec = "typed" | "bytes";

export interface SimClusterOptions {
  /** Root seed of every random choice in the run. */
  readonly seed: number;
  /** memberlist options of every node (resolved with `resolveOptions`). @default LAN */
  readonly options?: MemberlistOptions | undefined;
  /** Network model. */
  readonly network?: Partial<NetworkConfig> | undefined;
  /** @default "typed" */
  readonly codec?: SimCodec | undefined;
  /** Keep the transition log (memory grows with N² on joins). @default true */
  readonly recordTransitions?: boolean | undefined;
  /** Check invariants on every event (costs a map entry per observer/subject). @default true */
  readonly checkInvariants?: boolean | undefined;
  /** Delegates for a node (called at every (re)start). */
  readonly delegates?: ((name: string) => CoreDelegates) | undefined;
}

/** A state change one node observed about another (or itself). */
export interface Transition {
  readonly at: number;
  readonly observer: string;
  readonly subject: string;
  readonly kind: "join" | "suspect" | "dead" | "left" | "update" | "refute";
  readonly incarnation: number;
}

/** Listener for every event any node emits. */
export type SimEventListener = (node: SimNode, event: MemberlistEvent, at: number) => void;

type SimEvent =
  | {
      readonly kind: "packet";
      readonly to: number;
      readonly from: string;
      readonly messages: readonly PacketMessage[];
    }
  | {
      readonly kind: "stream-request";
      readonly to: number;
      readonly from: number;
      readonly fromGen: number;
      readonly exchange: number;
      readonly message: StreamMessage;
    }
  | {
      readonly kind: "stream-reply";
      readonly to: number;
      readonly gen: number;
      readonly exchange: number;
      readonly reply: StreamMessage | StreamFailure;
    }
  | { readonly kind: "deadline"; readonly node: number; readonly gen: number; readonly at: number }
  | { readonly kind: "action"; readonly run: () => void };

/** One simulated node (its machine is replaced on restart). */
export class SimNode {
  readonly index: number;
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly address: string;
  machine: SwimMachine | undefined;
  /** Incremented on every crash/restart; stale in-flight replies are dropped. */
  generation = 0;
  /** Deadline currently in the heap for this node. */
  deadline: number | undefined;
  /** Highest own incarnation seen in this generation (invariant). */
  selfIncarnation = 0;

  constructor(index: number, name: string, port: number) {
    this.index = index;
    this.name = name;
    this.port = port;
    this.addr = Uint8Array.of(10, (index >> 16) & 255, (index >> 8) & 255, index & 255);
    this.address = formatAddress(this.addr, port);
  }

  /** Running (not crashed, not shut down). */
  get up(): boolean {
    return this.machine !== undefined && !this.machine.isShutdown;
  }
}

/** Counters of one run. */
export interface SimStats {
  steps: number;
  packetsSent: number;
  packetsDropped: number;
  packetBytes: number;
  messagesDelivered: number;
  streamsOpened: number;
  eventsEmitted: number;
}

/** An invariant was violated; carries the seed and step to replay. */
export class InvariantViolation extends Error {
  readonly seed: number;
  readonly step: number;
  readonly at: number;
  constructor(message: string, seed: number, step: number, at: number) {
    super(`${message} (seed=${seed}, step=${step}, t=${at}ms)`);
    this.name = "InvariantViolation";
    this.seed = seed;
    this.step = step;
    this.at = at;
  }
}

export class SimCluster {
  readonly seed: number;
  readonly options: ResolvedMemberlistOptions;
  readonly faults: FaultPlan;
  readonly codec: SimCodec;
  readonly nodes: SimNode[] = [];
  readonly transitions: Transition[] = [];
  readonly stats: SimStats = {
    steps: 0,
    packetsSent: 0,
    packetsDropped: 0,
    packetBytes: 0,
    messagesDelivered: 0,
    streamsOpened: 0,
    eventsEmitted: 0,
  };
  private readonly byName = new Map<string, SimNode>();
  private readonly byAddress = new Map<string, SimNode>();
  private readonly heap = new DeadlineQueue<SimEvent>();
  private readonly listeners: SimEventListener[] = [];
  private readonly record: boolean;
  private readonly checking: boolean;
  private readonly delegates: ((name: string) => CoreDelegates) | undefined;
  /** observer \0 subject → last incarnation reported (invariant). */
  private readonly lastIncarnation = new Map<string, number>();
  private clock = 0;

  constructor(opts: SimClusterOptions) {
    this.seed = opts.seed;
    this.options = resolveOptions(opts.options ?? {});
    this.faults = new FaultPlan(deriveSeed(opts.seed, 0x7fffffff), opts.network ?? {});
    this.codec = opts.codec ?? "typed";
    this.record = opts.recordTransitions ?? true;
    this.checking = opts.checkInvariants ?? true;
    this.delegates = opts.delegates;
  }

  /** Current simulated time (ms). */
  get now(): number {
    return this.clock;
  }

  /** Registers a listener for every event of every node. */
  onEvent(listener: SimEventListener): void {
    this.listeners.push(listener);
  }

  node(name: string): SimNode {
    const n = this.byName.get(name);
    if (n === undefined) throw new Error(`no simulated node ${name}`);
    return n;
  }

  machine(name: string): SwimMachine {
    const m = this.node(name).machine;
    if (m === undefined) throw new Error(`${name} is not running`);
    return m;
  }

  /** Nodes currently running. */
  upNodes(): SimNode[] {
    return this.nodes.filter((n) => n.up);
  }

  // ---------------------------------------------------------------------------------------
  // Script

  /** Starts a new node (named `node-<index>` unless given) at the current time. */
  addNode(name?: string): SimNode {
    const index = this.nodes.length;
    const n = new SimNode(index, name ?? `node-${index}`, this.options.bindPort);
    if (this.byName.has(n.name)) throw new Error(`duplicate node name ${n.name}`);
    this.nodes.push(n);
    this.byName.set(n.name, n);
    this.byAddress.set(n.address, n);
    this.start(n);
    return n;
  }

  /** Starts `count` nodes. */
  addNodes(count: number): SimNode[] {
    return Array.from({ length: count }, () => this.addNode());
  }

  /** `name` joins through the given seed nodes (push/pull with each). */
  join(name: string, seeds: readonly string[]): number[] {
    const n = this.node(name);
    const m = this.machine(name);
    const ids = m.join(
      seeds.map((s) => this.node(s).address),
      this.clock,
    );
    this.pump(n);
    return ids;
  }

  /**
   * Gives every running node the full membership at once, as if each had just finished a join
   * push/pull with a node that knows everybody, then drops the resulting gossip backlog. A
   * shortcut to a converged cluster for large simulations, where a real join storm (N² alive
   * messages) would dominate the run.
   */
  bootstrapConverged(): void {
    const up = this.nodes.filter((n) => n.up);
    const first = up[0];
    if (first === undefined) return;
    const states: PushNodeState[] = up.map((n) => {
      const me = (n.machine as SwimMachine).localNode();
      return {
        name: me.name,
        addr: me.addr,
        port: me.port,
        meta: me.meta,
        incarnation: me.incarnation,
        state: NodeStateCode.ALIVE,
        vsn: me.vsn,
      };
    });
    const reply = { type: "push-pull", join: true, nodes: states, userState: new Uint8Array(0) };
    for (const n of up) {
      const m = n.machine as SwimMachine;
      const [exchange] = m.join([first.address], this.clock);
      for (let t = m.pollTransmit(); t !== undefined; t = m.pollTransmit()) {
        if (t.kind === "stream" && t.exchange === exchange) continue; // answered below
        this.send(n, t);
      }
      m.handleStreamReply(exchange ?? -1, reply as StreamMessage, this.clock);
      m.broadcasts.reset();
      this.pump(n);
    }
  }

  /** Kills a node: its machine disappears, in-flight traffic to it is lost. */
  crash(name: string): void {
    const n = this.node(name);
    n.machine = undefined;
    n.generation++;
    n.deadline = undefined;
    n.selfIncarnation = 0;
  }

  /** Restarts a crashed (or stopped) node with a fresh machine (incarnation 1) and joins. */
  restart(name: string, seeds: readonly string[] = []): void {
    const n = this.node(name);
    if (n.machine !== undefined) this.crash(name);
    this.start(n);
    if (seeds.length > 0) this.join(name, seeds);
  }

  /** Graceful leave; the node keeps running until {@link stop}. */
  leave(name: string): void {
    const n = this.node(name);
    this.machine(name).leave(this.clock);
    this.pump(n);
  }

  /** Shuts a node down (after a leave). */
  stop(name: string): void {
    const n = this.node(name);
    n.machine?.shutdown();
    this.crash(name);
  }

  /** Changes a node's metadata. */
  updateMeta(name: string, meta: Uint8Array): void {
    const n = this.node(name);
    this.machine(name).updateMeta(meta, this.clock);
    this.pump(n);
  }

  /** Runs `fn` at absolute simulated time `at`. */
  at(at: number, fn: () => void): void {
    this.heap.schedule(Math.max(at, this.clock), { kind: "action", run: fn });
  }

  /** Runs `fn` after `ms` of simulated time. */
  after(ms: number, fn: () => void): void {
    this.at(this.clock + ms, fn);
  }

  // ---------------------------------------------------------------------------------------
  // Running

  /** Processes the earliest event. Returns false when nothing is left to do. */
  step(): boolean {
    const at = this.heap.peek();
    if (at === undefined) return false;
    const entry = this.heap.popDue(at);
    if (entry === undefined) return false;
    if (at > this.clock) this.clock = at;
    this.stats.steps++;
    this.dispatch(entry.payload);
    return true;
  }

  /** Runs until simulated time `t` (events at exactly `t` included). */
  runUntilTime(t: number): void {
    for (;;) {
      const at = this.heap.peek();
      if (at === undefined || at > t) break;
      this.step();
    }
    if (t > this.clock) this.clock = t;
  }

  /** Runs for `ms` of simulated time. */
  runFor(ms: number): void {
    this.runUntilTime(this.clock + ms);
  }

  /**
   * Runs until `predicate()` holds (checked every `checkEveryMs` of simulated time) or
   * `maxMs` passed.
   * @returns the simulated time at which the predicate first held, or `undefined`.
   */
  runUntil(predicate: () => boolean, maxMs: number, checkEveryMs = 50): number | undefined {
    const end = this.clock + maxMs;
    if (predicate()) return this.clock;
    while (this.clock < end) {
      this.runUntilTime(Math.min(end, this.clock + checkEveryMs));
      if (predicate()) return this.clock;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Views

  /**
   * True if every running node that has not left sees exactly the running, not-left nodes as
   * alive (and nothing else as alive or suspect).
   */
  converged(): boolean {
    const live = this.nodes.filter((n) => n.up && !this.hasLeft(n));
    for (const n of live) {
      const m = n.machine as SwimMachine;
      if (m.numMembers() !== live.length) return false;
      for (const other of live) {
        if (m.nodeState(other.name) !== NodeStateCode.ALIVE) return false;
      }
    }
    return true;
  }

  /** True if every running node (other than `name`) sees `name` as dead or left (or forgot it). */
  everyoneSeesDown(name: string): boolean {
    for (const n of this.nodes) {
      if (!n.up || n.name === name || this.hasLeft(n)) continue;
      const s = (n.machine as SwimMachine).nodeState(name);
      if (s === NodeStateCode.ALIVE || s === NodeStateCode.SUSPECT) return false;
    }
    return true;
  }

  private hasLeft(n: SimNode): boolean {
    return n.machine?.nodeState(n.name) === NodeStateCode.LEFT;
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  private start(n: SimNode): void {
    n.generation++;
    const random = seededRandom(deriveSeed(this.seed, n.index * 4096 + n.generation));
    const delegates = this.delegates?.(n.name) ?? {};
    n.machine = new SwimMachine(
      this.options,
      { name: n.name, addr: n.addr, port: n.port },
      random,
      this.clock,
      delegates,
    );
    n.selfIncarnation = 0;
    n.deadline = undefined;
    this.pump(n);
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case "deadline": {
        const n = this.nodes[ev.node] as SimNode;
        // Stale entries (the deadline moved since) are skipped.
        if (n.generation !== ev.gen || n.machine === undefined || n.deadline !== ev.at) return;
        n.deadline = undefined;
        n.machine.handleTimeout(this.clock);
        this.pump(n);
        return;
      }
      case "packet": {
        const n = this.nodes[ev.to] as SimNode;
        if (!n.up) return;
        this.stats.messagesDelivered += ev.messages.length;
        (n.machine as SwimMachine).handlePacket(ev.from, ev.messages, this.clock);
        this.pump(n);
        return;
      }
      case "stream-request": {
        const target = this.nodes[ev.to] as SimNode;
        const source = this.nodes[ev.from] as SimNode;
        if (source.generation !== ev.fromGen) return;
        if (this.faults.cut(source.name, target.name)) return; // times out
        if (!target.up) {
          this.schedule(this.clock + this.faults.delay(), {
            kind: "stream-reply",
            to: source.index,
            gen: ev.fromGen,
            exchange: ev.exchange,
            reply: { error: "connection reset by peer" },
          });
          return;
        }
        const reply = (target.machine as SwimMachine).handleStreamRequest(
          source.address,
          this.streamCodec(ev.message),
          this.clock,
        );
        this.pump(target);
        this.schedule(this.clock + this.faults.delay(), {
          kind: "stream-reply",
          to: source.index,
          gen: ev.fromGen,
          exchange: ev.exchange,
          reply: reply === undefined ? { error: "connection closed" } : this.streamCodec(reply),
        });
        return;
      }
      case "stream-reply": {
        const n = this.nodes[ev.to] as SimNode;
        if (n.generation !== ev.gen || !n.up) return;
        (n.machine as SwimMachine).handleStreamReply(ev.exchange, ev.reply, this.clock);
        this.pump(n);
        return;
      }
      case "action":
        ev.run();
        return;
    }
  }

  private schedule(at: number, ev: SimEvent): void {
    this.heap.schedule(at, ev);
  }

  /** Drains a node's outputs into the network, the recorder and the heap. */
  private pump(n: SimNode): void {
    const m = n.machine;
    if (m === undefined) return;
    for (;;) {
      const ev = m.pollEvent();
      if (ev === undefined) break;
      this.observe(n, ev);
    }
    for (;;) {
      const t = m.pollTransmit();
      if (t === undefined) break;
      this.send(n, t);
    }
    if (this.checking) {
      const inc = m.nodeIncarnation(n.name) ?? 0;
      if (inc < n.selfIncarnation) {
        this.violation(`${n.name}'s own incarnation went from ${n.selfIncarnation} to ${inc}`);
      }
      n.selfIncarnation = inc;
    }
    const next = m.pollTimeout();
    if (next !== undefined && next !== n.deadline) {
      n.deadline = next;
      this.schedule(Math.max(next, this.clock), {
        kind: "deadline",
        node: n.index,
        gen: n.generation,
        at: next,
      });
    }
  }

  private send(src: SimNode, t: Transmit): void {
    if (t.kind === "stream") {
      this.openStream(src, t);
      return;
    }
    this.stats.packetsSent++;
    for (const part of t.messages) this.stats.packetBytes += part.length;
    const target = this.byAddress.get(t.to);
    if (target === undefined) {
      this.stats.packetsDropped++;
      return;
    }
    const delays = this.faults.packetDelays(src.name, target.name);
    if (delays === undefined || !target.up) {
      this.stats.packetsDropped++;
      return;
    }
    const messages =
      this.codec === "typed"
        ? t.typed
        : t.messages.map((bytes) => decodeMessage(bytes) as PacketMessage);
    for (const d of delays) {
      this.schedule(this.clock + d, {
        kind: "packet",
        to: target.index,
        from: src.address,
        messages,
      });
    }
  }

  private openStream(src: SimNode, t: StreamTransmit): void {
    this.stats.streamsOpened++;
    const target = this.byAddress.get(t.to);
    const failAfter = (ms: number, error: string): void => {
      this.schedule(this.clock + ms, {
        kind: "stream-reply",
        to: src.index,
        gen: src.generation,
        exchange: t.exchange,
        reply: { error },
      });
    };
    if (target === undefined) {
      failAfter(this.faults.delay(), "no route to host");
      return;
    }
    if (this.faults.cut(src.name, target.name)) return; // the core times the exchange out
    if (!target.up) {
      failAfter(2 * this.faults.delay(), "connection refused");
      return;
    }
    this.schedule(this.clock + this.faults.delay(), {
      kind: "stream-request",
      to: target.index,
      from: src.index,
      fromGen: src.generation,
      exchange: t.exchange,
      message: t.message,
    });
  }

  private streamCodec<T extends StreamMessage>(msg: T): T {
    if (this.codec === "typed") return msg;
    return decodeMessage(encodeMessage(msg)) as T;
  }

  private observe(n: SimNode, ev: MemberlistEvent): void {
    this.stats.eventsEmitted++;
    for (const l of this.listeners) l(n, ev, this.clock);
    let kind: Transition["kind"] | undefined;
    let subject = "";
    let incarnation = 0;
    switch (ev.type) {
      case "join":
      case "update":
      case "suspect":
        kind = ev.type;
        subject = ev.node.name;
        incarnation = ev.node.incarnation;
        break;
      case "leave":
        kind = ev.node.state === NodeStateCode.LEFT ? "left" : "dead";
        subject = ev.node.name;
        incarnation = ev.node.incarnation;
        break;
      case "refute":
        kind = "refute";
        subject = n.name;
        incarnation = ev.incarnation;
        break;
      default:
        break;
    }
    if (kind === undefined) return;
    if (this.checking) this.checkTransition(n, kind, subject, incarnation);
    if (this.record) {
      this.transitions.push({ at: this.clock, observer: n.name, subject, kind, incarnation });
    }
  }

  private checkTransition(
    n: SimNode,
    kind: Transition["kind"],
    subject: string,
    incarnation: number,
  ): void {
    if (subject === n.name && (kind === "dead" || kind === "suspect")) {
      this.violation(`${n.name} declared itself ${kind}`);
    }
    const key = `${n.name}\0${n.generation}\0${subject}`;
    if (kind === "join") {
      // A join may legitimately lower the incarnation (reaped or reclaimed entry).
      this.lastIncarnation.set(key, incarnation);
      return;
    }
    const last = this.lastIncarnation.get(key);
    if (last !== undefined && incarnation < last) {
      this.violation(
        `${n.name} saw ${subject}'s incarnation go back from ${last} to ${incarnation} (${kind})`,
      );
    }
    this.lastIncarnation.set(key, incarnation);
  }

  private violation(message: string): never {
    throw new InvariantViolation(message, this.seed, this.stats.steps, this.clock);
  }
}
