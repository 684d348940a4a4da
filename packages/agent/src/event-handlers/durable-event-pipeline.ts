/**
 * At-least-once event handling across crashes: the agent's coalescing stage (user events 1 s
 * quiescence / 3 s max, member events the same) with every step written to the
 * {@link PendingJournal} beside the snapshot.
 *
 * - An accepted user or member event is journaled (`a`) before anything else happens to it,
 *   in particular before serf's snapshot records its clock, so that an event the snapshot
 *   makes a restarted agent ignore is always in the journal.
 * - When a coalescer flushes, one `f` record replaces the accepted events of its class with
 *   what the coalescer released (events coalesced away or suppressed are finished there).
 * - When the handlers finished an event, a `d` record retires it. A crash while a handler
 *   runs leaves it pending: that event is handled again after the restart (at most once more).
 * - At start, `replay()` hands pending events to the handlers before the agent listens to
 *   gossip: released ones as they are, accepted ones coalesced among themselves and released
 *   at once.
 * - User events that gossip delivers again after a restart (those above the snapshot's event
 *   clock) are recognised by `lTime`, name and payload (pending ones, and the last handled
 *   4096) and are not handled twice.
 *
 * Queries are not journaled: their answer is due before a deadline of seconds, which a
 * restarted agent cannot meet.
 */

import type { Clock, TimerHandle } from "@serf-ts/memberlist";
import type {
  CoalescingWindows,
  Member,
  SerfEvent,
  SerfMemberEvent,
  SerfUserEvent,
} from "@serf-ts/serf";
import { CoalesceStage, MemberEventCoalescer, UserEventCoalescer } from "@serf-ts/serf/core";
import { crc32 } from "@serf-ts/wire/codec";
import type { JournalClass, PendingJournal } from "./pending-journal.ts";
import { MEMBER_EVENT_TYPES, MemberStatus } from "@serf-ts/wire";

/** Delivers an event to the handlers (and streams); `onHandled` once the handlers finished. */
export type DurableEmit = (event: SerfEvent, onHandled?: () => void) => void;

/** What the pipeline logs. */
export interface DurableLogger {
  warn(message: string): void;
  debug(message: string): void;
}

/** Options of {@link DurableEventPipeline}. */
export interface DurableEventPipelineOptions {
  readonly journal: PendingJournal;
  readonly windows: CoalescingWindows;
  readonly clock: Clock;
  readonly emit: DurableEmit;
  readonly logger: DurableLogger;
  /** While false (shutting down) no timer runs. @default always true */
  readonly active?: (() => boolean) | undefined;
}

type CoalescedClass = "u" | "m";

/** The dedup key of a user event: LTime, name, payload length and CRC. */
export function userEventKey(e: {
  readonly lTime: number;
  readonly name: string;
  readonly payload: Uint8Array;
}): string {
  const crc = (crc32(e.payload) >>> 0).toString(16);
  return `${e.lTime}/${e.payload.length}/${crc}/${e.name}`;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== "string") return undefined;
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** A user or member event as a journal record holds it. */
export function encodeJournalEvent(event: SerfUserEvent | SerfMemberEvent): unknown {
  if (event.type === "user") {
    return {
      t: "user",
      n: event.name,
      p: toBase64(event.payload),
      l: event.lTime,
      c: event.coalesce,
    };
  }
  return {
    t: event.type,
    m: event.members.map((m) => ({
      n: m.name,
      a: toBase64(m.addr),
      p: m.port,
      g: m.tags,
      s: m.status,
      v: [m.protocolMin, m.protocolMax, m.protocolCur, m.delegateMin, m.delegateMax, m.delegateCur],
    })),
  };
}

const MEMBER_TYPES: ReadonlySet<string> = new Set(MEMBER_EVENT_TYPES);
const STATUSES: ReadonlySet<string> = new Set(Object.values(MemberStatus));

function decodeMember(value: unknown): Member | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const addr = fromBase64(m.a);
  const v = m.v;
  if (
    typeof m.n !== "string" ||
    addr === undefined ||
    typeof m.p !== "number" ||
    typeof m.g !== "object" ||
    m.g === null ||
    typeof m.s !== "string" ||
    !STATUSES.has(m.s) ||
    !Array.isArray(v) ||
    v.length !== 6 ||
    !v.every((x) => typeof x === "number")
  ) {
    return undefined;
  }
  const tags: Record<string, string> = {};
  for (const [k, t] of Object.entries(m.g as Record<string, unknown>)) {
    if (typeof t !== "string") return undefined;
    tags[k] = t;
  }
  const [pMin, pMax, pCur, dMin, dMax, dCur] = v as number[];
  return {
    name: m.n,
    addr,
    port: m.p,
    tags,
    status: m.s as Member["status"],
    protocolMin: pMin as number,
    protocolMax: pMax as number,
    protocolCur: pCur as number,
    delegateMin: dMin as number,
    delegateMax: dMax as number,
    delegateCur: dCur as number,
  };
}

