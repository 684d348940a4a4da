/**
 * Deterministic discrete-event simulation of a serf cluster: the memberlist simulator's
 * scheme (ARCHITECTURE §3.4) applied to `SerfMachine`s.
 *
 * - One clock and one event heap ordered by `(at, seq)`. Nothing awaits a promise.
 * - Per node: a `SerfMachine`, its cached next deadline, and the recorded `SerfEvent`s and
 *   snapshot records. After anything touches a node the harness pumps it (transmits to the
 *   network, events to the recorder, a new deadline when `pollTimeout()` changed).
 * - The packet plane uses memberlist's seeded `FaultPlan` (loss, partitions, latency +
 *   jitter) plus an optional per-link extra latency (Vivaldi tests). Streams are
 *   cut-or-deliver. Serf messages always travel as bytes (memberlist user payloads); the
 *   memberlist messages around them travel typed unless `codec: "bytes"`.
 * - Several nodes may share a name (name-conflict tests): address nodes by index then.
 */

import {
  type Deadline,
  DeadlineQueue,
  deriveSeed,
  formatAddress,
  type StreamFailure,
  type StreamTransmit,
  seededRandom,
  type Transmit,
} from "@serf-ts/memberlist/core";
import { FaultPlan, type NetworkConfig } from "@serf-ts/memberlist/testing";
import {
  decodeMessage,
  encodeMessage,
  type PacketMessage,
  type StreamMessage,
} from "@serf-ts/wire";
import type { KeyringPort } from "../core/internal-queries.ts";
import type { MemberStatus } from "../core/member-status.ts";
import { SerfMachine, type SerfMachineHooks } from "../core/serf-machine.ts";
import type { SerfEvent, SerfEventOf } from "../events.ts";
import { type ResolvedSerfOptions, resolveSerfOptions, type SerfOptions } from "../options.ts";
import type { SnapshotRecord } from "../snapshot/snapshot-format.ts";
import type { SnapshotState } from "../snapshot/snapshot-replay.ts";

export interface SerfSimOptions {
  /** Root seed of every random choice in the run. */
  readonly seed: number;
  /** serf options of every node. @default library defaults on the LAN profile */
  readonly options?: SerfOptions | undefined;
  /** Network model. */
  readonly network?: Partial<NetworkConfig> | undefined;
  /** How memberlist messages travel. @default "typed" */
  readonly codec?: "typed" | "bytes" | undefined;
  /** Extra one-way latency (ms) of a packet from node `from` to node `to`. */
  readonly linkLatency?: ((from: SerfSimNode, to: SerfSimNode) => number) | undefined;
}

/** Per-node start options. */
export interface SerfSimNodeOptions {
  readonly tags?: Readonly<Record<string, string>> | undefined;
  readonly keyring?: KeyringPort | undefined;
  /** Replayed snapshot to start from. */
  readonly snapshot?: SnapshotState | undefined;
  /** Record snapshot records (into `node.snapshot`). @default true */
  readonly recordSnapshot?: boolean | undefined;
  /** Options overriding the cluster's for this node. */
  readonly options?: SerfOptions | undefined;
  /** Allow a name already used by another node (name-conflict tests). */
  readonly allowDuplicateName?: boolean | undefined;
  /** Test seam passed to the machine. */
  readonly messageDropper?: SerfMachineHooks["messageDropper"];
}

/** An event with the time it was emitted. */
export interface RecordedEvent {
  readonly at: number;
  readonly event: SerfEvent;
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

/** One simulated node (its machine is replaced on restart). */
export class SerfSimNode {
  readonly index: number;
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly address: string;
  machine: SerfMachine | undefined;
  generation = 0;
  deadline: number | undefined;
  /** Every event of every generation, in order. */
  readonly events: RecordedEvent[] = [];
  /** Snapshot records of every generation, in order. */
  readonly snapshot: SnapshotRecord[] = [];
  startOptions: SerfSimNodeOptions;

  constructor(index: number, name: string, port: number, startOptions: SerfSimNodeOptions) {
    this.index = index;
    this.name = name;
    this.port = port;
    this.addr = Uint8Array.of(10, (index >> 16) & 255, (index >> 8) & 255, index & 255);
    this.address = formatAddress(this.addr, port);
    this.startOptions = startOptions;
  }

  get up(): boolean {
    return this.machine !== undefined && this.machine.state !== "shutdown";
  }

  /** The running machine (throws if crashed). */
  get m(): SerfMachine {
    if (this.machine === undefined) throw new Error(`${this.name} is not running`);
    return this.machine;
  }

