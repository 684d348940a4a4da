/**
 * Event intake (Go `handleUserEvent`, the member-event emission of serf.go, and the records
 * Go's `Snapshotter` writes for them): user events offered to the event buffer and delivered,
 * member events emitted, and the snapshot records (`alive`, `not-alive`, `clock`,
 * `event-clock`, `query-clock`, `leave`) with the snapshotter's last values and leaving flag.
 */

import { formatIp, type UserEventMessage } from "@serf-ts/wire";
import type { Member, SerfMemberEventType } from "./events.ts";
import { formatSnapshotAddr } from "./snapshot/snapshot-format.ts";
import type { SnapshotState } from "./snapshot/snapshot-replay.ts";
import { EMPTY, type SerfContext } from "./serf-context.ts";
import type { SnapshotSink } from "./serf-machine-types.ts";

export class SerfEventIntake {
  private readonly ctx: SerfContext;
  private readonly sink: SnapshotSink | undefined;
  // Snapshot writer state (Go Snapshotter's last values and leaving flag).
  private snapLastClock = 0;
  private snapLastEventClock = 0;
  private snapLastQueryClock = 0;
  private snapLeaving = false;

  constructor(
    ctx: SerfContext,
    sink: SnapshotSink | undefined,
    snapshot: SnapshotState | undefined,
  ) {
    this.ctx = ctx;
    this.sink = sink;
    if (snapshot !== undefined) {
      this.snapLastClock = snapshot.lastClock;
      this.snapLastEventClock = snapshot.lastEventClock;
      this.snapLastQueryClock = snapshot.lastQueryClock;
    }
  }

  /** Go `handleUserEvent` (serf.md §6.2). @returns whether to rebroadcast. */
  handleUserEvent(msg: UserEventMessage): boolean {
    const verdict = this.ctx.eventBuffer.offer(msg, this.ctx.eventClock);
    if (verdict !== "new") {
      if (verdict === "too-old") {
        this.ctx.log.warn("received old event", { name: msg.name, lTime: msg.lTime });
      }
      return false;
    }
    if (this.sink !== undefined && !this.snapLeaving && msg.lTime > this.snapLastEventClock) {
      this.snapLastEventClock = msg.lTime;
      this.sink.record({ kind: "event-clock", value: msg.lTime });
    }
    this.ctx.metrics.userEvent(msg.name);
    this.ctx.emit({
      type: "user",
      name: msg.name,
      payload: msg.payload === null ? EMPTY : msg.payload.slice(),
      lTime: msg.lTime,
      coalesce: msg.cc,
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Member events, snapshot records

  emitMember(type: SerfMemberEventType, member: Member, forced = false): void {
    this.ctx.emit(forced ? { type, members: [member], forced } : { type, members: [member] });
    const sink = this.sink;
    if (sink === undefined || this.snapLeaving) return;
    if (type === "member-join") {
      sink.record({
        kind: "alive",
        name: member.name,
        addr: formatSnapshotAddr(formatIp(member.addr), member.port),
      });
    } else if (type === "member-leave" || type === "member-failed") {
      sink.record({ kind: "not-alive", name: member.name });
    }
    this.snapshotClock();
  }

  /** Go `Snapshotter.updateClock`. */
  snapshotClock(): void {
    if (this.sink === undefined) return;
    const lastSeen = this.ctx.clock.time() - 1;
    if (lastSeen > this.snapLastClock) {
      this.snapLastClock = lastSeen;
      this.sink.record({ kind: "clock", value: lastSeen });
    }
  }

  /** Go `Snapshotter`'s query clock (internal queries count too). */
  snapshotQueryClock(lTime: number): void {
    if (this.sink !== undefined && !this.snapLeaving && lTime > this.snapLastQueryClock) {
      this.snapLastQueryClock = lTime;
      this.sink.record({ kind: "query-clock", value: lTime });
    }
  }

  /** Go `Snapshotter.Leave`: a `leave` record; member/user/query events stop being recorded. */
  snapshotLeave(): void {
    if (this.sink === undefined) return;
    this.snapLeaving = true;
    this.sink.record({ kind: "leave" });
  }
}
