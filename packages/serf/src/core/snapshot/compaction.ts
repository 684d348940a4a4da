/**
 * When and how the snapshot file is compacted (Go `Snapshotter.appendLine`,
 * `snapshotMaxSize`, `compact`), and the timing constants of the snapshot writer, as pure
 * functions.
 */

import type { SnapshotRecord } from "./snapshot-format.ts";

/** Go serf `snapshotSizeLimit`: the agent's minimum compaction threshold, 128 KiB. */
export const DEFAULT_MIN_COMPACT_SIZE = 128 * 1024;
/** Estimated bytes per alive member (Go `snapshotBytesPerNode`). */
export const SNAPSHOT_BYTES_PER_NODE = 128;
/** Factor applied to the estimate (Go `snapshotCompactionThreshold`). */
export const SNAPSHOT_COMPACTION_THRESHOLD = 2;
/** Buffered lines are flushed by an append at least this long after the previous flush. */
export const SNAPSHOT_FLUSH_INTERVAL_MS = 500;
/** How often the member clock is checked for a new `clock:` line. */
export const SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS = 500;
/** After a failed append, compaction is retried at most this often. */
export const SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS = 30_000;
/** Time allowed to write pending events at shutdown. */
export const SNAPSHOT_SHUTDOWN_FLUSH_TIMEOUT_MS = 250;
/** Suffix of the temporary file written during compaction. */
export const SNAPSHOT_COMPACT_SUFFIX = ".compact";

/**
 * Size above which the file is compacted: `max(minCompactSize, aliveMembers × 128 × 2)`
 * (Go `snapshotMaxSize`).
 */
export function snapshotMaxSize(
  aliveMembers: number,
  minCompactSize: number = DEFAULT_MIN_COMPACT_SIZE,
): number {
  const threshold = aliveMembers * SNAPSHOT_BYTES_PER_NODE * SNAPSHOT_COMPACTION_THRESHOLD;
  return Math.max(threshold, minCompactSize);
}

/**
 * Whether an append that brought the tracked size (`offset`: size at open or after the last
 * compaction, plus bytes appended since) to `offset` triggers a compaction: strictly greater
 * than {@link snapshotMaxSize}.
 */
export function shouldCompact(
  offset: number,
  aliveMembers: number,
  minCompactSize: number = DEFAULT_MIN_COMPACT_SIZE,
): boolean {
  return offset > snapshotMaxSize(aliveMembers, minCompactSize);
}

/** Whether a buffered append at `now` should also flush (more than 500 ms since the last). */
export function shouldFlush(now: number, lastFlush: number): boolean {
  return now - lastFlush > SNAPSHOT_FLUSH_INTERVAL_MS;
}

/** Whether to attempt a recovery compaction after a failed append. */
export function shouldRetryCompaction(now: number, lastAttempt: number | undefined): boolean {
  return lastAttempt === undefined || now - lastAttempt > SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS;
}

/** The clocks written at the end of a compacted file. */
export interface CompactionClocks {
  readonly lastClock: number;
  readonly lastEventClock: number;
  readonly lastQueryClock: number;
}

/**
 * Contents of the compacted file (Go `compact`): one `alive:` line per currently alive member,
 * then `clock:`, `event-clock:` and `query-clock:` with the last values (always written, even
 * when 0).
 */
export function compactedRecords(
  aliveNodes: ReadonlyMap<string, string>,
  clocks: CompactionClocks,
): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (const [name, addr] of aliveNodes) records.push({ kind: "alive", name, addr });
  records.push({ kind: "clock", value: clocks.lastClock });
  records.push({ kind: "event-clock", value: clocks.lastEventClock });
  records.push({ kind: "query-clock", value: clocks.lastQueryClock });
  return records;
}
