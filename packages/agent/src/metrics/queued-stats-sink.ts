/**
 * What go-metrics' `StatsdSink` and `StatsiteSink` share: a bounded line queue that never blocks
 * the agent, a flush every 100 ms (the timer armed only while lines wait), and Go's WAIT state
 * after a connection or write error (metrics dropped for 5 s, then a reconnect). The transports
 * (`statsd-sink.ts`, UDP; `statsite-sink.ts`, TCP) only connect, write and disconnect.
 */

import { StatsLineSink } from "./stats-line.ts";

/** go-metrics' flush interval. */
export const STATS_FLUSH_INTERVAL_MS = 100;
/** go-metrics' metric queue capacity. */
export const STATS_QUEUE_CAPACITY = 4096;
/** go-metrics' pause after a connection or write error. */
export const STATS_RETRY_MS = 5000;

/** Where a stats sink logs its errors (Go's `log.Printf("[ERR] …")`). */
export type StatsErrorLog = (message: string) => void;

/** Options both sinks take. */
export interface QueuedStatsSinkOptions {
  readonly logError?: StatsErrorLog | undefined;
  /** @default 100 */
  readonly flushIntervalMs?: number | undefined;
}

/** A line sink with go-metrics' queue, flush timer and error pause; see the file comment. */
export abstract class QueuedStatsSink extends StatsLineSink {
  /** Lines waiting for the next flush (at most {@link STATS_QUEUE_CAPACITY}). */
  protected readonly queue: string[] = [];
  /** Until when metrics are dropped after an error (epoch ms). */
  protected pausedUntil = 0;
  protected closed = false;
  readonly #log: StatsErrorLog;
  readonly #flushIntervalMs: number;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: QueuedStatsSinkOptions) {
    super();
    this.#log = options.logError ?? (() => {});
    this.#flushIntervalMs = options.flushIntervalMs ?? STATS_FLUSH_INTERVAL_MS;
  }

  /** Sends the queued lines (or reconnects when there is no connection and no pause). */
  protected abstract flush(): void;

  /** Drops the current connection, if any, after an error. */
  protected abstract dropConnection(): void;

  protected push(line: string): void {
    if (this.closed || Date.now() < this.pausedUntil) return;
    if (this.queue.length >= STATS_QUEUE_CAPACITY) return;
    this.queue.push(line);
    // Armed only while lines wait: an agent that emits nothing does not wake up for us.
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.flush();
      }, this.#flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  /** Go's WAIT state: log, drop metrics for 5 s, then reconnect on the next flush. */
  protected pause(message: string): void {
    if (this.closed) return;
    this.#log(message);
    this.queue.length = 0;
    this.pausedUntil = Date.now() + STATS_RETRY_MS;
    this.dropConnection();
  }

  /** Stops accepting lines and the flush timer (the subclass then closes its connection). */
  protected stopFlushing(): void {
    this.closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }
}

/** The message of an error value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
