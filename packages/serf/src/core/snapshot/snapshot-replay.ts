/**
 * What replaying a snapshot at start-up yields (Go `Snapshotter.replay`, then serf `Create`
 * and `handleRejoin`): the previously alive members to rejoin, the three clocks to witness,
 * and the minimum event/query times that stop old events from being delivered again.
 */

import { type Random, shuffleInPlace } from "../random.ts";
import type { SnapshotRecord } from "./snapshot-format.ts";

/** Replay options. */
export interface ReplayOptions {
  /**
   * Agent `-rejoin` (`rejoin_after_leave`): a `leave` line is ignored instead of clearing the
   * alive set and the clocks. @default false
   */
  readonly rejoinAfterLeave?: boolean;
}

/** The state a snapshot restores. */
export interface SnapshotState {
  /** Previously alive members, name → `ip:port`, in order of their last `alive:` line. */
  readonly aliveNodes: ReadonlyMap<string, string>;
  /** Last `clock:` value (member clock − 1); 0 if none. */
  readonly lastClock: number;
  /** Last `event-clock:` value; 0 if none. */
  readonly lastEventClock: number;
  /** Last `query-clock:` value; 0 if none. */
  readonly lastQueryClock: number;
  /** A `leave` line was seen (whether or not it was honoured). */
  readonly leaveSeen: boolean;
  /**
   * The last `leave` line was honoured (not `rejoinAfterLeave`) and no member joined after it:
   * the agent left gracefully and has nothing to rejoin.
   */
  readonly left: boolean;
  /** Records that were ignored: unrecognized lines and malformed clock/alive lines. */
  readonly warnings: readonly string[];
}

/** Applies records in order, as Go's replay loop does. */
export function replaySnapshot(
  records: readonly SnapshotRecord[],
  options: ReplayOptions = {},
): SnapshotState {
  const rejoinAfterLeave = options.rejoinAfterLeave ?? false;
  let alive = new Map<string, string>();
  let lastClock = 0;
  let lastEventClock = 0;
  let lastQueryClock = 0;
  let leaveSeen = false;
  let left = false;
  const warnings: string[] = [];
  for (const r of records) {
    switch (r.kind) {
      case "alive":
        // Go assigns into a map: a re-added name keeps its slot; order here = last write.
        alive.delete(r.name);
        alive.set(r.name, r.addr);
        left = false;
        break;
      case "not-alive":
        alive.delete(r.name);
        break;
      case "clock":
        lastClock = r.value;
        break;
      case "event-clock":
        lastEventClock = r.value;
        break;
      case "query-clock":
        lastQueryClock = r.value;
        break;
      case "leave":
        leaveSeen = true;
        if (rejoinAfterLeave) break;
        alive = new Map();
        lastClock = 0;
        lastEventClock = 0;
        lastQueryClock = 0;
        left = true;
        break;
      case "coordinate":
      case "comment":
        break;
      case "unrecognized":
        warnings.push(`${r.problem}: ${r.line}`);
        break;
    }
  }
  return {
    aliveNodes: alive,
    lastClock,
    lastEventClock,
    lastQueryClock,
    leaveSeen,
    left,
    warnings,
  };
}

/** Clock restoration a serf instance derives from a snapshot at start. */
export interface RestoredClocks {
  /** Witnessed by the member clock (after its initial increment). */
  readonly memberClock: number;
  /** Witnessed by the event clock. */
  readonly eventClock: number;
  /** Witnessed by the query clock. */
  readonly queryClock: number;
  /** `eventMinTime = event-clock + 1`: older events are never delivered again. */
  readonly eventMinTime: number;
  /** `queryMinTime = query-clock + 1`. */
  readonly queryMinTime: number;
}

/** The clock values serf `Create` takes from a replayed snapshot. */
export function restoredClocks(state: SnapshotState): RestoredClocks {
  return {
    memberClock: state.lastClock,
    eventClock: state.lastEventClock,
    queryClock: state.lastQueryClock,
    eventMinTime: state.lastEventClock + 1,
    queryMinTime: state.lastQueryClock + 1,
  };
}

/** A previously known member to try to rejoin (Go `PreviousNode`). */
export interface PreviousNode {
  readonly name: string;
  readonly addr: string;
  /** What memberlist join is given: `name/addr` (or just `addr` for an empty name). */
  readonly joinAddress: string;
}

/**
 * The rejoin attempts, in order (Go `AliveNodes` shuffles, `handleRejoin` skips the local
 * node): the caller tries a memberlist join with each until one succeeds.
 */
export function rejoinCandidates(
  state: SnapshotState,
  localName: string,
  random: Random,
): PreviousNode[] {
  const previous: PreviousNode[] = [];
  for (const [name, addr] of state.aliveNodes) {
    previous.push({ name, addr, joinAddress: name === "" ? addr : `${name}/${addr}` });
  }
  shuffleInPlace(previous, random);
  return previous.filter((p) => p.name !== localName);
}
