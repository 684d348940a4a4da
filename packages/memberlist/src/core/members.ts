/**
 * The local member table and its state machine: Go memberlist's `aliveNode`, `suspectNode`,
 * `deadNode`, `refute`, `mergeState` and `resetNodes`, with the merge rules of
 * memberlist.md §9.8 and the dead/left/reclaim rules of §9.9.
 *
 * `nodes` is the probe order (new nodes are inserted at a random position, the list is
 * shuffled when the probe index wraps); `byName` indexes the same records.
 */

import {
  type AliveMessage,
  type DeadMessage,
  NodeStateCode,
  type PushNodeState,
  type SuspectMessage,
} from "@serf-ts/wire";
import { formatAddress } from "./address.ts";
import {
  ALIVE,
  type CoreContext,
  DEAD,
  LEFT,
  type MemberRecord,
  SUSPECT,
  type SuspicionState,
} from "./context.ts";
import {
  badVersionsAliveLog,
  conflictingAddressLog,
  markingFailedLog,
  noVsnAliveLog,
  refusedAliveLog,
  refuteAliveLog,
  refuteDeadLog,
  refuteSuspectLog,
  updatingAddressLog,
} from "./log-records.ts";
import { randomOffset, shuffle } from "./random.ts";
import { StaleNewsAnswers } from "./stale-news.ts";
import { Suspicion, suspicionParams } from "./suspicion.ts";
import type { NodeInfo } from "./types.ts";

const EMPTY = new Uint8Array(0);
const ZERO_VSN = new Uint8Array(6);

/** Byte-wise equality (Go `bytes.Equal`: nil equals empty). */
export function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? EMPTY;
  const y = b ?? EMPTY;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A 6-byte Vsn from whatever arrived (zero-padded; shared when already 6 bytes). */
export function normalizeVsn(vsn: Uint8Array | null): Uint8Array {
  if (vsn === null || vsn.length === 0) return ZERO_VSN;
  if (vsn.length === 6) return vsn;
  const out = new Uint8Array(6);
  out.set(vsn.subarray(0, 6));
  return out;
}

/** An immutable snapshot of a record. */
export function nodeInfo(r: MemberRecord): NodeInfo {
  return {
    name: r.name,
    addr: r.addr,
    port: r.port,
    address: r.address,
    meta: r.meta,
    state: r.state as NodeStateCode,
    incarnation: r.incarnation,
    vsn: r.vsn,
    stateChangeMs: r.stateChange,
  };
}

/** A NodeInfo for a node described by an alive message (admission delegates, conflicts). */
export function aliveInfo(a: AliveMessage, state: NodeStateCode = NodeStateCode.ALIVE): NodeInfo {
  return {
    name: a.node,
    addr: a.addr,
    port: a.port,
    address: formatAddress(a.addr, a.port),
    meta: a.meta ?? EMPTY,
    state,
    incarnation: a.incarnation,
    vsn: normalizeVsn(a.vsn),
    stateChangeMs: 0,
  };
}

/**
 * The alive message a push/pull entry stands for, one per entry object: a state object shared
 * by several receivers (the simulator) then yields one message, encoded once when re-gossiped.
 */
const aliveOfPushState = new WeakMap<PushNodeState, AliveMessage>();

function aliveFromPushState(r: PushNodeState): AliveMessage {
  let a = aliveOfPushState.get(r);
  if (a === undefined) {
    a = {
      type: "alive",
      incarnation: r.incarnation,
      node: r.name,
      addr: r.addr,
      port: r.port,
      meta: r.meta,
      vsn: r.vsn,
    };
    aliveOfPushState.set(r, a);
  }
  return a;
}

function isDeadOrLeft(state: number): boolean {
  return state === DEAD || state === LEFT;
}

/** Options of one `aliveNode` call. */
export interface AliveOptions {
  /** The local node announcing itself (start-up, meta update): never refute. */
  readonly bootstrap?: boolean;
  /** Runs when the resulting broadcast leaves the queue. */
  readonly finished?: () => void;
}

export class MemberTable {
  /** Probe order. */
  nodes: MemberRecord[] = [];
  readonly byName = new Map<string, MemberRecord>();
  /** The local node has left gracefully (Go `hasLeft`). */
  left = false;
  private readonly ctx: CoreContext;
  /** Go's `m.incarnation` counter: the last incarnation handed out for the local node. */
  private selfIncarnation = 0;
  /** Running suspicions by record. */
  private readonly suspicions = new Map<MemberRecord, SuspicionState>();
  /** Count of records that are alive or suspect (Go `NumMembers`). */
  private live = 0;
  /** Answers to stale accusations and to indirect pings for down nodes (stale-news.ts). */
  readonly staleNews: StaleNewsAnswers;

