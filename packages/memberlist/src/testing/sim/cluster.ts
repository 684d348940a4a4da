/**
 * Deterministic discrete-event simulation of a memberlist cluster (ARCHITECTURE §3.4): the
 * shared `SimEngine` (`engine.ts`: one clock, one `(at, seq)` event heap, the seeded faulty
 * network, the pump) driving `SwimMachine`s.
 *
 * On top of the engine, `SimCluster` keeps a transition log (who saw whom join, suspect, die,
 * leave, update, refute) and checks invariants on every event: no node declares itself dead
 * or suspect, an observer never sees an incarnation go back (joins aside), and a node's own
 * incarnation never decreases.
 * `codec: "bytes"` covers the message codec (framing, compression, CRC and encryption belong
 * to the driver's pipeline). Same seed + same script = identical transition log.
 */

import { NodeStateCode, type PushNodeState, type StreamMessage } from "@serf-ts/wire";
import { SwimMachine } from "../../core/swim-machine.ts";
import type { CoreDelegates, MemberlistEvent } from "../../core/types.ts";
import {
  type MemberlistOptions,
  type ResolvedMemberlistOptions,
  resolveOptions,
} from "../../options.ts";
import { SimEngine, SimEngineNode, type SimEngineOptions } from "./engine.ts";

/** Options of {@link SimCluster}: the engine's (seed, network, codec, link latency) and more. */
export interface SimClusterOptions extends SimEngineOptions<SimNode> {
  /** memberlist options of every node (resolved with `resolveOptions`). @default LAN */
  readonly options?: MemberlistOptions | undefined;
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

/** One simulated node (its machine is replaced on restart). */
export class SimNode extends SimEngineNode<SwimMachine> {
  /** Highest own incarnation seen in this generation (invariant). */
  selfIncarnation = 0;

  /** Running (not crashed, not shut down). */
  get up(): boolean {
    return this.machine !== undefined && !this.machine.isShutdown;
  }
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

export class SimCluster extends SimEngine<SwimMachine, SimNode> {
  readonly options: ResolvedMemberlistOptions;
  readonly transitions: Transition[] = [];
  private readonly listeners: SimEventListener[] = [];
  private readonly record: boolean;
  private readonly checking: boolean;
  private readonly delegates: ((name: string) => CoreDelegates) | undefined;
  /** observer \0 subject → last incarnation reported (invariant). */
  private readonly lastIncarnation = new Map<string, number>();

  constructor(opts: SimClusterOptions) {
    super(opts);
    this.options = resolveOptions(opts.options ?? {});
    this.record = opts.recordTransitions ?? true;
    this.checking = opts.checkInvariants ?? true;
    this.delegates = opts.delegates;
  }

  /** Registers a listener for every event of every node. */
  onEvent(listener: SimEventListener): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------------------------------
  // Script

  /** Starts a new node (named `node-<index>` unless given) at the current time. */
  addNode(name?: string): SimNode {
    const index = this.nodes.length;
    const n = new SimNode(index, name ?? `node-${index}`, this.options.bindPort);
    this.register(n);
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
      this.now,
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
      const [exchange] = m.join([first.address], this.now);
      for (let t = m.pollTransmit(); t !== undefined; t = m.pollTransmit()) {
        if (t.kind === "stream" && t.exchange === exchange) continue; // answered below
        this.send(n, t);
      }
      m.handleStreamReply(exchange ?? -1, reply as StreamMessage, this.now);
      m.broadcasts.reset();
      this.pump(n);
    }
  }

  /** Kills a node: its machine disappears, in-flight traffic to it is lost. */
  crash(name: string): void {
    const n = this.node(name);
    this.halt(n);
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
    this.machine(name).leave(this.now);
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
    this.machine(name).updateMeta(meta, this.now);
    this.pump(n);
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
    n.selfIncarnation = 0;
    this.boot(
      n,
      (random) =>
        new SwimMachine(
          this.options,
          { name: n.name, addr: n.addr, port: n.port },
          random,
          this.now,
          this.delegates?.(n.name) ?? {},
        ),
    );
  }

  protected override afterDrain(n: SimNode, m: SwimMachine): void {
    if (!this.checking) return;
    const inc = m.nodeIncarnation(n.name) ?? 0;
    if (inc < n.selfIncarnation) {
      this.violation(`${n.name}'s own incarnation went from ${n.selfIncarnation} to ${inc}`);
    }
    n.selfIncarnation = inc;
  }

  protected override observe(n: SimNode, ev: MemberlistEvent): void {
    for (const l of this.listeners) l(n, ev, this.now);
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
      this.transitions.push({ at: this.now, observer: n.name, subject, kind, incarnation });
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
    throw new InvariantViolation(message, this.seed, this.stats.steps, this.now);
  }
}
