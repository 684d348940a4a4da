/**
 * A min-heap of deadlines ordered by `(at, seq)`: timers due at the same instant fire in the
 * order they were armed, which keeps runs deterministic. Cancellation is lazy (the entry is
 * flagged and skipped when it reaches the top), so cancel is O(1).
 */

/** A scheduled deadline; keep it to cancel it. */
export interface Deadline<T> {
  readonly at: number;
  readonly seq: number;
  readonly payload: T;
  cancelled: boolean;
}

export class DeadlineQueue<T> {
  private readonly heap: Deadline<T>[] = [];
  private nextSeq = 0;
  private live = 0;

  /** Number of armed (not cancelled, not yet fired) deadlines. */
  get size(): number {
    return this.live;
  }

  /** Arms a deadline at absolute time `at` (ms). */
  schedule(at: number, payload: T): Deadline<T> {
    const entry: Deadline<T> = { at, seq: this.nextSeq++, payload, cancelled: false };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.live++;
    return entry;
  }

  /** Cancels a deadline (no-op if already fired or cancelled). */
  cancel(entry: Deadline<T> | undefined): void {
    if (entry === undefined || entry.cancelled) return;
    entry.cancelled = true;
    this.live--;
  }

  /** Earliest live deadline, if any. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest deadline that is due at `now`, if any. */
  popDue(now: number): Deadline<T> | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.removeTop();
    // Mark as consumed so a late cancel() does not skew the count.
    top.cancelled = true;
    this.live--;
    return top;
  }

  /** Cancels everything. */
  clear(): void {
    for (const entry of this.heap) entry.cancelled = true;
    this.heap.length = 0;
    this.live = 0;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as Deadline<T>).cancelled) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop() as Deadline<T>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private less(a: Deadline<T>, b: Deadline<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index] as Deadline<T>;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Deadline<T>;
      if (!this.less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[index] as Deadline<T>;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.less(heap[right] as Deadline<T>, heap[left] as Deadline<T>)) {
        child = right;
      }
      const c = heap[child] as Deadline<T>;
      if (!this.less(c, item)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = item;
  }
}
