/**
 * Join, leave, reconnect and reap (Go serf.go `Join`, `Leave`, `RemoveFailedNode`,
 * `handleRejoin`, `reconnect`, `reap`, `SetTags`; serf.md §5.5–§5.8): the join operations and
 * their push/pulls, the snapshot rejoin, the graceful-leave progression, force-leave, tag
 * updates waiting for their broadcast, and the periodic reconnect and reap. The machine dispatches their timers and owns the state field;
 * this module owns the operations in flight.
 */

import { type Deadline, formatAddress } from "@serf-ts/memberlist/core";
import type { PreviousNode } from "./snapshot/snapshot-replay.ts";
import { randomIntn } from "./random.ts";
import type { LeavePhase, SerfContext, SerfTimer } from "./serf-context.ts";
import type { MemberState } from "./serf-members.ts";

interface JoinOp {
  readonly id: number;
  readonly pending: Set<number>;
  readonly ignoreOld: boolean;
  contacted: number;
  readonly errors: string[];
}

/** A tag update waiting for memberlist's alive broadcast. */
interface TagsOp {
  readonly op: number;
  timer: Deadline<SerfTimer> | undefined;
}

interface ForceLeaveOp {
  readonly op: number;
  readonly node: string;
  timer: Deadline<SerfTimer> | undefined;
}

export class SerfLifecycle {
  private readonly ctx: SerfContext;
  private readonly joinOps = new Map<number, JoinOp>();
  private readonly joinByExchange = new Map<number, JoinOp>();
  private ignoreOldJoins = 0;
  private rejoinQueue: PreviousNode[] = [];
  private rejoinExchange: number | undefined;
  private rejoinTarget: PreviousNode | undefined;

  private leavePhase: LeavePhase = "idle";
  private leaveTimer: Deadline<SerfTimer> | undefined;
  private readonly forceLeaves = new Map<number, ForceLeaveOp>();
  private readonly tagOps: TagsOp[] = [];

  constructor(ctx: SerfContext) {
    this.ctx = ctx;
  }

  /** Whether a join with `ignoreOld` is running (its push/pulls raise `eventMinTime`). */
  get ignoringOldEvents(): boolean {
    return this.ignoreOldJoins > 0;
  }

  // -------------------------------------------------------------------------------------------
  // Join, rejoin, reconnect

  /** Go `Join`: one push/pull per address; see `SerfMachine.join`. */
  join(addresses: readonly string[], ignoreOld: boolean, now: number): number {
    const op: JoinOp = {
      id: this.ctx.nextOp(),
      pending: new Set(),
      ignoreOld,
      contacted: 0,
      errors: [],
    };
    this.joinOps.set(op.id, op);
    if (ignoreOld) this.ignoreOldJoins++;
    const ids = this.ctx.swimJoin(addresses, now);
    for (const id of ids) {
      op.pending.add(id);
      this.joinByExchange.set(id, op);
    }
    if (op.pending.size === 0) this.finishJoin(op);
    return op.id;
  }

  /** Starts the snapshot rejoin (Go `handleRejoin`) with the previous members. */
  rejoin(candidates: PreviousNode[]): void {
    this.rejoinQueue = candidates;
    this.nextRejoin();
  }

  /** A memberlist push/pull finished (joins and rejoins wait for theirs). */
  onPushPullDone(
    exchange: number,
    join: boolean,
    ok: boolean,
    error: string | undefined,
    peer: string,
  ): void {
    if (!join) return;
    if (exchange === this.rejoinExchange) {
      this.rejoinExchange = undefined;
      if (ok) {
        this.ctx.emit({ type: "rejoin-finished", ok: true, node: this.rejoinTarget?.name });
        this.rejoinQueue = [];
      } else {
        this.nextRejoin();
      }
      return;
    }
    const op = this.joinByExchange.get(exchange);
    if (op === undefined) return;
    this.joinByExchange.delete(exchange);
    op.pending.delete(exchange);
    if (ok) op.contacted++;
    else op.errors.push(`Failed to join ${peer}: ${error ?? "unknown error"}`);
    if (op.pending.size === 0) this.finishJoin(op);
  }

