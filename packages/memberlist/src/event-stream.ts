/**
 * `EventStream`: a single-consumer async iterator over events pushed synchronously by a
 * driver, with a bounded buffer. Node cannot block the producer (the pump runs inside socket
 * callbacks), so the overflow policy is explicit: when the buffer is full the **oldest** event
 * is dropped and counted; optionally a marker event (built by `overflowEvent(count)`) is handed
 * to the consumer in the place of the dropped events, before the next buffered one.
 */

/** Options of an {@link EventStream}. */
export interface EventStreamOptions<E> {
  /** Events held while the consumer is not reading (at least 1). */
  readonly capacity: number;
  /** Called for every event dropped on overflow. */
  readonly onDrop?: ((dropped: E) => void) | undefined;
  /**
   * Builds the marker delivered in place of a run of dropped events (`dropped` = how many).
   * Without it drops are silent for the consumer (counted only).
   */
  readonly overflowEvent?: ((dropped: number) => E) | undefined;
  /** Called once when the consumer stops early (`return()`, e.g. `break` in `for await`). */
  readonly onReturn?: (() => void) | undefined;
}

/** Bounded, drop-oldest async iterator. `push` from the producer, `end` when done. */
export class EventStream<E> implements AsyncIterableIterator<E> {
  readonly #buffer: E[] = [];
  #head = 0;
  readonly #capacity: number;
  readonly #onDrop: ((dropped: E) => void) | undefined;
  readonly #overflowEvent: ((dropped: number) => E) | undefined;
  readonly #onReturn: (() => void) | undefined;
  #waiter: ((r: IteratorResult<E>) => void) | undefined;
  #pendingDrops = 0;
  #dropped = 0;
  #done = false;

  constructor(options: EventStreamOptions<E>) {
    this.#capacity = Math.max(1, Math.floor(options.capacity));
    this.#onDrop = options.onDrop;
    this.#overflowEvent = options.overflowEvent;
    this.#onReturn = options.onReturn;
  }

  /** Events dropped so far because the consumer fell behind. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be read. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  /** True once ended (by the producer or the consumer). */
  get done(): boolean {
    return this.#done;
  }

  /** Hands an event to the consumer (or buffers it, dropping the oldest when full). */
  push(event: E): void {
    if (this.#done) return;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w({ value: event, done: false });
      return;
    }
    if (this.buffered >= this.#capacity) {
      const oldest = this.#shift() as E;
      this.#dropped++;
      this.#pendingDrops++;
      this.#onDrop?.(oldest);
    }
    this.#buffer.push(event);
  }

  /** Ends the stream: buffered events are still delivered, then `done`. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<E>> {
    if (this.#pendingDrops > 0 && this.#overflowEvent !== undefined) {
      const n = this.#pendingDrops;
      this.#pendingDrops = 0;
      return Promise.resolve({ value: this.#overflowEvent(n), done: false });
    }
    this.#pendingDrops = 0;
    if (this.buffered > 0) return Promise.resolve({ value: this.#shift() as E, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error("EventStream supports one pending next() at a time"));
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<E>> {
    this.#buffer.length = 0;
    this.#head = 0;
    this.#pendingDrops = 0;
    const wasDone = this.#done;
    this.end();
    if (!wasDone) this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }

  #shift(): E | undefined {
    if (this.#head >= this.#buffer.length) return undefined;
    const e = this.#buffer[this.#head] as E;
    this.#buffer[this.#head] = undefined as E;
    this.#head++;
    if (this.#head === this.#buffer.length) {
      this.#buffer.length = 0;
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#buffer.length) {
      this.#buffer.splice(0, this.#head);
      this.#head = 0;
    }
    return e;
  }
}
