/**
 * The delegate side of serf (Go delegate.go, `handleNodeJoinIntent`/`handleNodeLeaveIntent`,
 * `broadcastJoin`, `checkQueueDepth`): the memberlist delegates serf implements — node meta,
 * user messages in (intents, user events, queries, responses, relays), broadcasts out from
 * the intent → query → event queues, push/pull state, ack payloads and ping completion for
 * Vivaldi, and the merge admission filter.
 */

import type { CoreDelegates, NodeInfo, TransmitLimitedQueue } from "@serf-ts/memberlist/core";
import { formatAddress } from "@serf-ts/memberlist/core";
import {
  type Coordinate,
  decodeAckPayload,
  decodeSerfMessage,
  encodeAckPayload,
  encodeSerfMessage,
  type SerfMessage,
  NodeStateCode,
  SerfMessageType,
} from "@serf-ts/wire";
import type { VivaldiClient } from "./coordinate/client.ts";
import { distanceNs } from "./coordinate/vivaldi.ts";
import type { Member, SerfQueueDepthEvent } from "./events.ts";
import { MemberStatus } from "@serf-ts/wire";
import { messageOf, type SerfBroadcast, type SerfContext } from "./serf-context.ts";
import type { SerfLifecycle } from "./serf-lifecycle.ts";
import { memberFrom } from "./serf-members.ts";
import type { SerfQueries } from "./serf-queries.ts";

export class SerfDelegate {
  private readonly ctx: SerfContext;
  private readonly queries: SerfQueries;
  private readonly lifecycle: SerfLifecycle;

  constructor(ctx: SerfContext, queries: SerfQueries, lifecycle: SerfLifecycle) {
    this.ctx = ctx;
    this.queries = queries;
    this.lifecycle = lifecycle;
  }