  constructor(ctx: CoreContext) {
    this.ctx = ctx;
    this.staleNews = new StaleNewsAnswers(ctx, this);
  }

  /** Number of entries in the list, any state (Go `estNumNodes`). */
  get size(): number {
    return this.nodes.length;
  }

  /** Alive + suspect members, the local node included (Go `NumMembers`). */
  get numLive(): number {
    return this.live;
  }

  /** Next incarnation for the local node (Go `nextIncarnation`). */
  nextIncarnation(): number {
    this.selfIncarnation = (this.selfIncarnation + 1) >>> 0;
    return this.selfIncarnation;
  }

  get(name: string): MemberRecord | undefined {
    return this.byName.get(name);
  }

  /** The local node's record (present from construction on). */
  self(): MemberRecord {
    return this.byName.get(this.ctx.selfName) as MemberRecord;
  }

  /** True if any node other than us is neither dead nor left (Go `anyAlive`). */
  anyAlive(): boolean {
    for (const r of this.nodes) {
      if (!isDeadOrLeft(r.state) && r.name !== this.ctx.selfName) return true;
    }
    return false;
  }

  private setState(r: MemberRecord, state: number, now: number): void {
    const wasLive = !isDeadOrLeft(r.state);
    const isLive = !isDeadOrLeft(state);
    if (wasLive !== isLive) this.live += isLive ? 1 : -1;
    r.state = state;
    r.stateChange = now;
  }

  private clearSuspicion(r: MemberRecord): void {
    const s = this.suspicions.get(r);
    if (s === undefined) return;
    this.ctx.cancel(s.timer);
    this.suspicions.delete(r);
  }

  /**
   * Go `aliveNode`: an alive message from gossip, a push/pull alive entry, or the local node
   * announcing itself.
   */
  aliveNode(a: AliveMessage, opts: AliveOptions = {}): void {
    const ctx = this.ctx;
    const self = ctx.selfName;
    // A queued alive about us must not re-join us after Leave().
    if (this.left && a.node === self) return;

    const vsn = a.vsn ?? EMPTY;
    if (vsn.length >= 3) {
      const pMin = vsn[0] as number;
      const pMax = vsn[1] as number;
      if (pMin === 0 || pMax === 0 || pMin > pMax) {
        ctx.emit(
          badVersionsAliveLog(a.node, a.addr, a.port, { pMin, pCur: vsn[2] as number, pMax }),
        );
        ctx.emit({
          type: "rejected",
          kind: "alive",
          node: a.node,
          reason: `protocol versions are wrong: ${pMin} <= ${vsn[2]} <= ${pMax} should be > 0`,
        });
        return;
      }
    }

    const admit = ctx.delegates.notifyAlive;
    if (admit !== undefined) {
      if (vsn.length < 6) {
        ctx.emit(noVsnAliveLog(a.node, a.addr, a.port));
        ctx.emit({ type: "rejected", kind: "alive", node: a.node, reason: "Vsn is not present" });
        return;
      }
      const reason = admit.call(ctx.delegates, aliveInfo(a));
      if (reason !== undefined) {
        ctx.emit(refusedAliveLog(a.node, reason));
        ctx.emit({ type: "rejected", kind: "alive", node: a.node, reason });
        return;
      }
    }

    const now = ctx.now();
    let r = this.byName.get(a.node);
    let updatesNode = false;
    if (r === undefined) {
      // Created "dead" so that the transition to alive below reports a join.
      r = {
        name: a.node,
        addr: a.addr,
        port: a.port,
        address: formatAddress(a.addr, a.port),
        meta: a.meta ?? EMPTY,
        vsn: vsn.length > 5 ? normalizeVsn(vsn) : ZERO_VSN,
        incarnation: 0,
        state: DEAD,
        stateChange: Number.NEGATIVE_INFINITY,
      };
      this.byName.set(a.node, r);
      // Insert at a random position: keeps the expected failure-detection bound low.
      const n = this.nodes.length;
      const offset = randomOffset(ctx.random, n);
      this.nodes.push(r);
      this.nodes[n] = this.nodes[offset] as MemberRecord;
      this.nodes[offset] = r;
    } else if (!bytesEqual(r.addr, a.addr) || r.port !== a.port) {
      const reclaimMs = ctx.options.deadNodeReclaimTimeMs;
      const canReclaim = reclaimMs > 0 && now - r.stateChange > reclaimMs;
      if (r.state === LEFT || (r.state === DEAD && canReclaim)) {
        ctx.emit(updatingAddressLog(r.name, r, a));
        updatesNode = true;
      } else {
        ctx.emit(conflictingAddressLog(r.name, r, a));
        const existing = nodeInfo(r);
        const other = aliveInfo(a);
        ctx.delegates.notifyConflict?.(existing, other);
        ctx.emit({ type: "conflict", existing, other });
        return;
      }
    }

    const isLocal = r.name === self;
    if (a.incarnation <= r.incarnation && !isLocal && !updatesNode) return;
    if (a.incarnation < r.incarnation && isLocal) return;

    this.clearSuspicion(r);
    const oldState = r.state;
    const oldMeta = r.meta;

    if (!opts.bootstrap && isLocal) {
      // Same incarnation with the same content is our own echo; anything else (e.g. a previous
      // life of this node with other meta) must be refuted.
      if (
        a.incarnation === r.incarnation &&
        bytesEqual(a.meta, r.meta) &&
        bytesEqual(a.vsn, r.vsn)
      ) {
        return;
      }
      this.refute(r, a.incarnation, "alive", undefined);
      ctx.emit(refuteAliveLog(a.node, a.addr, a.port, a.meta, r.meta, a.vsn, r.vsn));
    } else {
      ctx.broadcast(a, opts.finished);
      if (vsn.length > 0) r.vsn = normalizeVsn(vsn);
      r.incarnation = a.incarnation;
      r.meta = a.meta ?? EMPTY;
      if (r.addr !== a.addr || r.port !== a.port) {
        if (!bytesEqual(r.addr, a.addr) || r.port !== a.port) {
          r.address = formatAddress(a.addr, a.port);
        }
        r.addr = a.addr;
        r.port = a.port;
      }
      if (r.state !== ALIVE) this.setState(r, ALIVE, now);
    }
    ctx.metrics.msgAlive();

    if (oldState === DEAD || oldState === LEFT) {
      ctx.emit({ type: "join", node: nodeInfo(r) });
    } else if (!bytesEqual(oldMeta, r.meta)) {
      ctx.emit({ type: "update", node: nodeInfo(r) });
    }
  }

