/**
 * Failure detection (Go `probe` / `probeNode` / `handlePing` / `handleIndirectPing` /
 * `handleAck` / `handleNack`), memberlist.md §9.2–9.4:
 *
 * 1. Round-robin over the member list (self, dead and left skipped; suspects probed). When
 *    the index wraps, dead nodes past `GossipToTheDeadTime` are reaped and the list shuffled.
 * 2. Direct UDP ping (alive target, piggy-backed, no CRC) or `compound{ping, suspect}` with CRC
 *    for a suspect target. Probe deadline = send time + `ProbeInterval × (health + 1)`.
 * 3. No ack within `ProbeTimeout` → `indirectPing` via up to `IndirectChecks` random alive
 *    nodes (nack requested from PMax ≥ 4 peers) and, to PMax ≥ 3 targets, a TCP fallback ping.
 * 4. Any ack before the deadline → success (health −1; only a direct-phase ack feeds the ping
 *    delegate with the RTT). Else TCP success → success; else suspect the target and add
 *    `expectedNacks − nacks` (or 1 without nack peers) to the health score.
 *
 * Probes do not overlap: a probe tick arriving while a probe runs is remembered (Go's ticker
 * channel holds one tick) and starts the next probe as soon as the current one ends.
 */

import type { AckMessage, IndirectPingMessage, NackMessage, PingMessage } from "@serf-ts/wire";
import { formatAddress } from "./address.ts";
import {
  ALIVE,
  type CoreContext,
  DEAD,
  LEFT,
  type MemberRecord,
  type TimerPayload,
} from "./context.ts";
import type { Deadline } from "./deadlines.ts";
import {
  failedFallbackPingLog,
  failedPingLog,
  fallbackOnlyLog,
  suspectFailedLog,
  unexpectedPingLog,
} from "./log-records.ts";
import { kRandomNodes } from "./math.ts";
import { type MemberTable, nodeInfo } from "./members.ts";

/** A probe in flight. */
interface ProbeRun {
  readonly seqNo: number;
  /** Snapshot of the target when the probe started (Go copies the node state). */
  readonly target: MemberRecord;
  readonly targetIncarnation: number;
  /** When the direct ping left: planned time, then the driver's `handlePingSent` stamp. */
  sentAt: number;
  readonly deadline: number;
  indirect: boolean;
  expectedNacks: number;
  nacks: number;
  tcpExchange: number | undefined;
  tcpOk: boolean;
  timeoutTimer: Deadline<TimerPayload> | undefined;
  deadlineTimer: Deadline<TimerPayload> | undefined;
}

/** An indirect ping we serve for another node (Go `handleIndirectPing`). */
interface Relay {
  readonly requestSeqNo: number;
  readonly requester: string;
  readonly requesterNode: string | undefined;
  readonly nack: boolean;
  readonly timer: Deadline<TimerPayload>;
}

export class Prober {
  private readonly ctx: CoreContext;
  private readonly table: MemberTable;
  private readonly selfAddr: Uint8Array;
  private readonly selfPort: number;
  private probeIndex = 0;
  private running: ProbeRun | undefined;
  private tickPending = false;
  private readonly relays = new Map<number, Relay>();

  constructor(ctx: CoreContext, table: MemberTable, selfAddr: Uint8Array, selfPort: number) {
    this.ctx = ctx;
    this.table = table;
    this.selfAddr = selfAddr;
    this.selfPort = selfPort;
  }

  /** True while a probe is waiting for its outcome. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** A probe tick: probe the next node, or remember the tick if a probe is running. */
  tick(): void {
    if (this.running !== undefined) {
      this.tickPending = true;
      return;
    }
    this.probe();
  }

