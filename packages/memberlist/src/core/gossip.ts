/**
 * Gossip fan-out target selection (Go `gossip`, memberlist.md §9.6): up to `GossipNodes`
 * random nodes other than us that are alive, suspect, or dead for at most
 * `GossipToTheDeadTime`. Left nodes are never gossiped to.
 */

import { ALIVE, DEAD, type MemberRecord, SUSPECT } from "./context.ts";
import { kRandomNodes } from "./math.ts";
import type { Random } from "./random.ts";

/** Bytes of compound header assumed when budgeting a packet (Go `compoundHeaderOverhead`). */
export const COMPOUND_HEADER_OVERHEAD = 2;
/** Bytes assumed per message inside a compound (Go `compoundOverhead`). */
export const COMPOUND_OVERHEAD = 2;
/** The `08` type byte added to each delegate broadcast (Go `userMsgOverhead`). */
export const USER_MSG_OVERHEAD = 1;
/** AES-GCM version 1 overhead: version byte + nonce + tag (Go `encryptOverhead`). */
export const ENCRYPT_OVERHEAD = 29;
/** A compound message holds at most this many parts (its count is one byte). */
export const MAX_COMPOUND_PARTS = 255;

export function gossipTargets(
  random: Random,
  k: number,
  nodes: readonly MemberRecord[],
  selfName: string,
  now: number,
  gossipToTheDeadTimeMs: number,
): MemberRecord[] {
  return kRandomNodes(random, k, nodes, (n) => {
    if (n.name === selfName) return true;
    switch (n.state) {
      case ALIVE:
      case SUSPECT:
        return false;
      case DEAD:
        return now - n.stateChange > gossipToTheDeadTimeMs;
      default:
        return true;
    }
  });
}