  /** Go `suspectNode`. */
  suspectNode(s: SuspectMessage): void {
    const ctx = this.ctx;
    const r = this.byName.get(s.node);
    if (r === undefined) return;
    if (s.incarnation < r.incarnation) {
      if (r.name === ctx.selfName) this.staleNews.staleAccusation(s.from);
      return;
    }

    // An existing suspicion: count a confirmation and re-gossip only news.
    const running = this.suspicions.get(r);
    if (running !== undefined) {
      if (running.suspicion.confirm(s.from)) {
        ctx.broadcast(s);
        this.armSuspicion(r, running);
      }
      return;
    }

    if (r.state !== ALIVE) return;

    if (r.name === ctx.selfName) {
      this.refute(r, s.incarnation, "suspect", s.from);
      ctx.emit(refuteSuspectLog(s.from));
      return;
    }
    ctx.broadcast(s);
    ctx.metrics.msgSuspect();

    const now = ctx.now();
    r.incarnation = s.incarnation;
    this.setState(r, SUSPECT, now);
    const o = ctx.options;
    const params = suspicionParams(
      o.suspicionMult,
      o.suspicionMaxTimeoutMult,
      this.nodes.length,
      o.probeIntervalMs,
    );
    const state: SuspicionState = {
      suspicion: new Suspicion(s.from, params, now),
      timer: undefined,
    };
    this.suspicions.set(r, state);
    this.armSuspicion(r, state);
    ctx.emit({ type: "suspect", node: nodeInfo(r), from: s.from });
  }

  private armSuspicion(r: MemberRecord, state: SuspicionState): void {
    this.ctx.cancel(state.timer);
    const suspicion = state.suspicion;
    // A deadline already in the past fires at the next timeout check ("immediately").
    const at = Math.max(suspicion.deadline, this.ctx.now());
    state.timer = this.ctx.schedule(at, { kind: "suspicion", record: r, suspicion });
  }