  /** Go `probe`: pick the next probe-able node round-robin and probe it. */
  private probe(): void {
    const table = this.table;
    const self = this.ctx.selfName;
    let numCheck = 0;
    for (;;) {
      if (numCheck >= table.nodes.length) return;
      if (this.probeIndex >= table.nodes.length) {
        table.resetNodes(this.ctx.now());
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = table.nodes[this.probeIndex] as MemberRecord;
      this.probeIndex++;
      if (node.name === self || node.state === DEAD || node.state === LEFT) {
        numCheck++;
        continue;
      }
      this.probeNode(node);
      return;
    }
  }

  private selfPing(seqNo: number, node: string): PingMessage {
    return {
      type: "ping",
      seqNo,
      node,
      sourceAddr: this.selfAddr,
      sourcePort: this.selfPort,
      sourceNode: this.ctx.selfName,
    };
  }

  /** Go `probeNode` up to the direct-ack wait. */
  probeNode(node: MemberRecord): void {
    const ctx = this.ctx;
    const now = ctx.now();
    const interval = ctx.awareness.scaleTimeout(ctx.options.probeIntervalMs);
    if (interval > ctx.options.probeIntervalMs) ctx.metrics.degradedProbe();
    const seqNo = ctx.nextSeqNo();
    const ping = this.selfPing(seqNo, node.name);
    // Snapshot: later changes to the record must not affect this probe.
    const target: MemberRecord = { ...node };
    const run: ProbeRun = {
      seqNo,
      target,
      targetIncarnation: node.incarnation,
      sentAt: now,
      deadline: now + interval,
      indirect: false,
      expectedNacks: 0,
      nacks: 0,
      tcpExchange: undefined,
      tcpOk: false,
      timeoutTimer: undefined,
      deadlineTimer: undefined,
    };
    this.running = run;
    // Direct phase ends after ProbeTimeout (not scaled) or at the deadline, whichever is first.
    run.timeoutTimer = ctx.schedule(now + Math.min(ctx.options.probeTimeoutMs, interval), {
      kind: "probe-timeout",
      seqNo,
    });
    run.deadlineTimer = ctx.schedule(run.deadline, { kind: "probe-deadline", seqNo });

    if (node.state === ALIVE) {
      ctx.sendMessage(node.address, node.name, ping, seqNo);
    } else {
      // Give a suspect node the accusation along with the ping so it can refute at once.
      ctx.sendRaw(
        node.address,
        node.name,
        [
          ping,
          { type: "suspect", incarnation: node.incarnation, node: node.name, from: ctx.selfName },
        ],
        (node.vsn[1] as number) >= 5,
        seqNo,
      );
    }
  }

  /** The direct ping of probe `seqNo` leaves at `now` (see `SwimMachine.handlePingSent`). */
  pingSent(seqNo: number, now: number): void {
    const run = this.running;
    if (run === undefined || run.seqNo !== seqNo || run.indirect) return;
    if (now > run.sentAt) run.sentAt = now;
  }

  /** The direct phase timed out: indirect pings and the TCP fallback. */
  directTimeout(seqNo: number): void {
    const run = this.running;
    if (run === undefined || run.seqNo !== seqNo || run.indirect) return;
    run.indirect = true;
    run.timeoutTimer = undefined;
    const ctx = this.ctx;
    const target = run.target;
    ctx.emit(failedPingLog(target.name));
    const self = ctx.selfName;
    const peers = kRandomNodes(
      ctx.random,
      ctx.options.indirectChecks,
      this.table.nodes,
      (n) => n.name === self || n.name === target.name || n.state !== ALIVE,
    );
    for (const peer of peers) {
      const nack = (peer.vsn[1] as number) >= 4;
      if (nack) run.expectedNacks++;
      const ind: IndirectPingMessage = {
        type: "indirect-ping",
        seqNo: run.seqNo,
        target: target.addr,
        port: target.port,
        node: target.name,
        nack,
        sourceAddr: this.selfAddr,
        sourcePort: this.selfPort,
        sourceNode: self,
      };
      ctx.sendMessage(peer.address, peer.name, ind);
    }

    if (!ctx.options.disableTcpPings && (target.vsn[1] as number) >= 3) {
      const timeoutMs = Math.max(0, run.deadline - ctx.now());
      run.tcpExchange = ctx.openStream(
        target.address,
        target.name,
        this.selfPing(run.seqNo, target.name),
        timeoutMs,
        (reply) => {
          if (this.running !== run) return { ok: false, error: "probe already finished" };
          if (!("type" in reply)) {
            // Go keeps quiet about dial errors ("if the node is actually dead we expect this").
            if (reply.connected === true) ctx.emit(failedFallbackPingLog(reply.error));
            return { ok: false, error: reply.error };
          }
          if (reply.type !== "ack") {
            ctx.emit(failedFallbackPingLog(`Unexpected ${reply.type} reply to a ping`));
            return { ok: false, error: `unexpected ${reply.type} reply to a ping` };
          }
          if (reply.seqNo !== run.seqNo) {
            const error = `sequence number from ack (${reply.seqNo}) doesn't match ping (${run.seqNo})`;
            ctx.emit(failedFallbackPingLog(`S${error.slice(1)}`));
            return { ok: false, error };
          }
          run.tcpOk = true;
          return { ok: true, error: undefined };
        },
      );
    }
  }

  /** The probe deadline passed without an ack. */
  deadlineReached(seqNo: number): void {
    const run = this.running;
    if (run === undefined || run.seqNo !== seqNo) return;
    run.deadlineTimer = undefined;
    if (!run.indirect) {
      // ProbeTimeout >= the probe interval: Go still sends the indirect pings first.
      this.directTimeout(seqNo);
    }
    const ctx = this.ctx;
    if (run.tcpOk) {
      ctx.emit(fallbackOnlyLog(run.target.name));
      ctx.emit({ type: "probe-fallback", node: run.target.name });
      this.finish(run, -1);
      this.afterProbe();
      return;
    }
    let delta = 0;
    if (run.expectedNacks > 0) {
      if (run.nacks < run.expectedNacks) delta += run.expectedNacks - run.nacks;
    } else {
      delta += 1;
    }
    this.finish(run, delta);
    ctx.emit(suspectFailedLog(run.target.name));
    this.table.suspectNode({
      type: "suspect",
      incarnation: run.targetIncarnation,
      node: run.target.name,
      from: ctx.selfName,
    });
    this.afterProbe();
  }

  private finish(run: ProbeRun, awarenessDelta: number): void {
    const ctx = this.ctx;
    ctx.cancel(run.timeoutTimer);
    ctx.cancel(run.deadlineTimer);
    this.running = undefined;
    ctx.metrics.probeNode(ctx.now() - run.sentAt);
    ctx.applyAwarenessDelta(awarenessDelta);
  }

  private afterProbe(): void {
    if (this.running === undefined && this.tickPending) {
      this.tickPending = false;
      this.probe();
    }
  }

  /** Go `handlePing`: ack to the advertised source (else the packet source). */
  handlePing(from: string, p: PingMessage): void {
    const ctx = this.ctx;
    if (p.node !== "" && p.node !== ctx.selfName) {
      ctx.emit(unexpectedPingLog(p.node, from));
      ctx.emit({ type: "dropped", from, reason: `ping for unexpected node ${p.node}` });
      return;
    }
    const payload = ctx.delegates.ackPayload?.() ?? null;
    const to =
      p.sourceAddr !== null && p.sourceAddr.length > 0 && p.sourcePort > 0
        ? formatAddress(p.sourceAddr, p.sourcePort)
        : from;
    const ack: AckMessage = { type: "ack", seqNo: p.seqNo, payload };
    ctx.sendMessage(to, p.sourceNode === "" ? undefined : p.sourceNode, ack);
  }

  /** Go `handleIndirectPing`: ping the target for the requester, relay the ack or a nack. */
  handleIndirectPing(from: string, ind: IndirectPingMessage): void {
    const ctx = this.ctx;
    const port = ind.port === 0 ? ctx.options.bindPort : ind.port;
    const localSeqNo = ctx.nextSeqNo();
    const requester =
      ind.sourceAddr !== null && ind.sourceAddr.length > 0 && ind.sourcePort > 0
        ? formatAddress(ind.sourceAddr, ind.sourcePort)
        : from;
    const timer = ctx.schedule(ctx.now() + ctx.options.probeTimeoutMs, {
      kind: "relay-timeout",
      seqNo: localSeqNo,
    });
    this.relays.set(localSeqNo, {
      requestSeqNo: ind.seqNo,
      requester,
      requesterNode: ind.sourceNode === "" ? undefined : ind.sourceNode,
      nack: ind.nack,
      timer,
    });
    ctx.sendMessage(formatAddress(ind.target, port), ind.node, this.selfPing(localSeqNo, ind.node));
    this.table.staleNews.indirectPingForDown(
      this.table.get(ind.node),
      requester,
      ind.sourceNode === "" ? undefined : ind.sourceNode,
    );
  }

  /** The relayed ping was not acked in time: drop the handler, nack if asked to. */
  relayTimeout(seqNo: number): void {
    const relay = this.relays.get(seqNo);
    if (relay === undefined) return;
    this.relays.delete(seqNo);
    if (relay.nack) {
      const nack: NackMessage = { type: "nack", seqNo: relay.requestSeqNo };
      this.ctx.sendMessage(relay.requester, relay.requesterNode, nack);
    }
  }

  /** Go `handleAck` / `invokeAckHandler`. */
  handleAck(ack: AckMessage): void {
    const ctx = this.ctx;
    const relay = this.relays.get(ack.seqNo);
    if (relay !== undefined) {
      this.relays.delete(ack.seqNo);
      ctx.cancel(relay.timer);
      const fwd: AckMessage = { type: "ack", seqNo: relay.requestSeqNo, payload: null };
      ctx.sendMessage(relay.requester, relay.requesterNode, fwd);
      return;
    }
    const run = this.running;
    if (run === undefined || run.seqNo !== ack.seqNo) return;
    // Only an ack to the direct ping measures a round trip (Go notifies before indirect pings).
    if (!run.indirect && ctx.delegates.notifyPingComplete !== undefined) {
      ctx.delegates.notifyPingComplete(nodeInfo(run.target), ctx.now() - run.sentAt, ack.payload);
    }
    this.finish(run, -1);
    this.afterProbe();
  }

  /** Go `handleNack` / `invokeNackHandler`: counted while the probe waits. */
  handleNack(nack: NackMessage): void {
    const run = this.running;
    if (run === undefined || run.seqNo !== nack.seqNo) return;
    // Go's nack channel holds at most IndirectChecks + 1 entries.
    if (run.nacks < this.ctx.options.indirectChecks + 1) run.nacks++;
  }

  /** Forgets every probe and relay (shutdown). */
  clear(): void {
    this.running = undefined;
    this.tickPending = false;
    this.relays.clear();
  }
}
