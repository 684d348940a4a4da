/**
 * The consumer side of a record stream (`stream`, `monitor`, `query`): a bounded buffer that
 * the connection pushes records into and an async iterator that drains it.
 */

/** Records buffered per subscription before new ones are dropped (see `dropped`). */
export const DEFAULT_SUBSCRIPTION_BUFFER = 4096;

/**
 * A live record stream opened on an `RpcClient`. Iterate it with `for await`; leaving the loop
 * early (`break`, `return`, an exception) or calling `stop()` sends `stop` to the agent and
 * ends the iteration. When the connection is lost, buffered records are delivered first and
 * the iteration then throws an `RpcClosedError`; after `client.close()` it simply ends.
 *
 * Records arriving while the consumer is slow are buffered (`bufferSize`); when the buffer is
 * full further records are dropped and counted in `dropped`, as the Go client does with a
 * full channel.
 */
export interface RpcSubscription<T> extends AsyncIterable<T> {
  /** The Seq of the request that opened the stream (Go's `StreamHandle`). */
  readonly seq: number;
  /** Records dropped because the buffer was full. */
  readonly dropped: number;
  /** True once the iteration is over (stopped, ended by the agent, or failed). */
  readonly done: boolean;
  /**
   * Ends the iteration and asks the agent to stop sending (`stop` request). Resolves once the
   * agent confirmed, or at once if the connection is already gone. Never rejects.
   */
  stop(): Promise<void>;
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(err: unknown): void;
}

/** Internal implementation; the client drives it with `push`, `end` and `fail`. */
export class Subscription<T> implements RpcSubscription<T> {
  readonly seq: number;
  private readonly bufferSize: number;
  private readonly onStop: () => Promise<void>;
  private readonly queue: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private droppedCount = 0;
  private stopping: Promise<void> | null = null;
  private finishers: (() => void)[] = [];

  constructor(seq: number, bufferSize: number, onStop: () => Promise<void>) {
    this.seq = seq;
    this.bufferSize = bufferSize;
    this.onStop = onStop;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get done(): boolean {
    return (this.ended || this.failure !== null) && this.queue.length === 0;
  }

  /** Runs `fn` once when the subscription ends or fails (at once if it already has). */
  onFinish(fn: () => void): void {
    if (this.ended || this.failure !== null) fn();
    else this.finishers.push(fn);
  }

  private finish(): void {
    for (const fn of this.finishers.splice(0)) fn();
  }

  /** A record from the agent. */
  push(item: T): void {
    if (this.ended || this.failure !== null) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: item, done: false });
    } else if (this.queue.length >= this.bufferSize) {
      this.droppedCount++;
    } else {
      this.queue.push(item);
    }
  }

  /** The stream is over: buffered records are still delivered, then the iteration ends. */
  end(): void {
    if (this.ended || this.failure !== null) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.finish();
  }

  /** The stream failed: buffered records are still delivered, then the iteration throws. */
  fail(error: unknown): void {
    if (this.ended || this.failure !== null) return;
    this.failure = { error };
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.finish();
  }

  /** Ends locally and stops the stream at the agent (once). */
  stop(): Promise<void> {
    this.end();
    this.queue.length = 0;
    if (this.stopping === null) {
      this.stopping = this.onStop().catch(() => undefined);
    }
    return this.stopping;
  }

  /** Fails the iteration with `reason` and stops the stream at the agent. */
  abort(reason: unknown): void {
    this.fail(reason);
    this.queue.length = 0;
    void this.stop();
  }

  private next(): Promise<IteratorResult<T>> {
    const item = this.queue.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.failure !== null) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async (): Promise<IteratorResult<T>> => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}