  private finishJoin(op: JoinOp): void {
    this.joinOps.delete(op.id);
    if (op.ignoreOld) this.ignoreOldJoins--;
    if (op.contacted > 0 && this.ctx.state() === "alive") {
      this.ctx.broadcastJoin(this.ctx.clock.time());
    }
    this.ctx.emit({
      type: "join-finished",
      join: op.id,
      contacted: op.contacted,
      error: op.contacted > 0 ? undefined : op.errors.join("; ") || "no addresses to join",
    });
  }

  /** Go `handleRejoin`: previous members from the snapshot, one at a time. */
  private nextRejoin(): void {
    for (;;) {
      const prev = this.rejoinQueue.shift();
      if (prev === undefined) {
        this.rejoinTarget = undefined;
        this.ctx.emit({ type: "rejoin-finished", ok: false, node: undefined });
        return;
      }
      if (prev.name === this.ctx.name) continue;
      this.rejoinTarget = prev;
      this.ctx.log.info("attempting re-join to previously known node", {
        node: prev.name,
        addr: prev.addr,
      });
      const [id] = this.ctx.swimJoin([prev.addr], this.ctx.now());
      if (id === undefined) continue;
      this.rejoinExchange = id;
      return;
    }
  }

  /** Go `reconnect` (serf.md §5.8). */
  reconnect(): void {
    const table = this.ctx.table;
    const failed = table.failed;
    if (failed.length === 0) return;
    const numFailed = failed.length;
    let numAlive = table.size - failed.length - table.left.length;
    if (numAlive <= 0) numAlive = 1;
    if (this.ctx.random.nextFloat() > numFailed / numAlive) return;
    const mem = failed[randomIntn(this.ctx.random, numFailed)] as MemberState;
    const address = formatAddress(mem.member.addr, mem.member.port);
    this.ctx.log.info("attempting reconnect", { node: mem.member.name, address });
    this.ctx.emit({ type: "reconnect", node: mem.member.name, address });
    this.ctx.swimJoin([address], this.ctx.now());
  }

  /** Go `reap` over the failed and left members, and the recent intents. */
  reap(now: number): void {
    const o = this.ctx.options;
    this.ctx.table.reap(now, o.reconnectTimeoutMs, o.tombstoneTimeoutMs, o.recentIntentTimeoutMs);
  }

  /** A pruned member's `prune` timer: it is erased (Go `RemoveFailedNodePrune`). */
  prune(name: string): void {
    this.ctx.table.erasePruned(name);
  }

  // -------------------------------------------------------------------------------------------
  // Leave

  /** Go `Leave` once the state checks passed; see `SerfMachine.leave`. */
  leave(now: number): void {
    this.ctx.setState("leaving");
    this.ctx.snapshotLeave();
    const msg = { lTime: this.ctx.clock.time(), node: this.ctx.name, prune: false };
    this.ctx.clock.increment();
    this.ctx.handleLeaveIntent(msg);
    if (this.ctx.table.hasAliveMembers()) {
      this.leavePhase = "intent";
      this.ctx.queueIntent({ type: "leave", ...msg }, () =>
        this.ctx.defer(() => this.leaveIntentSent()),
      );
      this.leaveTimer = this.ctx.schedule(now + this.ctx.options.broadcastTimeoutMs, {
        kind: "leave-timeout",
        phase: "intent",
      });
    } else {
      this.startMemberlistLeave();
    }
  }

  /** Go `RemoveFailedNode`/`RemoveFailedNodePrune`; see `SerfMachine.forceLeave`. */
  forceLeave(node: string, prune: boolean, now: number): number {
    const op = this.ctx.nextOp();
    const msg = { lTime: this.ctx.clock.time(), node, prune };
    this.ctx.clock.increment();
    this.ctx.handleLeaveIntent(msg);
    if (!this.ctx.table.hasAliveMembers()) {
      this.ctx.emit({ type: "force-leave-finished", op, node, ok: true, error: undefined });
      return op;
    }
    const pending: ForceLeaveOp = { op, node, timer: undefined };
    this.forceLeaves.set(op, pending);
    this.ctx.queueIntent({ type: "leave", ...msg }, () =>
      this.ctx.defer(() => {
        if (!this.forceLeaves.delete(op)) return;
        this.ctx.cancel(pending.timer);
        this.ctx.emit({ type: "force-leave-finished", op, node, ok: true, error: undefined });
      }),
    );
    pending.timer = this.ctx.schedule(now + this.ctx.options.broadcastTimeoutMs, {
      kind: "force-leave-timeout",
      op,
    });
    return op;
  }

