/**
 * The driver half of Go's `Snapshotter`: it receives the records a `SerfMachine` emits through
 * its `SnapshotSink` port (the machine decides *what* to record, serf.md §13) and decides
 * *when* bytes reach the {@link SnapshotStore}:
 *
 * - lines are buffered; an append at least 500 ms after the previous flush flushes the buffer
 *   (Go's rule), and a timer flushes a buffer left behind by the last append (Go keeps it until
 *   the next append or shutdown; flushing it a little later loses nothing and helps a crash);
 * - `leave` is flushed and fsynced at once; unless `rejoinAfterLeave`, the alive set is
 *   forgotten, as in Go;
 * - compaction when the tracked size exceeds `max(128 KiB, alive × 256)`: the store is
 *   rewritten with one `alive:` line per member and the three clocks; a failed append triggers
 *   a recovery compaction at most every 30 s;
 * - `close()` flushes, fsyncs and closes the store.
 *
 * Store operations are asynchronous and serialized by the store; failures are logged, never
 * thrown into the machine.
 */

import { performance } from "node:perf_hooks";
import type { Clock, Logger, MetricsSink, TimerHandle } from "@serf-ts/memberlist";
import type { SnapshotSink } from "../core/serf-machine.ts";
import {
  compactedRecords,
  DEFAULT_MIN_COMPACT_SIZE,
  SNAPSHOT_FLUSH_INTERVAL_MS,
  shouldCompact,
  shouldFlush,
  shouldRetryCompaction,
} from "../core/snapshot/compaction.ts";
import {
  type SnapshotRecord,
  serializeSnapshot,
  snapshotLine,
} from "../core/snapshot/snapshot-format.ts";
import type { SnapshotState } from "../core/snapshot/snapshot-replay.ts";
import type { SnapshotStore } from "./snapshot-store.ts";

/** Options of a {@link SnapshotWriter}. */
export interface SnapshotWriterOptions {
  readonly store: SnapshotStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Agent `-rejoin`: a graceful leave keeps the alive set. @default false */
  readonly rejoinAfterLeave?: boolean | undefined;
  /** Minimum compaction threshold in bytes. @default 128 KiB */
  readonly minCompactSize?: number | undefined;
  /** What the replay at start restored (alive set and last clock values). */
  readonly replayed?: SnapshotState | undefined;
  /** Receives `serf.snapshot.appendLine` and `serf.snapshot.compact` (ms). */
  readonly metrics?: MetricsSink | undefined;
}

/** Records the time `operation` takes to settle as a sample of `key` (ms). */
function timed<T>(
  metrics: MetricsSink | undefined,
  key: string[],
  operation: Promise<T>,
): Promise<T> {
  if (metrics === undefined) return operation;
  const start = performance.now();
  return operation.finally(() => metrics.addSample(key, performance.now() - start));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Buffers, flushes and compacts snapshot records; see the module documentation. */
export class SnapshotWriter implements SnapshotSink {
  readonly #store: SnapshotStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #rejoinAfterLeave: boolean;
  readonly #minCompactSize: number;
  readonly #metrics: MetricsSink | undefined;
  #alive = new Map<string, string>();
  #lastClock = 0;
  #lastEventClock = 0;
  #lastQueryClock = 0;
  #buffer = "";
  #lastFlush: number;
  #lastRecovery: number | undefined;
  #flushTimer: TimerHandle | undefined;
  /** Every store operation issued, so `close()` can wait for them. */
  #pending: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SnapshotWriterOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#rejoinAfterLeave = options.rejoinAfterLeave ?? false;
    this.#minCompactSize = options.minCompactSize ?? DEFAULT_MIN_COMPACT_SIZE;
    this.#metrics = options.metrics;
    this.#lastFlush = this.#clock.now();
    const r = options.replayed;
    if (r !== undefined) {
      this.#alive = new Map(r.aliveNodes);
      this.#lastClock = r.lastClock;
      this.#lastEventClock = r.lastEventClock;
      this.#lastQueryClock = r.lastQueryClock;
    }
  }

  /** Members the snapshot currently lists as alive (name → `ip:port`). */
  get aliveNodes(): ReadonlyMap<string, string> {
    return this.#alive;
  }

  /** Bytes buffered and not yet handed to the store. */
  get buffered(): number {
    return this.#buffer.length;
  }

  record(record: SnapshotRecord): void {
    if (this.#closed) return;
    switch (record.kind) {
      case "alive":
        this.#alive.set(record.name, record.addr);
        break;
      case "not-alive":
        this.#alive.delete(record.name);
        break;
      case "clock":
        this.#lastClock = record.value;
        break;
      case "event-clock":
        this.#lastEventClock = record.value;
        break;
      case "query-clock":
        this.#lastQueryClock = record.value;
        break;
      case "leave":
        if (!this.#rejoinAfterLeave) this.#alive = new Map();
        this.#append(snapshotLine(record));
        this.#flush();
        this.#sync();
        return;
      default:
        break;
    }
    this.#append(snapshotLine(record));
  }

  /** Flushes what is buffered, fsyncs and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#sync();
    this.#closed = true;
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    await this.#pending;
    await this.#store.close().catch((err: unknown) => {
      this.#logger.error("failed to close snapshot", { err: errorText(err) });
    });
  }

  #append(line: string): void {
    this.#buffer += line;
    const now = this.#clock.now();
    if (shouldFlush(now, this.#lastFlush)) this.#flush();
    else this.#armFlushTimer();
    if (
      shouldCompact(this.#store.size + this.#buffer.length, this.#alive.size, this.#minCompactSize)
    ) {
      this.#compact();
    }
  }

  #armFlushTimer(): void {
    if (this.#flushTimer !== undefined || this.#closed) return;
    this.#flushTimer = this.#clock.setTimer(
      this.#lastFlush + SNAPSHOT_FLUSH_INTERVAL_MS + 1,
      () => {
        this.#flushTimer = undefined;
        if (!this.#closed) this.#flush();
      },
    );
  }

  #flush(): void {
    this.#lastFlush = this.#clock.now();
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    if (this.#buffer.length === 0) return;
    const text = this.#buffer;
    this.#buffer = "";
    this.#track(
      timed(this.#metrics, ["serf", "snapshot", "appendLine"], this.#store.append(text)).catch(
        (err: unknown) => {
          this.#logger.error("failed to append to snapshot", { err: errorText(err) });
          const now = this.#clock.now();
          if (!this.#closed && shouldRetryCompaction(now, this.#lastRecovery)) {
            this.#lastRecovery = now;
            this.#compact();
          }
        },
      ),
    );
  }

  #sync(): void {
    this.#track(
      this.#store.sync().catch((err: unknown) => {
        this.#logger.error("failed to sync snapshot", { err: errorText(err) });
      }),
    );
  }

  #compact(): void {
    // The compacted content reflects every record seen, buffered ones included.
    this.#buffer = "";
    this.#lastFlush = this.#clock.now();
    const text = serializeSnapshot(
      compactedRecords(this.#alive, {
        lastClock: this.#lastClock,
        lastEventClock: this.#lastEventClock,
        lastQueryClock: this.#lastQueryClock,
      }),
    );
    this.#track(
      timed(this.#metrics, ["serf", "snapshot", "compact"], this.#store.rewrite(text)).catch(
        (err: unknown) => {
          this.#logger.error("failed to compact snapshot", { err: errorText(err) });
        },
      ),
    );
  }

  #track(p: Promise<unknown>): void {
    this.#pending = Promise.all([this.#pending, p]);
  }
}
