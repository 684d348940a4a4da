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
  /** Deleted while still sitting in a heap (lazy deletion). */
  removed: boolean;
}

/**
 * Items of one (transmit count, message length): a max-heap by id (newest on top), with the
 * ids in their own array so sifting compares plain numbers.
 */
interface Bucket<B extends Broadcast> {
  readonly ids: number[];
  readonly items: Item<B>[];
  live: number;
}

/**
 * The items transmitted a given number of times, grouped by message length. `lengths` lists
 * the lengths with live items in ascending order; a tier rarely holds more than a handful.
 */
interface Tier<B extends Broadcast> {
  readonly lengths: number[];
  readonly buckets: Map<number, Bucket<B>>;
  live: number;
}

/** Options of a {@link TransmitLimitedQueue}. */
export interface TransmitLimitedQueueOptions {
  /** Current cluster size; feeds the retransmit limit. */
  readonly numNodes: () => number;
  /** `RetransmitMult`: multiplier of the retransmit limit. */
  readonly retransmitMult: number;
  /** Called after each queued broadcast (wakes a sleeping gossip timer). */
  readonly onQueued?: (() => void) | undefined;
}

export class TransmitLimitedQueue<B extends Broadcast = Broadcast> {
  numNodes: () => number;
  retransmitMult: number;
  private readonly onQueued: (() => void) | undefined;
  /** tiers[t] holds the items transmitted t times. */
  private tiers: Tier<B>[] = [];
  private readonly named = new Map<string, Item<B>>();
  private count = 0;
  private idGen = 0;

  constructor(options: TransmitLimitedQueueOptions) {
    this.numNodes = options.numNodes;
    this.retransmitMult = options.retransmitMult;
    this.onQueued = options.onQueued;
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
      removed: false,
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
      for (const cur of this.liveItems()) {
        const b = cur.broadcast;
        // Named and unique broadcasts can only be invalidated by their own kind.
        if ((b.name !== undefined && b.name !== "") || b.invalidates === undefined) continue;
        if (broadcast.invalidates(b)) removed.push(cur);
      }
      for (const cur of removed) {
        this.deleteItem(cur);
        cur.broadcast.finished?.();
      }
    }
    this.insert(item);
    if (name !== undefined && name !== "") this.named.set(name, item);
    this.onQueued?.();
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
      const length = tier === undefined ? -1 : largestFitting(tier.lengths, free);
      if (tier === undefined || length < 0) {
        t++;
        continue;
      }
      const item = this.popNewest(tier, length);
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
    for (const item of reinsert) this.insert(item);
    return out;
  }

  /** Keeps the `maxRetain` freshest broadcasts and finishes the rest (Go `Prune`). */
  prune(maxRetain: number): void {
    if (this.count <= maxRetain) return;
    const ordered = this.orderedItems();
    for (let i = ordered.length - 1; i >= maxRetain; i--) {
      const item = ordered[i] as Item<B>;
      this.deleteItem(item);
      item.broadcast.finished?.();
    }
  }

  /** Finishes and drops everything (Go `Reset`). */
  reset(): void {
    const all = this.orderedItems();
    this.tiers = [];
    this.named.clear();
    this.count = 0;
    this.idGen = 0;
    for (const item of all) item.broadcast.finished?.();
  }

  /** Queued broadcasts with their transmit counts, in selection order (tests, diagnostics). */
  orderedView(): { broadcast: B; transmits: number }[] {
    return this.orderedItems().map((item) => ({
      broadcast: item.broadcast,
      transmits: item.transmits,
    }));
  }

  /** Live items: fewest transmits first, then largest, then newest. */
  private orderedItems(): Item<B>[] {
    return [...this.liveItems()].sort(
      (a, b) => a.transmits - b.transmits || b.length - a.length || b.id - a.id,
    );
  }

  private *liveItems(): Generator<Item<B>> {
    for (const tier of this.tiers) {
      for (const bucket of tier.buckets.values()) {
        for (const item of bucket.items) if (!item.removed) yield item;
      }
    }
  }

  private insert(item: Item<B>): void {
    while (this.tiers.length <= item.transmits) {
      this.tiers.push({ lengths: [], buckets: new Map(), live: 0 });
    }
    const tier = this.tiers[item.transmits] as Tier<B>;
    let bucket = tier.buckets.get(item.length);
    if (bucket === undefined) {
      bucket = { ids: [], items: [], live: 0 };
      tier.buckets.set(item.length, bucket);
    }
    if (bucket.live === 0) insertSorted(tier.lengths, item.length);
    item.removed = false;
    heapPush(bucket, item);
    bucket.live++;
    tier.live++;
    this.count++;
  }

  /** Removes the newest live item of `tier` with exactly `length` bytes. */
  private popNewest(tier: Tier<B>, length: number): Item<B> {
    const bucket = tier.buckets.get(length) as Bucket<B>;
    let item = heapPop(bucket) as Item<B>;
    while (item.removed) item = heapPop(bucket) as Item<B>;
    this.unlink(tier, bucket, length);
    return item;
  }

  /** Bookkeeping after one live item left `bucket`. */
  private unlink(tier: Tier<B>, bucket: Bucket<B>, length: number): void {
    bucket.live--;
    tier.live--;
    this.count--;
    if (bucket.live === 0) {
      bucket.ids.length = 0;
      bucket.items.length = 0;
      removeSorted(tier.lengths, length);
    } else if (bucket.items.length > 2 * bucket.live + 32) {
      // Too many lazily deleted entries: rebuild the heap from the live ones.
      const live = bucket.items.filter((x) => !x.removed);
      bucket.ids.length = 0;
      bucket.items.length = 0;
      for (const x of live) heapPush(bucket, x);
    }
  }

  private deleteItem(item: Item<B>): void {
    if (item.removed) return;
    const tier = this.tiers[item.transmits];
    const bucket = tier?.buckets.get(item.length);
    if (tier === undefined || bucket === undefined) return;
    item.removed = true;
    this.unlink(tier, bucket, item.length);
    const name = item.broadcast.name;
    if (name !== undefined && name !== "" && this.named.get(name) === item) this.named.delete(name);
  }
}