  /** Recorded events of one type. */
  eventsOf<T extends SerfEvent["type"]>(type: T): SerfEventOf<T>[] {
    const out: SerfEventOf<T>[] = [];
    for (const r of this.events) {
      if (r.event.type === type) out.push(r.event as SerfEventOf<T>);
    }
    return out;
  }
}

export class SerfSimCluster {
  readonly seed: number;
  readonly options: ResolvedSerfOptions;
  readonly faults: FaultPlan;
  readonly nodes: SerfSimNode[] = [];
  readonly stats = { steps: 0, packetsSent: 0, packetsDropped: 0, streamsOpened: 0 };
  private readonly rawOptions: SerfOptions;
  private readonly codec: "typed" | "bytes";
  private readonly linkLatency: ((from: SerfSimNode, to: SerfSimNode) => number) | undefined;
  private readonly byName = new Map<string, SerfSimNode>();
  private readonly byAddress = new Map<string, SerfSimNode>();
  private readonly heap = new DeadlineQueue<SimEvent>();
  private clock = 0;

  constructor(opts: SerfSimOptions) {
    this.seed = opts.seed;
    this.rawOptions = opts.options ?? {};
    this.options = resolveSerfOptions(this.rawOptions);
    this.faults = new FaultPlan(deriveSeed(opts.seed, 0x7fffffff), opts.network ?? {});
    this.codec = opts.codec ?? "typed";
    this.linkLatency = opts.linkLatency;
  }

  get now(): number {
    return this.clock;
  }

  /** First node with this name. */
  node(name: string): SerfSimNode {
    const n = this.byName.get(name);
    if (n === undefined) throw new Error(`no simulated node ${name}`);
    return n;
  }

  /** The running machine of the first node with this name. */
  machine(name: string): SerfMachine {
    return this.node(name).m;
  }

  upNodes(): SerfSimNode[] {
    return this.nodes.filter((n) => n.up);
  }

  // -------------------------------------------------------------------------------------------
  // Script

  /** Starts a node (named `node-<index>` unless given) at the current time. */
  addNode(name?: string, opts: SerfSimNodeOptions = {}): SerfSimNode {
    const index = this.nodes.length;
    const n = new SerfSimNode(
      index,
      name ?? `node-${index}`,
      this.options.memberlist.bindPort,
      opts,
    );
    if (this.byName.has(n.name) && opts.allowDuplicateName !== true) {
      throw new Error(`duplicate node name ${n.name}`);
    }
    this.nodes.push(n);
    if (!this.byName.has(n.name)) this.byName.set(n.name, n);
    this.byAddress.set(n.address, n);
    this.start(n);
    return n;
  }

  addNodes(count: number, opts: SerfSimNodeOptions = {}): SerfSimNode[] {
    return Array.from({ length: count }, () => this.addNode(undefined, opts));
  }

  /** `node` joins through the given seed nodes; returns the join id. */
  join(
    node: string | SerfSimNode,
    seeds: readonly (string | SerfSimNode)[],
    ignoreOld = false,
  ): number {
    const n = typeof node === "string" ? this.node(node) : node;
    const addrs = seeds.map((s) => (typeof s === "string" ? this.node(s) : s).address);
    const id = n.m.join(addrs, ignoreOld, this.clock);
    this.pump(n);
    return id;
  }

  /** Runs an operation on a node's machine at the current time and pumps it. */
  act<T>(node: string | SerfSimNode, fn: (m: SerfMachine, now: number) => T): T {
    const n = typeof node === "string" ? this.node(node) : node;
    const result = fn(n.m, this.clock);
    this.pump(n);
    return result;
  }

  /** Kills a node: its machine disappears, in-flight traffic to it is lost. */
  crash(node: string | SerfSimNode): void {
    const n = typeof node === "string" ? this.node(node) : node;
    n.machine = undefined;
    n.generation++;
    n.deadline = undefined;
  }

  /** Restarts a node with a fresh machine (optionally new start options) and joins seeds. */
  restart(
    node: string | SerfSimNode,
    seeds: readonly string[] = [],
    opts?: SerfSimNodeOptions,
  ): void {
    const n = typeof node === "string" ? this.node(node) : node;
    if (n.machine !== undefined) this.crash(n);
    if (opts !== undefined) n.startOptions = opts;
    this.start(n);
    if (seeds.length > 0) this.join(n, seeds);
  }

  /** Graceful leave (the node keeps running). */
  leave(node: string | SerfSimNode): void {
    this.act(node, (m, now) => m.leave(now));
  }

  /** Shuts a node down (e.g. after its leave finished). */
  stop(node: string | SerfSimNode): void {
    const n = typeof node === "string" ? this.node(node) : node;
    n.machine?.shutdown(this.clock);
    this.pump(n);
    this.crash(n);
  }

  at(at: number, fn: () => void): void {
    this.heap.schedule(Math.max(at, this.clock), { kind: "action", run: fn });
  }

  after(ms: number, fn: () => void): void {
    this.at(this.clock + ms, fn);
  }