/** The event of a journal record, or `undefined` when the record is not one. */
export function decodeJournalEvent(value: unknown): SerfUserEvent | SerfMemberEvent | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (e.t === "user") {
    const payload = fromBase64(e.p);
    if (
      typeof e.n !== "string" ||
      payload === undefined ||
      typeof e.l !== "number" ||
      typeof e.c !== "boolean"
    ) {
      return undefined;
    }
    return { type: "user", name: e.n, payload, lTime: e.l, coalesce: e.c };
  }
  if (typeof e.t === "string" && MEMBER_TYPES.has(e.t) && Array.isArray(e.m)) {
    const members: Member[] = [];
    for (const raw of e.m) {
      const m = decodeMember(raw);
      if (m === undefined) return undefined;
      members.push(m);
    }
    return { type: e.t as SerfMemberEvent["type"], members };
  }
  return undefined;
}

/** See the module documentation. */
export class DurableEventPipeline {
  readonly #journal: PendingJournal;
  readonly #clock: Clock;
  readonly #emit: DurableEmit;
  readonly #log: DurableLogger;
  readonly #active: () => boolean;
  readonly #stages: Partial<Record<CoalescedClass, CoalesceStage<SerfEvent>>> = {};
  /** Highest sequence number fed to each coalescer (-1: none). */
  readonly #lastFed: Record<CoalescedClass, number> = { u: -1, m: -1 };
  /** Keys of the user events inside the user coalescer. */
  #inStageKeys: string[] = [];
  /** Keys of user events pending (in a coalescer or waiting for the handlers), with counts. */
  readonly #liveKeys = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #closed = false;
  #overCap = false;
  #notJournaled = 0;

