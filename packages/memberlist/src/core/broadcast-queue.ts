/**
 * `TransmitLimitedQueue`: the gossip broadcast queue of memberlist (Go `queue.go`), exported so
 * serf can reuse it for its intents, events and queries.
 *
 * - Every broadcast is transmitted at most `RetransmitMult × ceil(log10(N + 1))` times, where
 *   `N = numNodes()` at the time it is picked.
 * - Selection (`getBroadcasts`): fewest transmissions first; within a tier, the **largest**
 *   message that still fits, newest first on equal sizes; keep filling until nothing fits. A
 *   returned message's count is incremented; at the limit it is dropped and `finished()` runs.
 * - A broadcast with a `name` replaces any queued broadcast with the same name (memberlist keys
 *   its alive/suspect/dead messages by node name). A broadcast with `invalidates()` removes the
 *   unnamed, non-unique broadcasts it invalidates. Broadcasts with neither are unique (serf).
 */

import { retransmitLimit } from "./math.ts";

/** Something to gossip. Treat `message` as immutable once queued. */
export interface Broadcast {
  /** The encoded message, exactly as it goes into a packet. Its length is what is budgeted. */
  readonly message: Uint8Array;
  /**
   * Unique identity (Go `NamedBroadcast`): queueing a broadcast with the same name finishes and
   * removes the queued one. memberlist uses the node name.
   */
  readonly name?: string | undefined;
  /**
   * Optional invalidation check for broadcasts without a name (Go `Broadcast.Invalidates`);
   * leave it out for unique broadcasts (Go `UniqueBroadcast`).
   */
  invalidates?(other: Broadcast): boolean;
  /**
   * Called exactly once when the broadcast leaves the queue: transmit limit reached,
   * invalidated/replaced, pruned or reset. Must not re-enter the queue synchronously.
   */
  finished?(): void;
}

interface Item<B extends Broadcast> {
  transmits: number;
  readonly length: number;
  readonly id: number;
  readonly broadcast: B;
}

/**
 * Storage order inside a tier: ascending by (length, id). Selection walks it from the END
 * (largest, then newest), so the hot operations (take the best, insert a new message) touch
 * the end of the array and stay cheap.
 */
function storedBefore(
  a: { length: number; id: number },
  b: { length: number; id: number },
): boolean {
  return a.length < b.length || (a.length === b.length && a.id < b.id);
}

/** Options of a {@link TransmitLimitedQueue}. */
export interface TransmitLimitedQueueOptions {
  /** Current cluster size; feeds the retransmit limit. */
  readonly numNodes: () => number;
  /** `RetransmitMult`: multiplier of the retransmit limit. */
  readonly retransmitMult: number;
}

export class TransmitLimitedQueue<B extends Broadcast = Broadcast> {
  numNodes: () => number;
  retransmitMult: number;
  /** tiers[t] holds the items transmitted t times, sorted by `storedBefore`. */
  private tiers: Item<B>[][] = [];
  private readonly named = new Map<string, Item<B>>();
  private count = 0;
  private idGen = 0;

  constructor(options: TransmitLimitedQueueOptions) {
    this.numNodes = options.numNodes;
    this.retransmitMult = options.retransmitMult;
  }

  /** Number of queued broadcasts (Go `NumQueued`). */
  numQueued(): number {
    return this.count;
  }

  /** Queues a broadcast (Go `QueueBroadcast`). */
  queueBroadcast(broadcast: B): void {
    this.queueWithTransmits(broadcast, 0);
  }

  /**
   * Like {@link queueBroadcast} but starting at a given transmit tier (tests only, as Go's
   * `queueBroadcast`).
   */
  queueWithTransmits(broadcast: B, initialTransmits: number): void {
    this.idGen++;
    const item: Item<B> = {
      transmits: initialTransmits,
      length: broadcast.message.length,
      id: this.idGen,
      broadcast,
    };
    const name = broadcast.name;
    if (name !== undefined && name !== "") {
      const old = this.named.get(name);
      if (old !== undefined) {
        this.deleteItem(old);
        old.broadcast.finished?.();
      }
    } else if (broadcast.invalidates !== undefined) {
      const removed: Item<B>[] = [];
      for (const tier of this.tiers) {
        if (tier === undefined) continue;
        for (const cur of tier) {
          const b = cur.broadcast;
          // Named and unique broadcasts can only be invalidated by their own kind.
          if ((b.name !== undefined && b.name !== "") || b.invalidates === undefined) continue;
          if (broadcast.invalidates(b)) removed.push(cur);
        }
      }
      for (const cur of removed) {
        this.deleteItem(cur);
        cur.broadcast.finished?.();
      }
    }
    this.addItem(item);
  }

