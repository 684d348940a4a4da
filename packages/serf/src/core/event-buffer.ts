/**
 * Replay protection for user events and queries (Go `handleUserEvent` / `handleQuery`): a ring
 * of slots indexed by `LTime mod size` that remembers what was seen at each recent Lamport
 * time, plus a minimum time below which everything is dropped (`eventMinTime` /
 * `queryMinTime`, restored from the snapshot and, for events, raised by a join push/pull).
 */

import type { UserEventCollection, UserEventEntry } from "@serf-ts/wire";
import type { LamportClock } from "./lamport.ts";

/** Go serf's `EventBuffer` and `QueryBuffer` default: 512 slots. */
export const DEFAULT_BUFFER_SIZE = 512;

/**
 * Outcome of offering a received event or query to a buffer:
 * - `new`: first sighting, now recorded: deliver it and rebroadcast it;
 * - `before-min-time`: `LTime` is below the minimum time (already seen before a restart, or
 *   older than what a join push/pull told us to ignore);
 * - `too-old`: `LTime` is more than `size` behind the clock, outside the dedup window;
 * - `duplicate`: already recorded at this `LTime`.
 * Only `new` is delivered or rebroadcast.
 */
export type BufferVerdict = "new" | "before-min-time" | "too-old" | "duplicate";

function checkBufferSize(size: number): number {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`event buffer size must be a positive integer, got ${size}`);
  }
  return size;
}

/** Steps shared by both buffers: witness, minimum time, window. */
function admit(lTime: number, clock: LamportClock, minTime: number, size: number): BufferVerdict {
  clock.witness(lTime);
  if (lTime < minTime) return "before-min-time";
  const cur = clock.time();
  if (cur > size && lTime < cur - size) return "too-old";
  return "new";
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  // Go compares with bytes.Compare, for which nil and empty are equal.
  const x = a ?? EMPTY;
  const y = b ?? EMPTY;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
const EMPTY = new Uint8Array(0);

/** A user event as the buffer needs it. */
export interface BufferedUserEvent {
  readonly lTime: number;
  readonly name: string;
  /** `null` = nil; compared byte-wise, nil equal to empty (Go `bytes.Compare`). */
  readonly payload: Uint8Array | null;
}

interface MutableSlot {
  readonly lTime: number;
  readonly events: UserEventEntry[];
}

/**
 * User-event dedup ring (§6.2). Its slots are also serf's push/pull `Events` field, so
 * {@link UserEventBuffer.slots} returns them in wire shape.
 */
export class UserEventBuffer {
  readonly size: number;
  #minTime = 0;
  readonly #slots: (MutableSlot | null)[];

  constructor(size: number = DEFAULT_BUFFER_SIZE) {
    this.size = checkBufferSize(size);
    this.#slots = new Array<MutableSlot | null>(this.size).fill(null);
  }

  /** `eventMinTime`: events with a smaller `LTime` are dropped. */
  get minTime(): number {
    return this.#minTime;
  }

  /** Sets the minimum time (at start: snapshot `event-clock + 1`, else 0). */
  setMinTime(t: number): void {
    this.#minTime = t;
  }

  /** Raises the minimum time, never lowers it (join push/pull with `ignoreOld`). */
  raiseMinTime(t: number): void {
    if (t > this.#minTime) this.#minTime = t;
  }

  /**
   * Offers a received (or locally sent) user event: witnesses `LTime` on the event clock
   * first, as Go does before any filtering, then applies the minimum time, the window and the
   * dedup check, and records the event if it is new.
   */
  offer(event: BufferedUserEvent, eventClock: LamportClock): BufferVerdict {
    const verdict = admit(event.lTime, eventClock, this.#minTime, this.size);
    if (verdict !== "new") return verdict;
    const idx = event.lTime % this.size;
    let slot = this.#slots[idx] ?? null;
    if (slot !== null && slot.lTime === event.lTime) {
      for (const prev of slot.events) {
        if (prev.name === event.name && sameBytes(prev.payload, event.payload)) return "duplicate";
      }
    } else {
      slot = { lTime: event.lTime, events: [] };
      this.#slots[idx] = slot;
    }
    // Copy: the payload may be a view into a whole received packet.
    slot.events.push({ name: event.name, payload: event.payload?.slice() ?? null });
    return "new";
  }

  /** True if this exact event (same LTime, name and payload) is recorded. */
  has(event: BufferedUserEvent): boolean {
    const slot = this.#slots[event.lTime % this.size] ?? null;
    if (slot === null || slot.lTime !== event.lTime) return false;
    return slot.events.some((e) => e.name === event.name && sameBytes(e.payload, event.payload));
  }

  /** Every slot in ring order (`null` = unused): exactly `size` entries, push/pull `Events`. */
  slots(): (UserEventCollection | null)[] {
    return this.#slots.map((s) => (s === null ? null : { lTime: s.lTime, events: [...s.events] }));
  }
}

/** A query as the buffer needs it. */
export interface BufferedQuery {
  readonly lTime: number;
  /** Query ID (uint32). */
  readonly id: number;
}

interface QuerySlot {
  readonly lTime: number;
  readonly ids: number[];
}

/** Query dedup ring (§7.2 steps 1–3): remembers the query IDs seen at each recent LTime. */
export class QueryBuffer {
  readonly size: number;
  #minTime = 0;
  readonly #slots: (QuerySlot | null)[];

  constructor(size: number = DEFAULT_BUFFER_SIZE) {
    this.size = checkBufferSize(size);
    this.#slots = new Array<QuerySlot | null>(this.size).fill(null);
  }

  /** `queryMinTime`: queries with a smaller `LTime` are dropped. */
  get minTime(): number {
    return this.#minTime;
  }

  /** Sets the minimum time (at start: snapshot `query-clock + 1`, else 0). */
  setMinTime(t: number): void {
    this.#minTime = t;
  }

  /** Raises the minimum time, never lowers it. */
  raiseMinTime(t: number): void {
    if (t > this.#minTime) this.#minTime = t;
  }

  /** Like {@link UserEventBuffer.offer}, keyed by query ID instead of name and payload. */
  offer(query: BufferedQuery, queryClock: LamportClock): BufferVerdict {
    const verdict = admit(query.lTime, queryClock, this.#minTime, this.size);
    if (verdict !== "new") return verdict;
    const idx = query.lTime % this.size;
    let slot = this.#slots[idx] ?? null;
    if (slot !== null && slot.lTime === query.lTime) {
      if (slot.ids.includes(query.id)) return "duplicate";
    } else {
      slot = { lTime: query.lTime, ids: [] };
      this.#slots[idx] = slot;
    }
    slot.ids.push(query.id);
    return "new";
  }

  /** True if this query (LTime and ID) is recorded. */
  has(query: BufferedQuery): boolean {
    const slot = this.#slots[query.lTime % this.size] ?? null;
    return slot !== null && slot.lTime === query.lTime && slot.ids.includes(query.id);
  }
}
