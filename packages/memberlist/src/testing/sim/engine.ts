/**
 * The discrete-event machinery shared by the cluster simulators (memberlist's `SimCluster`,
 * serf's `SerfSimCluster`): a clock, an event heap, a simulated network and the pump that
 * drains a sans-I/O machine into them. A simulator extends {@link SimEngine} with its machine
 * type, creates nodes, and decides what to do with the machines' events.
 *
 * - One clock and one event heap ordered by `(at, seq)`; `seq` is global, so events due at the
 *   same instant run in the order they were scheduled. Nothing awaits a promise.
 * - Per node: a machine and its cached next deadline. After anything touches a node the engine
 *   pumps it: events go to {@link SimEngine.observe}, transmits to the network, and a new
 *   deadline entry is pushed when `pollTimeout()` changed (stale entries are skipped when
 *   popped).
 * - The packet plane applies the seeded {@link FaultPlan} (loss, one-way loss, duplication,
 *   latency + jitter, partitions; crashed nodes are black holes) plus an optional per-link
 *   extra latency. The stream plane is cut-or-deliver: a partition makes the exchange time
 *   out, a crashed peer refuses after one round trip, otherwise request and reply each take one
 *   latency.
 * - Messages travel typed by default (`codec: "typed"`: the `typed` parts of each transmit are
 *   handed to the receiver, no codec); `codec: "bytes"` decodes the encoded parts with
 *   `@serf-ts/wire`'s `decodeMessage` instead (and round-trips stream messages).
 * - One seed derives every node's `Random` (seed, node index, restart generation) and the fault
 *   RNG. Same seed + same script = identical run.
 */

import type { PacketMessage, StreamMessage } from "@serf-ts/wire";
import { decodeMessage, encodeMessage } from "@serf-ts/wire/codec";
import { formatAddress } from "../../core/address.ts";
import { DeadlineQueue } from "../../core/deadlines.ts";
import { deriveSeed, type Random, seededRandom } from "../../core/random.ts";
import type { StreamFailure, StreamTransmit, Transmit } from "../../core/types.ts";
import { FaultPlan, type NetworkConfig } from "./faults.ts";

/** How messages travel between simulated nodes. */
export type SimCodec = "typed" | "bytes";

/** The sans-I/O surface the engine drives (`SwimMachine`, `SerfMachine`). */
export interface DrivableMachine {
  handlePacket(from: string, messages: readonly PacketMessage[], now: number): void;
  handleStreamRequest(from: string, msg: StreamMessage, now: number): StreamMessage | undefined;
  handleStreamReply(exchange: number, reply: StreamMessage | StreamFailure, now: number): unknown;
  handleTimeout(now: number): void;
  pollEvent(): unknown;
  pollTransmit(): Transmit | undefined;
  pollTimeout(): number | undefined;
}

/** The events a machine emits (what its `pollEvent()` returns, minus `undefined`). */
export type SimMachineEvent<M extends DrivableMachine> = NonNullable<ReturnType<M["pollEvent"]>>;

/** Options of {@link SimEngine}. */
export interface SimEngineOptions<N> {
  /** Root seed of every random choice in the run. */
  readonly seed: number;
  /** Network model. */
  readonly network?: Partial<NetworkConfig> | undefined;
  /** @default "typed" */
  readonly codec?: SimCodec | undefined;
  /** Extra one-way latency (ms) of a packet from node `from` to node `to`. */
  readonly linkLatency?: ((from: N, to: N) => number) | undefined;
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

/** One simulated node (its machine is replaced on restart). */
export abstract class SimEngineNode<M extends DrivableMachine> {
  readonly index: number;
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly address: string;
  machine: M | undefined;
  /** Incremented on every crash/restart; stale in-flight replies are dropped. */
  generation = 0;
  /** Deadline currently in the heap for this node. */
  deadline: number | undefined;

  /** Node `index` gets the IP `10.x.y.z` (`index` in the low 24 bits) and `port`. */
  constructor(index: number, name: string, port: number) {
    this.index = index;
    this.name = name;
    this.port = port;
    this.addr = Uint8Array.of(10, (index >> 16) & 255, (index >> 8) & 255, index & 255);
    this.address = formatAddress(this.addr, port);
  }

