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

/** One remembered Lamport time and what was seen at it. */
interface Slot<T> {
  readonly lTime: number;
  readonly items: T[];
}

/**
 * The ring both buffers share: slots indexed by `LTime mod size`, a minimum time, and a dedup
 * check within a slot given by `same`.
 */
class LamportDedupRing<T> {
  readonly size: number;
  #minTime = 0;
  protected readonly ring: (Slot<T> | null)[];
  readonly #same: (a: T, b: T) => boolean;

  constructor(size: number, same: (a: T, b: T) => boolean) {
    this.size = checkBufferSize(size);
    this.ring = new Array<Slot<T> | null>(this.size).fill(null);
    this.#same = same;
  }

  /** Items with a smaller `LTime` are dropped (`eventMinTime` / `queryMinTime`). */
  get minTime(): number {
    return this.#minTime;
  }

  /** Sets the minimum time (at start: the snapshot's clock + 1, else 0). */
  setMinTime(t: number): void {
    this.#minTime = t;
  }

  /** Raises the minimum time, never lowers it (join push/pull with `ignoreOld`). */
  raiseMinTime(t: number): void {
    if (t > this.#minTime) this.#minTime = t;
  }

  /**
   * Witnesses `lTime` on `clock` first, as Go does before any filtering, then applies the
   * minimum time, the window and the dedup check, and records `item` (made by `record`) if new.
   */
  protected offerItem(lTime: number, item: T, clock: LamportClock, record: () => T): BufferVerdict {
    const verdict = admit(lTime, clock, this.#minTime, this.size);
    if (verdict !== "new") return verdict;
    const idx = lTime % this.size;
    let slot = this.ring[idx] ?? null;
    if (slot !== null && slot.lTime === lTime) {
      if (slot.items.some((prev) => this.#same(prev, item))) return "duplicate";
    } else {
      slot = { lTime, items: [] };
      this.ring[idx] = slot;
    }
    slot.items.push(record());
    return "new";
  }

  /** True if `item` is recorded at `lTime`. */
  protected hasItem(lTime: number, item: T): boolean {
    const slot = this.ring[lTime % this.size] ?? null;
    return slot !== null && slot.lTime === lTime && slot.items.some((x) => this.#same(x, item));
  }
}

/** A user event as the buffer needs it. */
export interface BufferedUserEvent {
  readonly lTime: number;
  readonly name: string;
  /** `null` = nil; compared byte-wise, nil equal to empty (Go `bytes.Compare`). */
  readonly payload: Uint8Array | null;
}

const sameUserEvent = (a: UserEventEntry, b: UserEventEntry): boolean =>
  a.name === b.name && sameBytes(a.payload, b.payload);

/**
 * User-event dedup ring (§6.2). Its slots are also serf's push/pull `Events` field, so
 * {@link UserEventBuffer.slots} returns them in wire shape.
 */
export class UserEventBuffer extends LamportDedupRing<UserEventEntry> {
  constructor(size: number = DEFAULT_BUFFER_SIZE) {
    super(size, sameUserEvent);
  }

  /** Offers a received (or locally sent) user event; see {@link BufferVerdict}. */
  offer(event: BufferedUserEvent, eventClock: LamportClock): BufferVerdict {
    const entry = { name: event.name, payload: event.payload };
    // Copy: the payload may be a view into a whole received packet.
    return this.offerItem(event.lTime, entry, eventClock, () => ({
      name: event.name,
      payload: event.payload?.slice() ?? null,
    }));
  }

  /** True if this exact event (same LTime, name and payload) is recorded. */
  has(event: BufferedUserEvent): boolean {
    return this.hasItem(event.lTime, { name: event.name, payload: event.payload });
  }

  /** Every slot in ring order (`null` = unused): exactly `size` entries, push/pull `Events`. */
  slots(): (UserEventCollection | null)[] {
    return this.ring.map((s) => (s === null ? null : { lTime: s.lTime, events: [...s.items] }));
  }
}

/** A query as the buffer needs it. */
export interface BufferedQuery {
  readonly lTime: number;
  /** Query ID (uint32). */
  readonly id: number;
}

/** Query dedup ring (§7.2 steps 1–3): remembers the query IDs seen at each recent LTime. */
export class QueryBuffer extends LamportDedupRing<number> {
  constructor(size: number = DEFAULT_BUFFER_SIZE) {
    super(size, (a, b) => a === b);
  }

  /** Like {@link UserEventBuffer.offer}, keyed by query ID instead of name and payload. */
  offer(query: BufferedQuery, queryClock: LamportClock): BufferVerdict {
    return this.offerItem(query.lTime, query.id, queryClock, () => query.id);
  }

  /** True if this query (LTime and ID) is recorded. */
  has(query: BufferedQuery): boolean {
    return this.hasItem(query.lTime, query.id);
  }
}
