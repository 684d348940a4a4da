/**
 * serf's member table (serf.md §5): every member with its serf status, status LTime and leave
 * time, the failed and left lists, and the recent-intent buffer. It applies memberlist
 * notifications (join / leave / update) and join/leave intents exactly as Go serf 0.9.4's
 * `handleNodeJoin`, `handleNodeLeave`, `handleNodeUpdate`, `handleNodeLeaveIntent` and
 * `handleNodeJoinIntent`, and reaps. Side effects that belong to the machine (events,
 * refuting our own leave, delayed prunes) go through {@link MemberTableContext}.
 */

import { decodeTags } from "@serf-ts/wire";
import type { Member } from "./events.ts";
import { MemberStatus } from "@serf-ts/wire";
import { RecentIntents } from "./recent-intents.ts";
import type { SerfMetrics } from "./serf-metrics.ts";
import type { MemberEventType } from "@serf-ts/wire";

/** What the table needs from a memberlist node notification. */
export interface NodeView {
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly meta: Uint8Array;
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]`. */
  readonly vsn: Uint8Array;
}

/** One member record (mutable inside the table; `member` is replaced on every change). */
export interface MemberState {
  member: Member;
  /** LTime of the last intent applied (Go `statusLTime`). */
  statusLTime: number;
  /** Driver time (ms) the member became failed or left; `undefined` while alive/leaving. */
  leaveTime: number | undefined;
}

/** Hooks into the machine. */
export interface MemberTableContext {
  readonly selfName: string;
  /** Time of the input being processed (ms). */
  now(): number;
  /** The local serf instance is alive (not leaving/left/shut down). */
  localAlive(): boolean;
  /** Emits a member event with one member. */
  emitMember(type: MemberEventType, member: Member, forced?: boolean): void;
  /** Broadcasts a fresh join intent to refute a leave intent about ourselves. */
  refuteLeave(): void;
  /** Schedules `erase(name)` after `BroadcastTimeout + LeavePropagateDelay` (prune of a leaving member). */
  schedulePrune(name: string): void;
  /** A member was erased (forget its coordinate). */
  onErase(name: string): void;
  /** A failed member came back within `FlapTimeout` (Go only counts a metric). */
  onFlap?(name: string): void;
  readonly flapTimeoutMs: number;
  /** Member counters (`serf.member.*`). */
  readonly metrics?: SerfMetrics | undefined;
}

/** A leave intent as applied (received, local, or synthesised from a push/pull). */
export interface LeaveIntent {
  readonly lTime: number;
  readonly node: string;
  readonly prune: boolean;
}

/** A join intent as applied. */
export interface JoinIntent {
  readonly lTime: number;
  readonly node: string;
}

/** Tags decoded as Go does; a malformed map yields what could be read (here: nothing). */
export function decodeMemberTags(meta: Uint8Array): Record<string, string> {
  let tags: Map<string, string>;
  try {
    tags = decodeTags(meta);
  } catch {
    tags = new Map();
  }
  return Object.fromEntries(tags);
}

function withStatus(m: Member, status: MemberStatus): Member {
  return { ...m, status };
}

/** A `Member` from a memberlist node view (Go builds it field by field). */
export function memberFrom(n: NodeView, status: MemberStatus): Member {
  return {
    name: n.name,
    addr: n.addr,
    port: n.port,
    tags: decodeMemberTags(n.meta),
    status,
    protocolMin: n.vsn[0] ?? 0,
    protocolMax: n.vsn[1] ?? 0,
    protocolCur: n.vsn[2] ?? 0,
    delegateMin: n.vsn[3] ?? 0,
    delegateMax: n.vsn[4] ?? 0,
    delegateCur: n.vsn[5] ?? 0,
  };
}

function removeFrom(list: MemberState[], name: string): void {
  const i = list.findIndex((s) => s.member.name === name);
  if (i >= 0) list.splice(i, 1);
}

export class SerfMemberTable {
  /** Every member, any status, in insertion order. */
  readonly members = new Map<string, MemberState>();
  /** Members in status failed (Go `failedMembers`). */
  readonly failed: MemberState[] = [];
  /** Members in status left (Go `leftMembers`). */
  readonly left: MemberState[] = [];
  /** Intents received for members memberlist has not reported yet. */
  readonly intents = new RecentIntents();
  private readonly ctx: MemberTableContext;

  constructor(ctx: MemberTableContext) {
    this.ctx = ctx;
  }

  get size(): number {
    return this.members.size;
  }

  get(name: string): MemberState | undefined {
    return this.members.get(name);
  }

  /** Snapshot of every member (Go `Members`). */
  list(): Member[] {
    return Array.from(this.members.values(), (s) => s.member);
  }

  /** True if a member other than ourselves is alive (Go `hasAliveMembers`). */
  hasAliveMembers(): boolean {
    for (const s of this.members.values()) {
      if (s.member.name !== this.ctx.selfName && s.member.status === MemberStatus.ALIVE) {
        return true;
      }
    }
    return false;
  }

  /** Go `handleNodeJoin`. */
  nodeJoined(n: NodeView): void {
    const ctx = this.ctx;
    let s = this.members.get(n.name);
    let oldStatus: MemberStatus = MemberStatus.NONE;
    if (s === undefined) {
      let status: MemberStatus = MemberStatus.ALIVE;
      let statusLTime = 0;
      // Only one intent is kept per node: the newest decides.
      const join = this.intents.get(n.name, "join");
      if (join !== undefined) statusLTime = join;
      const leave = this.intents.get(n.name, "leave");
      if (leave !== undefined) {
        status = MemberStatus.LEAVING;
        statusLTime = leave;
      }
      s = { member: memberFrom(n, status), statusLTime, leaveTime: undefined };
      this.members.set(n.name, s);
    } else {
      oldStatus = s.member.status;
      if (
        oldStatus === MemberStatus.FAILED &&
        s.leaveTime !== undefined &&
        ctx.now() - s.leaveTime < ctx.flapTimeoutMs
      ) {
        ctx.onFlap?.(n.name);
      }
      s.member = memberFrom(n, MemberStatus.ALIVE);
      s.leaveTime = undefined;
    }
    if (oldStatus === MemberStatus.FAILED || oldStatus === MemberStatus.LEFT) {
      removeFrom(this.failed, n.name);
      removeFrom(this.left, n.name);
    }
    ctx.metrics?.memberJoin();
    ctx.emitMember("member-join", s.member);
  }

  /** Go `handleNodeLeave`: memberlist declared the node dead or left. */
  nodeLeft(name: string): void {
    const s = this.members.get(name);
    if (s === undefined) return;
    const status = s.member.status;
    if (status === MemberStatus.LEAVING) {
      s.member = withStatus(s.member, MemberStatus.LEFT);
      s.leaveTime = this.ctx.now();
      this.left.push(s);
      this.ctx.metrics?.memberGone("left");
      this.ctx.emitMember("member-leave", s.member);
    } else if (status === MemberStatus.ALIVE) {
      s.member = withStatus(s.member, MemberStatus.FAILED);
      s.leaveTime = this.ctx.now();
      this.failed.push(s);
      this.ctx.metrics?.memberGone("failed");
      this.ctx.emitMember("member-failed", s.member);
    }
    // Other statuses: Go logs "Bad state when leave" and ignores it.
  }

  /** Go `handleNodeUpdate`: new address, port, tags, versions; status unchanged. */
  nodeUpdated(n: NodeView): void {
    const s = this.members.get(n.name);
    if (s === undefined) return;
    s.member = memberFrom(n, s.member.status);
    this.ctx.metrics?.memberUpdate();
    this.ctx.emitMember("member-update", s.member);
  }

  /**
   * Go `handleNodeLeaveIntent` (after the caller witnessed the LTime).
   * @returns whether the intent is news to rebroadcast.
   */
  applyLeaveIntent(msg: LeaveIntent): boolean {
    const ctx = this.ctx;
    const s = this.members.get(msg.node);
    if (s === undefined) return this.intents.upsert(msg.node, "leave", msg.lTime, ctx.now());
    if (msg.lTime <= s.statusLTime) return false;
    if (msg.node === ctx.selfName && ctx.localAlive()) {
      ctx.refuteLeave();
      return false;
    }
    // Always record the LTime, even without a status change (Go's fix against endless
    // rebroadcasts of leave intents for members already leaving/left).
    s.statusLTime = msg.lTime;
    switch (s.member.status) {
      case MemberStatus.ALIVE:
        s.member = withStatus(s.member, MemberStatus.LEAVING);
        if (msg.prune) this.prune(s);
        return true;
      case MemberStatus.FAILED:
        s.member = withStatus(s.member, MemberStatus.LEFT);
        removeFrom(this.failed, s.member.name);
        this.left.push(s);
        ctx.emitMember("member-leave", s.member, true);
        if (msg.prune) this.prune(s);
        return true;
      case MemberStatus.LEAVING:
      case MemberStatus.LEFT:
        if (msg.prune) this.prune(s);
        return true;
      default:
        return false;
    }
  }

  /**
   * Go `handleNodeJoinIntent` (after the caller witnessed the LTime).
   * @returns whether the intent is news to rebroadcast.
   */
  applyJoinIntent(msg: JoinIntent): boolean {
    const s = this.members.get(msg.node);
    if (s === undefined) return this.intents.upsert(msg.node, "join", msg.lTime, this.ctx.now());
    if (msg.lTime <= s.statusLTime) return false;
    s.statusLTime = msg.lTime;
    if (s.member.status === MemberStatus.LEAVING) {
      s.member = withStatus(s.member, MemberStatus.ALIVE);
    }
    return true;
  }

  /** Go `handlePrune`: a leaving member is erased after a delay, others at once. */
  private prune(s: MemberState): void {
    if (s.member.status === MemberStatus.LEAVING) {
      this.ctx.schedulePrune(s.member.name);
      return;
    }
    this.erasePruned(s.member.name);
  }

  /** The forced reap of a pruned member (also run when a scheduled prune is due). */
  erasePruned(name: string): void {
    const s = this.members.get(name);
    if (s === undefined) return;
    const status = s.member.status;
    if (status === MemberStatus.LEAVING || status === MemberStatus.LEFT)
      removeFrom(this.left, name);
    this.erase(s, true);
  }

  /** Go `eraseNode`: forget the member and emit `member-reap`. */
  erase(s: MemberState, forced = false): void {
    const name = s.member.name;
    this.members.delete(name);
    removeFrom(this.failed, name);
    removeFrom(this.left, name);
    this.ctx.onErase(name);
    this.ctx.emitMember("member-reap", s.member, forced);
  }

  /**
   * Go `handleReap`: failed members older than `reconnectTimeoutMs`, left members older than
   * `tombstoneTimeoutMs`, recent intents older than `intentTimeoutMs` (all strictly older).
   */
  reap(
    now: number,
    reconnectTimeoutMs: number,
    tombstoneTimeoutMs: number,
    intentTimeoutMs: number,
  ): void {
    for (const s of [...this.failed]) {
      if (now - (s.leaveTime ?? now) > reconnectTimeoutMs) this.erase(s);
    }
    for (const s of [...this.left]) {
      if (now - (s.leaveTime ?? now) > tombstoneTimeoutMs) this.erase(s);
    }
    this.intents.reap(now, intentTimeoutMs);
  }
}