  // -------------------------------------------------------------------------------------------
  // Running

  step(): boolean {
    const at = this.heap.peek();
    if (at === undefined) return false;
    const entry = this.heap.popDue(at) as Deadline<SimEvent>;
    if (at > this.clock) this.clock = at;
    this.stats.steps++;
    this.dispatch(entry.payload);
    return true;
  }

  runUntilTime(t: number): void {
    for (;;) {
      const at = this.heap.peek();
      if (at === undefined || at > t) break;
      this.step();
    }
    if (t > this.clock) this.clock = t;
  }

  runFor(ms: number): void {
    this.runUntilTime(this.clock + ms);
  }

  /** Runs until `predicate()` holds (checked every `checkEveryMs`) or `maxMs` passed. */
  runUntil(predicate: () => boolean, maxMs: number, checkEveryMs = 50): number | undefined {
    const end = this.clock + maxMs;
    if (predicate()) return this.clock;
    while (this.clock < end) {
      this.runUntilTime(Math.min(end, this.clock + checkEveryMs));
      if (predicate()) return this.clock;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Views

  /** Serf status of `subject` as seen by `observer` (`undefined` if unknown). */
  statusOf(observer: string | SerfSimNode, subject: string): MemberStatus | undefined {
    const n = typeof observer === "string" ? this.node(observer) : observer;
    return n.m.member(subject)?.status;
  }

  /** True if every running node (other than `subject`) sees `subject` with `status`. */
  allSee(subject: string, status: MemberStatus | undefined): boolean {
    for (const n of this.nodes) {
      if (!n.up || n.name === subject) continue;
      if (n.m.member(subject)?.status !== status) return false;
    }
    return true;
  }

  /** True if every running node sees every running node alive (and nothing else alive). */
  converged(): boolean {
    const live = this.nodes.filter((n) => n.up && n.m.state === "alive");
    for (const n of live) {
      const alive = n.m.members().filter((m) => m.status === "alive");
      if (alive.length !== live.length) return false;
      for (const other of live) if (n.m.member(other.name)?.status !== "alive") return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private start(n: SerfSimNode): void {
    n.generation++;
    const random = seededRandom(deriveSeed(this.seed, n.index * 4096 + n.generation));
    const o = n.startOptions;
    const options =
      o.options === undefined
        ? this.options
        : resolveSerfOptions({
            ...this.rawOptions,
            ...o.options,
            memberlist: { ...(this.rawOptions.memberlist ?? {}), ...(o.options.memberlist ?? {}) },
          });
    const hooks: SerfMachineHooks = {
      keyring: o.keyring,
      snapshot: o.recordSnapshot === false ? undefined : { record: (r) => void n.snapshot.push(r) },
      messageDropper: o.messageDropper,
    };
    n.machine = new SerfMachine(
      options,
      { name: n.name, addr: n.addr, port: n.port, tags: o.tags ?? {} },
      random,
      this.clock,
      o.snapshot,
      hooks,
    );
    n.deadline = undefined;
    this.pump(n);
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case "deadline": {
        const n = this.nodes[ev.node] as SerfSimNode;
        if (n.generation !== ev.gen || n.machine === undefined || n.deadline !== ev.at) return;
        n.deadline = undefined;
        n.machine.handleTimeout(this.clock);
        this.pump(n);
        return;
      }
      case "packet": {
        const n = this.nodes[ev.to] as SerfSimNode;
        if (!n.up) return;
        (n.machine as SerfMachine).handlePacket(ev.from, ev.messages, this.clock);
        this.pump(n);
        return;
      }
      case "stream-request": {
        const target = this.nodes[ev.to] as SerfSimNode;
        const source = this.nodes[ev.from] as SerfSimNode;
        if (source.generation !== ev.fromGen) return;
        if (this.faults.cut(source.name, target.name)) return;
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
        const reply = (target.machine as SerfMachine).handleStreamRequest(
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
        const n = this.nodes[ev.to] as SerfSimNode;
        if (n.generation !== ev.gen || !n.up) return;
        (n.machine as SerfMachine).handleStreamReply(ev.exchange, ev.reply, this.clock);
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
  pump(n: SerfSimNode): void {
    const m = n.machine;
    if (m === undefined) return;
    for (;;) {
      const ev = m.pollEvent();
      if (ev === undefined) break;
      n.events.push({ at: this.clock, event: ev });
    }
    for (;;) {
      const t = m.pollTransmit();
      if (t === undefined) break;
      this.send(n, t);
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

  private send(src: SerfSimNode, t: Transmit): void {
    if (t.kind === "stream") {
      this.openStream(src, t);
      return;
    }
    this.stats.packetsSent++;
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

  private openStream(src: SerfSimNode, t: StreamTransmit): void {
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
    if (this.faults.cut(src.name, target.name)) return;
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