  /**
   * Runs input handling that must not throw into the SwimMachine (a throw there would leave
   * memberlist's processing half done): unexpected errors are logged and the input dropped.
   */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.log.error(`failed to handle ${what}`, { error: messageOf(err) });
    }
  }

  makeDelegates(): CoreDelegates {
    const delegates: CoreDelegates = {
      nodeMeta: () => this.ctx.encodeLocalTags(),
      notifyUserMessage: (payload) => {
        this.ctx.syncSwimEvents();
        this.guarded("user message", () => this.handleUserMessage(payload));
      },
      getBroadcasts: (overhead, limit) => this.getBroadcasts(overhead, limit),
      hasBroadcasts: () =>
        this.ctx.intentQueue.numQueued() +
          this.ctx.eventQueue.numQueued() +
          this.ctx.queryQueue.numQueued() >
        0,
      localState: () => {
        this.ctx.syncSwimEvents();
        return this.localState();
      },
      mergeRemoteState: (state, join) => {
        this.ctx.syncSwimEvents();
        this.guarded("remote state", () => this.mergeRemoteState(state, join));
      },
    };
    const merge = this.ctx.merge;
    if (merge !== undefined) {
      const toMember = (n: NodeInfo): Member =>
        memberFrom(n, n.state === NodeStateCode.LEFT ? MemberStatus.LEFT : MemberStatus.NONE);
      delegates.notifyMerge = (nodes) => merge(nodes.map(toMember));
      delegates.notifyAlive = (node) => merge([toMember(node)]);
    }
    if (this.ctx.options.disableCoordinates) return delegates;
    return {
      ...delegates,
      ackPayload: () => encodeAckPayload((this.ctx.vivaldi as VivaldiClient).getCoordinate()),
      notifyPingComplete: (node, rttMs, payload) => this.notifyPingComplete(node, rttMs, payload),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Broadcasts and push/pull (delegates)

  queueIntent(msg: SerfMessage, finished?: () => void): void {
    const message = encodeSerfMessage(msg);
    this.ctx.intentQueue.queueBroadcast(
      finished === undefined ? { message } : { message, finished },
    );
  }

  /** Go `delegate.GetBroadcasts`: intents, then queries, then events, within `limit`. */
  private getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.collectBroadcasts(overhead, limit);
    this.ctx.metrics.messagesSent(out);
    return out;
  }

  private collectBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.ctx.intentQueue.getBroadcasts(overhead, limit);
    let used = 0;
    for (const m of out) used += m.length + overhead;
    for (const m of this.ctx.queryQueue.getBroadcasts(overhead, limit - used)) {
      out.push(m);
      used += m.length + overhead;
    }
    for (const m of this.ctx.eventQueue.getBroadcasts(overhead, limit - used)) {
      out.push(m);
      used += m.length + overhead;
    }
    return out;
  }

  /** Go `delegate.LocalState`. */
  private localState(): Uint8Array {
    const statusLTimes = new Map<string, number>();
    for (const [name, s] of this.ctx.table.members) statusLTimes.set(name, s.statusLTime);
    return encodeSerfMessage({
      type: "push-pull",
      lTime: this.ctx.clock.time(),
      statusLTimes,
      leftMembers: this.ctx.table.left.map((s) => s.member.name),
      eventLTime: this.ctx.eventClock.time(),
      events: this.ctx.eventBuffer.slots(),
      queryLTime: this.ctx.queryClock.time(),
    });
  }

  /** Go `delegate.MergeRemoteState` (serf.md §5.5). */
  private mergeRemoteState(buf: Uint8Array, isJoin: boolean): void {
    if (buf.length === 0) {
      this.ctx.log.error("remote state is zero bytes");
      return;
    }
    if (buf[0] !== SerfMessageType.PUSH_PULL) {
      this.ctx.log.error("remote state has bad type prefix", { prefix: buf[0] });
      return;
    }
    if (this.ctx.dropper(SerfMessageType.PUSH_PULL)) return;
    let pp: SerfMessage;
    try {
      pp = decodeSerfMessage(buf);
    } catch (err) {
      this.ctx.log.error("failed to decode remote state", { error: messageOf(err) });
      return;
    }
    if (pp.type !== "push-pull") return;
    if (pp.lTime > 0) this.ctx.clock.witness(pp.lTime - 1);
    if (pp.eventLTime > 0) this.ctx.eventClock.witness(pp.eventLTime - 1);
    if (pp.queryLTime > 0) this.ctx.queryClock.witness(pp.queryLTime - 1);

    const left = new Set<string>();
    for (const name of pp.leftMembers) {
      left.add(name);
      this.handleLeaveIntent({
        lTime: (pp.statusLTimes.get(name) ?? 0) + 1,
        node: name,
        prune: false,
      });
    }
    for (const [name, lTime] of pp.statusLTimes) {
      if (left.has(name)) continue;
      this.handleJoinIntent({ lTime, node: name });
    }
    if (isJoin && this.lifecycle.ignoringOldEvents)
      this.ctx.eventBuffer.raiseMinTime(pp.eventLTime);
    for (const slot of pp.events) {
      if (slot === null) continue;
      for (const e of slot.events) {
        this.ctx.handleUserEvent({
          type: "user-event",
          lTime: slot.lTime,
          name: e.name,
          payload: e.payload,
          cc: false,
        });
      }
    }
  }

  private notifyPingComplete(node: NodeInfo, rttMs: number, payload: Uint8Array | null): void {
    const v = this.ctx.vivaldi;
    if (v === undefined || payload === null || payload.length === 0) return;
    let coord: Coordinate | null;
    try {
      coord = decodeAckPayload(payload);
    } catch (err) {
      this.ctx.log.error("failed to decode coordinate from ping", { error: messageOf(err) });
      return;
    }
    if (coord === null) return;
    const before = v.getCoordinate();
    const r = v.update(node.name, coord, rttMs);
    if (!r.ok) {
      this.ctx.metrics.coordinateRejected();
      this.ctx.log.debug("rejected coordinate", { node: node.name, reason: r.message });
      return;
    }
    this.ctx.metrics.coordinateAdjustment(distanceNs(before, r.coordinate) / 1e6);
    this.ctx.coordCache.set(node.name, coord);
    this.ctx.coordCache.set(this.ctx.name, r.coordinate);
  }

  // -------------------------------------------------------------------------------------------
  // Serf messages

  /** Go `delegate.NotifyMsg`. */
  private handleUserMessage(buf: Uint8Array): void {
    if (buf.length === 0) return;
    this.ctx.metrics.messageReceived(buf.length);
    const t = buf[0] as number;
    if (this.ctx.dropper(t as SerfMessageType)) return;
    let msg: SerfMessage;
    try {
      msg = decodeSerfMessage(buf);
    } catch (err) {
      this.ctx.log.error("error decoding serf message", { type: t, error: messageOf(err) });
      return;
    }
    let rebroadcast = false;
    let queue = this.ctx.intentQueue;
    switch (msg.type) {
      case "leave":
        this.ctx.log.debug("messageLeaveType", { node: msg.node });
        rebroadcast = this.handleLeaveIntent(msg);
        break;
      case "join":
        this.ctx.log.debug("messageJoinType", { node: msg.node });
        rebroadcast = this.handleJoinIntent(msg);
        break;
      case "user-event":
        rebroadcast = this.ctx.handleUserEvent(msg);
        queue = this.ctx.eventQueue;
        break;
      case "query":
        rebroadcast = this.queries.handleQuery(msg);
        queue = this.ctx.queryQueue;
        break;
      case "query-response":
        this.queries.handleQueryResponse(msg);
        break;
      case "relay": {
        const to = formatAddress(msg.destAddr.ip, msg.destAddr.port);
        this.ctx.log.debug("relaying response", { to });
        this.ctx.sendTo(to, msg.message, msg.destName);
        break;
      }
      default:
        this.ctx.log.warn("received message of unknown type", { type: t });
    }
    if (rebroadcast) queue.queueBroadcast({ message: buf.slice() });
  }

  /** Witness + Go `handleNodeLeaveIntent`. */
  handleLeaveIntent(msg: { lTime: number; node: string; prune: boolean }): boolean {
    this.ctx.clock.witness(msg.lTime);
    return this.ctx.table.applyLeaveIntent(msg);
  }

  /** Witness + Go `handleNodeJoinIntent`. */
  private handleJoinIntent(msg: { lTime: number; node: string }): boolean {
    this.ctx.clock.witness(msg.lTime);
    return this.ctx.table.applyJoinIntent(msg);
  }

  /** Go `broadcastJoin`. */
  broadcastJoin(lTime: number): void {
    this.ctx.clock.witness(lTime);
    this.handleJoinIntent({ lTime, node: this.ctx.name });
    this.queueIntent({ type: "join", lTime, node: this.ctx.name });
  }

  /** Go `checkQueueDepth` for the intent, event and query queues. */
  checkQueues(): void {
    this.checkQueue("intent", this.ctx.intentQueue);
    this.checkQueue("event", this.ctx.eventQueue);
    this.checkQueue("query", this.ctx.queryQueue);
  }

  /** Go `checkQueueDepth` for one queue. */
  private checkQueue(
    queue: SerfQueueDepthEvent["queue"],
    q: TransmitLimitedQueue<SerfBroadcast>,
  ): void {
    const depth = q.numQueued();
    this.ctx.metrics.queueDepth(queue, depth);
    const o = this.ctx.options;
    let limit = o.maxQueueDepth;
    if (o.minQueueDepth > 0) limit = Math.max(o.minQueueDepth, 2 * this.ctx.table.size);
    if (depth < o.queueDepthWarning && depth <= limit) return;
    let dropped = 0;
    if (depth > limit) {
      q.prune(limit);
      dropped = depth - q.numQueued();
      this.ctx.log.warn("queue depth exceeds limit, dropping messages", { queue, depth, limit });
    } else {
      this.ctx.log.warn("queue depth", { queue, depth });
    }
    this.ctx.emit({ type: "queue-depth", queue, depth, limit, dropped });
  }
}