/** The largest value in the ascending `lengths` that is at most `free`, or -1. */
function largestFitting(lengths: readonly number[], free: number): number {
  const n = lengths.length;
  if (n === 0) return -1;
  if ((lengths[n - 1] as number) <= free) return lengths[n - 1] as number;
  if ((lengths[0] as number) > free) return -1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lengths[mid] as number) <= free) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? (lengths[lo - 1] as number) : -1;
}

function insertSorted(values: number[], value: number): void {
  let i = values.length;
  while (i > 0 && (values[i - 1] as number) > value) i--;
  values.splice(i, 0, value);
}

function removeSorted(values: number[], value: number): void {
  const i = values.indexOf(value);
  if (i >= 0) values.splice(i, 1);
}

/** Max-heap by id over the parallel `ids` / `items` arrays. */
function heapPush<B extends Broadcast>(bucket: Bucket<B>, item: Item<B>): void {
  const { ids, items } = bucket;
  const id = item.id;
  let i = ids.length;
  ids.push(id);
  items.push(item);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((ids[parent] as number) >= id) break;
    ids[i] = ids[parent] as number;
    items[i] = items[parent] as Item<B>;
    i = parent;
  }
  ids[i] = id;
  items[i] = item;
}

function heapPop<B extends Broadcast>(bucket: Bucket<B>): Item<B> | undefined {
  const { ids, items } = bucket;
  const top = items[0];
  const lastId = ids.pop();
  const last = items.pop();
  if (top === undefined || last === undefined || lastId === undefined || ids.length === 0) {
    return top;
  }
  const n = ids.length;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    let child = left;
    if (right < n && (ids[right] as number) > (ids[left] as number)) child = right;
    const childId = ids[child] as number;
    if (childId <= lastId) break;
    ids[i] = childId;
    items[i] = items[child] as Item<B>;
    i = child;
  }
  ids[i] = lastId;
  items[i] = last;
  return top;
}
