/**
 * Deterministic discrete-event simulation of a serf cluster: memberlist's `SimEngine` (one
 * clock, one `(at, seq)` event heap, the seeded faulty network, the pump; ARCHITECTURE §3.4)
 * driving `SerfMachine`s.
 *
 * - Per node: the recorded `SerfEvent`s and snapshot records of every generation.
 * - The packet plane may add a per-link extra latency (Vivaldi tests). Serf messages always
 *   travel as bytes (memberlist user payloads); the memberlist messages around them travel
 *   typed unless `codec: "bytes"`.
 * - Several nodes may share a name (name-conflict tests): address nodes by index then.
 */

import { SimEngine, SimEngineNode, type SimEngineOptions } from "@serf-ts/memberlist/testing";
import type { KeyringPort } from "../core/internal-queries.ts";
import type { MemberStatus } from "@serf-ts/wire";
import { SerfMachine, type SerfMachineHooks } from "../core/serf-machine.ts";
import type { SerfEvent, SerfEventOf } from "../core/events.ts";
import { type ResolvedSerfOptions, resolveSerfOptions, type SerfOptions } from "../options.ts";
import type { SnapshotRecord } from "../core/snapshot/snapshot-format.ts";
import type { SnapshotState } from "../core/snapshot/snapshot-replay.ts";

/** Options of {@link SerfSimCluster}: the engine's (seed, network, codec, link latency). */
export interface SerfSimOptions extends SimEngineOptions<SerfSimNode> {
  /** serf options of every node. @default library defaults on the LAN profile */
  readonly options?: SerfOptions | undefined;
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

/** One simulated node (its machine is replaced on restart). */
export class SerfSimNode extends SimEngineNode<SerfMachine> {
  /** Every event of every generation, in order. */
  readonly events: RecordedEvent[] = [];
  /** Snapshot records of every generation, in order. */
  readonly snapshot: SnapshotRecord[] = [];
  startOptions: SerfSimNodeOptions;

  constructor(index: number, name: string, port: number, startOptions: SerfSimNodeOptions) {
    super(index, name, port);
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

export class SerfSimCluster extends SimEngine<SerfMachine, SerfSimNode> {
  readonly options: ResolvedSerfOptions;
  private readonly rawOptions: SerfOptions;

  constructor(opts: SerfSimOptions) {
    super(opts);
    this.rawOptions = opts.options ?? {};
    this.options = resolveSerfOptions(this.rawOptions);
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
    this.register(n, opts.allowDuplicateName === true);
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
    const id = n.m.join(addrs, ignoreOld, this.now);
    this.pump(n);
    return id;
  }

  /** Runs an operation on a node's machine at the current time and pumps it. */
  act<T>(node: string | SerfSimNode, fn: (m: SerfMachine, now: number) => T): T {
    const n = typeof node === "string" ? this.node(node) : node;
    const result = fn(n.m, this.now);
    this.pump(n);
    return result;
  }

  /** Kills a node: its machine disappears, in-flight traffic to it is lost. */
  crash(node: string | SerfSimNode): void {
    this.halt(typeof node === "string" ? this.node(node) : node);
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
    n.machine?.shutdown(this.now);
    this.pump(n);
    this.crash(n);
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
    const o = n.startOptions;
    this.boot(n, (random) => {
      const options =
        o.options === undefined
          ? this.options
          : resolveSerfOptions({
              ...this.rawOptions,
              ...o.options,
              memberlist: {
                ...(this.rawOptions.memberlist ?? {}),
                ...(o.options.memberlist ?? {}),
              },
            });
      const hooks: SerfMachineHooks = {
        keyring: o.keyring,
        snapshot:
          o.recordSnapshot === false ? undefined : { record: (r) => void n.snapshot.push(r) },
        messageDropper: o.messageDropper,
      };
      return new SerfMachine(
        options,
        { name: n.name, addr: n.addr, port: n.port, tags: o.tags ?? {} },
        random,
        this.now,
        o.snapshot,
        hooks,
      );
    });
  }

  protected override observe(n: SerfSimNode, event: SerfEvent): void {
    n.events.push({ at: this.now, event });
  }
}