  /** Running (not crashed, not shut down). */
  abstract get up(): boolean;
}

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

/** Clock, event heap, network and pump of a cluster simulator; see the module comment. */
export abstract class SimEngine<M extends DrivableMachine, N extends SimEngineNode<M>> {
  readonly seed: number;
  readonly faults: FaultPlan;
  readonly codec: SimCodec;
  readonly nodes: N[] = [];
  readonly stats: SimStats = {
    steps: 0,
    packetsSent: 0,
    packetsDropped: 0,
    packetBytes: 0,
    messagesDelivered: 0,
    streamsOpened: 0,
    eventsEmitted: 0,
  };
  private readonly byName = new Map<string, N>();
  private readonly byAddress = new Map<string, N>();
  private readonly heap = new DeadlineQueue<SimEvent>();
  private readonly linkLatency: ((from: N, to: N) => number) | undefined;
  private clock = 0;

  constructor(opts: SimEngineOptions<N>) {
    this.seed = opts.seed;
    this.faults = new FaultPlan(deriveSeed(opts.seed, 0x7fffffff), opts.network ?? {});
    this.codec = opts.codec ?? "typed";
    this.linkLatency = opts.linkLatency;
  }

  /** Current simulated time (ms). */
  get now(): number {
    return this.clock;
  }

  /** The (first) node with this name. */
  node(name: string): N {
    const n = this.byName.get(name);
    if (n === undefined) throw new Error(`no simulated node ${name}`);
    return n;
  }

  /** The running machine of the (first) node with this name. */
  machine(name: string): M {
    const m = this.node(name).machine;
    if (m === undefined) throw new Error(`${name} is not running`);
    return m;
  }

  /** Nodes currently running. */
  upNodes(): N[] {
    return this.nodes.filter((n) => n.up);
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

  /** Drains a node's outputs into {@link observe}, the network and the heap. */
  pump(n: N): void {
    const m = n.machine;
    if (m === undefined) return;
    for (;;) {
      const ev = m.pollEvent() as SimMachineEvent<M> | undefined;
      if (ev === undefined) break;
      this.stats.eventsEmitted++;
      this.observe(n, ev);
    }
    for (;;) {
      const t = m.pollTransmit();
      if (t === undefined) break;
      this.send(n, t);
    }
    this.afterDrain(n, m);
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

  // ---------------------------------------------------------------------------------------
  // For simulators

  /** Receives every event a node's machine emits, at {@link now}. */
  protected abstract observe(n: N, event: SimMachineEvent<M>): void;

  /** Called by {@link pump} after a node's events and transmits are drained (invariants). */
  protected afterDrain(_n: N, _m: M): void {}

  /**
   * Adds a new node (not started). Names are unique unless `allowDuplicateName`; a duplicate
   * is then found by index, {@link node} keeps returning the first one.
   */
  protected register(n: N, allowDuplicateName = false): void {
    if (this.byName.has(n.name) && !allowDuplicateName) {
      throw new Error(`duplicate node name ${n.name}`);
    }
    this.nodes.push(n);
    if (!this.byName.has(n.name)) this.byName.set(n.name, n);
    this.byAddress.set(n.address, n);
  }

  /** (Re)starts a node: a new generation, a machine from `create` with its seeded random. */
  protected boot(n: N, create: (random: Random) => M): void {
    n.generation++;
    const random = seededRandom(deriveSeed(this.seed, n.index * 4096 + n.generation));
    n.machine = create(random);
    n.deadline = undefined;
    this.pump(n);
  }

  /** Kills a node: its machine disappears, in-flight traffic to it is lost. */
  protected halt(n: N): void {
    n.machine = undefined;
    n.generation++;
    n.deadline = undefined;
  }

  /** Puts one transmit of `src` on the simulated network. */
  protected send(src: N, t: Transmit): void {
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
    const extra = this.linkLatency?.(src, target) ?? 0;
    for (const d of delays) {
      this.schedule(this.clock + d + extra, {
        kind: "packet",
        to: target.index,
        from: src.address,
        messages,
      });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case "deadline": {
        const n = this.nodes[ev.node] as N;
        // Stale entries (the deadline moved since) are skipped.
        if (n.generation !== ev.gen || n.machine === undefined || n.deadline !== ev.at) return;
        n.deadline = undefined;
        n.machine.handleTimeout(this.clock);
        this.pump(n);
        return;
      }
      case "packet": {
        const n = this.nodes[ev.to] as N;
        if (!n.up) return;
        this.stats.messagesDelivered += ev.messages.length;
        (n.machine as M).handlePacket(ev.from, ev.messages, this.clock);
        this.pump(n);
        return;
      }
      case "stream-request": {
        const target = this.nodes[ev.to] as N;
        const source = this.nodes[ev.from] as N;
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
        const reply = (target.machine as M).handleStreamRequest(
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
        const n = this.nodes[ev.to] as N;
        if (n.generation !== ev.gen || !n.up) return;
        (n.machine as M).handleStreamReply(ev.exchange, ev.reply, this.clock);
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

  private openStream(src: N, t: StreamTransmit): void {
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
}