  /** The suspicion timer of `r` fired: declare it dead if nothing changed meanwhile. */
  suspicionExpired(r: MemberRecord, suspicion: Suspicion): void {
    if (this.byName.get(r.name) !== r) return;
    const state = this.suspicions.get(r);
    if (state === undefined || state.suspicion !== suspicion || r.state !== SUSPECT) return;
    state.timer = undefined;
    if (suspicion.k > 0 && suspicion.confirmations < suspicion.k) {
      this.ctx.metrics.degradedTimeout();
    }
    this.ctx.emit(markingFailedLog(r.name, suspicion.confirmations));
    this.deadNode({
      type: "dead",
      incarnation: r.incarnation,
      node: r.name,
      from: this.ctx.selfName,
    });
  }

  /**
   * Go `deadNode`.
   * @param finished for the local node's leave: runs when the broadcast leaves the queue.
   */
  deadNode(d: DeadMessage, finished?: () => void): void {
    const ctx = this.ctx;
    const r = this.byName.get(d.node);
    if (r === undefined) return;
    if (d.incarnation < r.incarnation) {
      if (r.name === ctx.selfName) this.staleNews.staleAccusation(d.from);
      return;
    }
    this.clearSuspicion(r);
    if (isDeadOrLeft(r.state)) return;

    if (r.name === ctx.selfName) {
      if (!this.left) {
        this.refute(r, d.incarnation, "dead", d.from);
        ctx.emit(refuteDeadLog(d.from));
        return;
      }
      ctx.broadcast(d, finished);
    } else {
      ctx.broadcast(d);
    }
    ctx.metrics.msgDead();

    r.incarnation = d.incarnation;
    // A node declaring itself dead has left gracefully.
    this.setState(r, d.node === d.from ? LEFT : DEAD, ctx.now());
    ctx.emit({ type: "leave", node: nodeInfo(r) });
  }

  /**
   * Go `refute`: beat `accusedIncarnation`, lose one health point, and broadcast an alive.
   */
  refute(
    me: MemberRecord,
    accusedIncarnation: number,
    reason: "suspect" | "dead" | "alive",
    from: string | undefined,
  ): void {
    let inc = this.nextIncarnation();
    if (accusedIncarnation >= inc) {
      inc = (accusedIncarnation + 1) >>> 0;
      this.selfIncarnation = inc;
    }
    me.incarnation = inc;
    this.ctx.applyAwarenessDelta(1);
    this.ctx.broadcast({
      type: "alive",
      incarnation: inc,
      node: me.name,
      addr: me.addr,
      port: me.port,
      meta: me.meta,
      vsn: me.vsn,
    });
    this.ctx.emit({ type: "refute", reason, accusedIncarnation, incarnation: inc, from });
  }

  /**
   * Go `mergeState`: alive entries go through the alive rule, left entries through the dead
   * rule (From = Node, so they stay left), dead and suspect entries become suspicions raised by
   * us (remote death claims are downgraded).
   */
  mergeState(remote: readonly PushNodeState[]): void {
    const self = this.ctx.selfName;
    for (const r of remote) {
      switch (r.state) {
        case ALIVE:
          this.aliveNode(aliveFromPushState(r));
          break;
        case LEFT:
          this.deadNode({ type: "dead", incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        case DEAD:
        case SUSPECT:
          this.suspectNode({
            type: "suspect",
            incarnation: r.incarnation,
            node: r.name,
            from: self,
          });
          break;
        default:
          break;
      }
    }
  }

  /**
   * Go `resetNodes`, run when the probe index wraps: forget nodes dead for longer than
   * `GossipToTheDeadTime` (left nodes are kept, as in 0.2.2), then shuffle the probe order.
   */
  resetNodes(now: number): void {
    const gttd = this.ctx.options.gossipToTheDeadTimeMs;
    let kept = 0;
    for (const r of this.nodes) {
      if (r.state === DEAD && now - r.stateChange > gttd) {
        this.byName.delete(r.name);
        this.clearSuspicion(r);
        continue;
      }
      this.nodes[kept++] = r;
    }
    this.nodes.length = kept;
    shuffle(this.ctx.random, this.nodes);
  }

  /** Every entry as a push/pull node state (dead and left included). */
  pushStates(): PushNodeState[] {
    return this.nodes.map((r) => ({
      name: r.name,
      addr: r.addr,
      port: r.port,
      meta: r.meta,
      incarnation: r.incarnation,
      state: r.state as NodeStateCode,
      vsn: r.vsn,
    }));
  }
}