  /**
   * Takes broadcasts for one packet (Go `GetBroadcasts`): at most `limit` bytes counting
   * `overhead` extra bytes per message.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    return this.getBroadcastItems(overhead, limit).map((b) => b.message);
  }

  /**
   * {@link getBroadcasts} returning the broadcast objects.
   * @param maxCount stop after this many messages (a compound holds at most 255 parts).
   */
  getBroadcastItems(overhead: number, limit: number, maxCount = Number.POSITIVE_INFINITY): B[] {
    if (this.count === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    const out: B[] = [];
    const reinsert: Item<B>[] = [];
    let bytesUsed = 0;
    for (let t = 0; t < this.tiers.length && out.length < maxCount; ) {
      const free = limit - bytesUsed - overhead;
      if (free <= 0) break;
      const tier = this.tiers[t];
      const index = tier === undefined ? -1 : firstFitting(tier, free);
      if (tier === undefined || index < 0) {
        t++;
        continue;
      }
      const item = tier[index] as Item<B>;
      removeAt(tier, index);
      this.count--;
      bytesUsed += overhead + item.length;
      out.push(item.broadcast);
      if (item.transmits + 1 >= transmitLimit) {
        const name = item.broadcast.name;
        if (name !== undefined && name !== "" && this.named.get(name) === item) {
          this.named.delete(name);
        }
        item.broadcast.finished?.();
      } else {
        // Reinserted after the walk, so it is not picked again from the next tier. It stays
        // registered under its name meanwhile.
        item.transmits++;
        reinsert.push(item);
      }
    }
    this.reinsertAll(reinsert);
    return out;
  }

  /** Keeps the `maxRetain` freshest broadcasts and finishes the rest (Go `Prune`). */
  prune(maxRetain: number): void {
    while (this.count > maxRetain) {
      const item = this.maxItem();
      if (item === undefined) break;
      this.deleteItem(item);
      item.broadcast.finished?.();
    }
  }

  /** Finishes and drops everything (Go `Reset`). */
  reset(): void {
    const all = this.orderedView();
    this.tiers = [];
    this.named.clear();
    this.count = 0;
    this.idGen = 0;
    for (const item of all) item.broadcast.finished?.();
  }

  /** Queued broadcasts with their transmit counts, in selection order (tests, diagnostics). */
  orderedView(): { broadcast: B; transmits: number }[] {
    const out: { broadcast: B; transmits: number }[] = [];
    for (const tier of this.tiers) {
      if (tier === undefined) continue;
      for (let i = tier.length - 1; i >= 0; i--) {
        const item = tier[i] as Item<B>;
        out.push({ broadcast: item.broadcast, transmits: item.transmits });
      }
    }
    return out;
  }

  private maxItem(): Item<B> | undefined {
    for (let t = this.tiers.length - 1; t >= 0; t--) {
      const tier = this.tiers[t];
      if (tier !== undefined && tier.length > 0) return tier[0];
    }
    return undefined;
  }

  private addItem(item: Item<B>): void {
    this.insert(item);
    const name = item.broadcast.name;
    if (name !== undefined && name !== "") this.named.set(name, item);
  }

  /** Puts transmitted items back, one merge pass per destination tier. */
  private reinsertAll(items: Item<B>[]): void {
    if (items.length === 0) return;
    if (items.length === 1) {
      this.insert(items[0] as Item<B>);
      return;
    }
    items.sort((a, b) => a.transmits - b.transmits || a.length - b.length || a.id - b.id);
    let start = 0;
    while (start < items.length) {
      const transmits = (items[start] as Item<B>).transmits;
      let end = start + 1;
      while (end < items.length && (items[end] as Item<B>).transmits === transmits) end++;
      while (this.tiers.length <= transmits) this.tiers.push([]);
      mergeInto(this.tiers[transmits] as Item<B>[], items, start, end);
      this.count += end - start;
      start = end;
    }
  }

  private insert(item: Item<B>): void {
    let tier = this.tiers[item.transmits];
    if (tier === undefined) {
      while (this.tiers.length <= item.transmits) this.tiers.push([]);
      tier = this.tiers[item.transmits] as Item<B>[];
    }
    const last = tier[tier.length - 1];
    if (last === undefined || storedBefore(last, item)) {
      tier.push(item); // the common case: a new message, or one that is not smaller
    } else {
      tier.splice(lowerBound(tier, item), 0, item);
    }
    this.count++;
  }

  private deleteItem(item: Item<B>): void {
    const tier = this.tiers[item.transmits];
    if (tier === undefined) return;
    const index = lowerBound(tier, item);
    if (tier[index] !== item) return;
    removeAt(tier, index);
    this.count--;
    const name = item.broadcast.name;
    if (name !== undefined && name !== "" && this.named.get(name) === item) this.named.delete(name);
  }
}

/** Index of the first item not stored before `item` (binary search). */
function lowerBound<B extends Broadcast>(tier: readonly Item<B>[], item: Item<B>): number {
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (storedBefore(tier[mid] as Item<B>, item)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Merges `items[start..end)` (sorted by `storedBefore`) into the sorted `tier`, in place from
 * the back: only the elements after the smallest newcomer move.
 */
function mergeInto<B extends Broadcast>(
  tier: Item<B>[],
  items: readonly Item<B>[],
  start: number,
  end: number,
): void {
  let i = tier.length - 1;
  let j = end - 1;
  let w = tier.length + (end - start) - 1;
  tier.length = w + 1;
  while (j >= start) {
    const incoming = items[j] as Item<B>;
    if (i >= 0 && storedBefore(incoming, tier[i] as Item<B>)) {
      tier[w--] = tier[i--] as Item<B>;
    } else {
      tier[w--] = incoming;
      j--;
    }
  }
}

/** Removes one element, O(1) at the end. */
function removeAt<T>(items: T[], index: number): void {
  if (index === items.length - 1) items.pop();
  else items.splice(index, 1);
}

/** Index of the best item (largest, then newest) whose length is at most `free`, or -1. */
function firstFitting<B extends Broadcast>(tier: readonly Item<B>[], free: number): number {
  // Count of items with length <= free; the best one is the last of them.
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tier[mid] as Item<B>).length <= free) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