  constructor(options: DurableEventPipelineOptions) {
    this.#journal = options.journal;
    this.#clock = options.clock;
    this.#emit = options.emit;
    this.#log = options.logger;
    this.#active = options.active ?? (() => true);
    const w = options.windows;
    if (w.userCoalescePeriodMs > 0 && w.userQuiescentPeriodMs > 0) {
      this.#stages.u = new CoalesceStage<SerfEvent, SerfUserEvent>(new UserEventCoalescer(), {
        coalescePeriodMs: w.userCoalescePeriodMs,
        quiescentPeriodMs: w.userQuiescentPeriodMs,
      });
    }
    if (w.coalescePeriodMs > 0 && w.quiescentPeriodMs > 0) {
      this.#stages.m = new CoalesceStage<SerfEvent, SerfMemberEvent>(
        new MemberEventCoalescer<Member>(),
        { coalescePeriodMs: w.coalescePeriodMs, quiescentPeriodMs: w.quiescentPeriodMs },
      );
    }
  }

  /** Events handled without the journal because it was full. */
  get notJournaled(): number {
    return this.#notJournaled;
  }

  /**
   * Hands what the journal holds to the handlers (call once, before gossip events arrive).
   * Returns how many events were pending.
   */
  replay(): number {
    const pending = this.#journal.pending();
    for (const entry of pending) {
      const event = decodeJournalEvent(entry.event);
      if (event === undefined) {
        this.#log.warn(`Event journal: dropping an unreadable pending event (#${entry.seq})`);
        this.#journal.done(entry.seq);
        continue;
      }
      const key = event.type === "user" ? userEventKey(event) : undefined;
      if (key !== undefined) this.#addLiveKey(key);
      if (entry.stage === "ready") {
        this.#emit(event, () => this.#done(entry.seq, key));
        continue;
      }
      const cls = entry.cls as CoalescedClass;
      const stage = this.#stages[cls];
      if (stage === undefined) {
        // Coalescing is off now: the accepted event is released as it is.
        const [seq] = this.#journal.flush(cls, entry.seq, [entry.event]);
        this.#emit(event, () => this.#done(seq as number, key));
        continue;
      }
      this.#lastFed[cls] = Math.max(this.#lastFed[cls], entry.seq);
      if (key !== undefined) this.#inStageKeys.push(key);
      stage.handle(event, this.#clock.now());
    }
    // Released now, coalesced among themselves only: a member event waiting at the crash must
    // not be replaced by the member-join that the rejoin is about to report for that member.
    const now = this.#clock.now();
    for (const cls of ["u", "m"] as const) {
      const stage = this.#stages[cls];
      if (stage !== undefined && stage.nextDeadline() !== undefined) {
        this.#released(cls, stage.flush(now));
      }
    }
    return pending.length;
  }

  /** One event from serf. */
  handle(event: SerfEvent): void {
    if (this.#closed) return;
    if (event.type !== "user" && !MEMBER_TYPES.has(event.type)) {
      this.#emit(event);
      return;
    }
    const e = event as SerfUserEvent | SerfMemberEvent;
    let key: string | undefined;
    if (e.type === "user") {
      key = userEventKey(e);
      if (this.#journal.handledKeys.has(key) || this.#liveKeys.has(key)) {
        this.#log.debug(
          `Event journal: ignoring user event ${e.name} (LTime ${e.lTime}) seen before`,
        );
        return;
      }
    }
    const now = this.#clock.now();
    this.#runDue(now);
    const cls: JournalClass =
      e.type === "user" ? (e.coalesce && this.#stages.u ? "u" : "p") : this.#stages.m ? "m" : "p";
    const seq = this.#journal.accept(cls, encodeJournalEvent(e));
    if (seq === undefined) this.#noteOverCap();
    else if (this.#overCap) {
      this.#overCap = false;
      this.#log.warn("Event journal accepting events again");
    }
    if (key !== undefined && seq !== undefined) this.#addLiveKey(key);
    if (cls === "p") {
      this.#emit(e, seq === undefined ? undefined : () => this.#done(seq, key));
      return;
    }
    if (seq !== undefined) {
      this.#lastFed[cls] = seq;
      if (key !== undefined) this.#inStageKeys.push(key);
    }
    this.#stages[cls]?.handle(e, now);
    this.#arm();
  }

  /** Releases everything the coalescers hold (shutdown); no timer runs afterwards. */
  flush(): void {
    this.#cancelTimer();
    this.#closed = true;
    const now = this.#clock.now();
    for (const cls of ["u", "m"] as const) {
      const stage = this.#stages[cls];
      if (stage !== undefined) this.#released(cls, stage.flush(now));
    }
  }

  /** Stops the timer and closes the journal (after the handlers stopped). */
  close(): void {
    this.#closed = true;
    this.#cancelTimer();
    this.#journal.close();
  }

  #noteOverCap(): void {
    this.#notJournaled++;
    if (this.#overCap) return;
    this.#overCap = true;
    this.#log.warn(
      `Event journal full (${this.#journal.liveBytes} bytes pending): events are handled without crash protection until it drains`,
    );
  }

  #addLiveKey(key: string): void {
    this.#liveKeys.set(key, (this.#liveKeys.get(key) ?? 0) + 1);
  }

  #dropLiveKey(key: string): void {
    const n = this.#liveKeys.get(key) ?? 0;
    if (n <= 1) this.#liveKeys.delete(key);
    else this.#liveKeys.set(key, n - 1);
  }

  #done(seq: number, key: string | undefined): void {
    if (key !== undefined) this.#dropLiveKey(key);
    try {
      this.#journal.done(seq, key);
    } catch (err) {
      this.#log.warn(`Event journal: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #runDue(now: number): void {
    for (const cls of ["u", "m"] as const) {
      const stage = this.#stages[cls];
      const due = stage?.nextDeadline();
      if (stage === undefined || due === undefined || now < due) continue;
      this.#released(cls, stage.flush(now));
    }
  }

  /** A coalescer of `cls` flushed and released `outputs`. */
  #released(cls: CoalescedClass, outputs: SerfEvent[]): void {
    const events = outputs as Array<SerfUserEvent | SerfMemberEvent>;
    const upTo = this.#lastFed[cls];
    let seqs: Array<number | undefined> = events.map(() => undefined);
    let retired: string[] = [];
    if (cls === "u") {
      const outKeys = new Set(events.map((e) => userEventKey(e as SerfUserEvent)));
      retired = this.#inStageKeys.filter((k) => !outKeys.has(k));
      for (const k of this.#inStageKeys) this.#dropLiveKey(k);
      for (const k of outKeys) this.#addLiveKey(k);
      this.#inStageKeys = [];
    }
    if (upTo >= 0 || events.length > 0) {
      try {
        seqs = this.#journal.flush(cls, Math.max(upTo, 0), events.map(encodeJournalEvent), retired);
      } catch (err) {
        this.#log.warn(`Event journal: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    events.forEach((event, i) => {
      const seq = seqs[i];
      const key = event.type === "user" ? userEventKey(event) : undefined;
      this.#emit(
        event,
        seq === undefined
          ? () => {
              if (key !== undefined) this.#dropLiveKey(key);
            }
          : () => this.#done(seq, key),
      );
    });
  }

  #arm(): void {
    if (this.#closed || !this.#active()) return;
    let at: number | undefined;
    for (const stage of Object.values(this.#stages)) {
      const d = stage.nextDeadline();
      if (d !== undefined && (at === undefined || d < at)) at = d;
    }
    if (at === this.#timerAt) return;
    this.#cancelTimer();
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = this.#clock.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      if (this.#closed || !this.#active()) return;
      this.#runDue(this.#clock.now());
      this.#arm();
    });
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = undefined;
  }
}