  /** memberlist's `leave-complete`: its leave broadcast went out. */
  onLeaveComplete(): void {
    if (this.leavePhase === "memberlist") this.leavePropagate();
  }

  private leaveIntentSent(): void {
    if (this.leavePhase !== "intent") return;
    this.ctx.cancel(this.leaveTimer);
    this.startMemberlistLeave();
  }

  private startMemberlistLeave(): void {
    this.leavePhase = "memberlist";
    this.ctx.swimLeave(this.ctx.now());
    if (this.leavePhase !== "memberlist") return; // leave-complete already handled
    if (this.ctx.isLeaveComplete()) {
      this.leavePropagate();
      return;
    }
    this.leaveTimer = this.ctx.schedule(this.ctx.now() + this.ctx.options.broadcastTimeoutMs, {
      kind: "leave-timeout",
      phase: "memberlist",
    });
  }

  private leavePropagate(): void {
    if (this.leavePhase !== "memberlist") return;
    this.ctx.cancel(this.leaveTimer);
    this.leavePhase = "propagate";
    this.ctx.schedule(this.ctx.now() + this.ctx.options.leavePropagateDelayMs, {
      kind: "leave-propagated",
    });
  }

  /** The `leave-timeout` timer of one leave phase. */
  onLeaveTimeout(phase: LeavePhase): void {
    if (this.leavePhase !== phase) return;
    this.leavePhase = "failed";
    this.ctx.emit({
      type: "leave-finished",
      ok: false,
      error:
        phase === "intent"
          ? "timeout while waiting for graceful leave"
          : "timeout waiting for leave broadcast",
    });
  }

  /** The `leave-propagated` timer: LeavePropagateDelay is over, the node has left. */
  onLeavePropagated(): void {
    if (this.leavePhase !== "propagate") return;
    this.leavePhase = "done";
    if (this.ctx.state() !== "shutdown") this.ctx.setState("left");
    this.ctx.emit({ type: "leave-finished", ok: true, error: undefined });
  }

  /** The `force-leave-timeout` timer of one force-leave. */
  onForceLeaveTimeout(op: number): void {
    const p = this.forceLeaves.get(op);
    if (p === undefined) return;
    this.forceLeaves.delete(op);
    this.ctx.emit({
      type: "force-leave-finished",
      op,
      node: p.node,
      ok: false,
      error: "timed out broadcasting node removal",
    });
  }

  // -------------------------------------------------------------------------------------------
  // Tags (Go `SetTags`: done when memberlist's alive broadcast is out)

  /** The new meta went to memberlist (see `SerfMachine.setTags`); `tags-updated` follows. */
  tagsUpdating(op: number, now: number): void {
    if (this.ctx.isUpdateComplete()) {
      this.ctx.emit({ type: "tags-updated", op, ok: true, error: undefined });
    } else {
      const timer = this.ctx.schedule(now + this.ctx.options.broadcastTimeoutMs, {
        kind: "tags-timeout",
        op,
      });
      this.tagOps.push({ op, timer });
    }
  }

  /** memberlist's `update-complete`: every pending tag update is out. */
  onUpdateComplete(): void {
    this.resolveTagOps(true, undefined);
  }

  private resolveTagOps(ok: boolean, error: string | undefined): void {
    for (const p of this.tagOps.splice(0)) {
      this.ctx.cancel(p.timer);
      this.ctx.emit({ type: "tags-updated", op: p.op, ok, error });
    }
  }

  /** The `tags-timeout` timer of one tag update. */
  onTagsTimeout(op: number): void {
    const i = this.tagOps.findIndex((p) => p.op === op);
    if (i < 0) return;
    this.tagOps.splice(i, 1);
    this.ctx.emit({
      type: "tags-updated",
      op,
      ok: false,
      error: "timeout waiting for update broadcast",
    });
  }
}
