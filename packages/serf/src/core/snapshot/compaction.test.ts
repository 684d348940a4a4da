import { describe, expect, it } from "vitest";
import {
  compactedRecords,
  DEFAULT_MIN_COMPACT_SIZE,
  shouldCompact,
  shouldFlush,
  shouldRetryCompaction,
  snapshotMaxSize,
} from "./compaction.ts";
import { parseSnapshot, serializeSnapshot } from "./snapshot-format.ts";
import { replaySnapshot } from "./snapshot-replay.ts";

describe("snapshot compaction (§13)", () => {
  it("threshold is max(128 KiB, alive × 128 × 2)", () => {
    expect(DEFAULT_MIN_COMPACT_SIZE).toBe(131072);
    expect(snapshotMaxSize(0)).toBe(131072);
    expect(snapshotMaxSize(512)).toBe(131072);
    expect(snapshotMaxSize(513)).toBe(131328);
    expect(snapshotMaxSize(10, 1000)).toBe(2560);
    expect(snapshotMaxSize(1, 1000)).toBe(1000);
  });

  it("compacts only when the tracked size is strictly greater", () => {
    expect(shouldCompact(131072, 3)).toBe(false);
    expect(shouldCompact(131073, 3)).toBe(true);
    expect(shouldCompact(131073, 1000)).toBe(false);
    expect(shouldCompact(256001, 1000)).toBe(true);
  });

  it("flush and error-recovery timing", () => {
    expect(shouldFlush(500, 0)).toBe(false);
    expect(shouldFlush(501, 0)).toBe(true);
    expect(shouldRetryCompaction(0, undefined)).toBe(true);
    expect(shouldRetryCompaction(30_000, 0)).toBe(false);
    expect(shouldRetryCompaction(30_001, 0)).toBe(true);
  });

  it("the compacted file holds the alive members then the three clocks", () => {
    const alive = new Map([
      ["a", "10.0.0.1:7946"],
      ["b", "[::1]:7946"],
    ]);
    const records = compactedRecords(alive, {
      lastClock: 12,
      lastEventClock: 0,
      lastQueryClock: 4,
    });
    const text = serializeSnapshot(records);
    expect(text).toBe(
      "alive: a 10.0.0.1:7946\nalive: b [::1]:7946\nclock: 12\nevent-clock: 0\nquery-clock: 4\n",
    );
    // Replaying it restores the same state.
    const s = replaySnapshot(parseSnapshot(text).records);
    expect([...s.aliveNodes]).toEqual([...alive]);
    expect([s.lastClock, s.lastEventClock, s.lastQueryClock]).toEqual([12, 0, 4]);
  });
});
