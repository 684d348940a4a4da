/**
 * Query timing and relay helpers: Go `DefaultQueryTimeout`, `relayResponse`'s eligibility
 * rules and `kRandomMembers`.
 */

import { MemberStatus } from "@serf-ts/wire";
import { type Random, randomIntn } from "./random.ts";

/** Go serf `QueryTimeoutMult`. */
export const DEFAULT_QUERY_TIMEOUT_MULT = 16;

/** Go `math.Log10`, which is `Log(x) * (1/Ln10)` (not always equal to `Math.log10`). */
function goLog10(x: number): number {
  return Math.log(x) * Math.LOG10E;
}

/**
 * Go's default query timeout, `GossipInterval × QueryTimeoutMult × ceil(log10(n + 1))`, in ms.
 * `numMembers` is memberlist's live member count (itself included), so 1–9 nodes with the LAN
 * gossip interval (200 ms) give 3200 ms and 10–99 give 6400 ms. With `numMembers = 0` the
 * result is 0, as in Go.
 */
export function defaultQueryTimeoutMs(
  gossipIntervalMs: number,
  numMembers: number,
  queryTimeoutMult: number = DEFAULT_QUERY_TIMEOUT_MULT,
): number {
  if (!Number.isSafeInteger(numMembers) || numMembers < 0) {
    throw new RangeError(`numMembers must be a non-negative integer, got ${numMembers}`);
  }
  return gossipIntervalMs * queryTimeoutMult * Math.ceil(goLog10(numMembers + 1));
}

/**
 * Picks up to `k` distinct members (by name) at random, skipping those `exclude` rejects (Go
 * `kRandomMembers`): `3 × members.length` random draws at most, so with few eligible members
 * fewer than `k` may come back.
 */
export function kRandomMembers<M extends { readonly name: string }>(
  k: number,
  members: readonly M[],
  random: Random,
  exclude?: (member: M) => boolean,
): M[] {
  const n = members.length;
  const picked: M[] = [];
  for (let i = 0; i < 3 * n && picked.length < k; i++) {
    const member = members[randomIntn(random, n)] as M;
    if (exclude?.(member)) continue;
    if (picked.some((p) => p.name === member.name)) continue;
    picked.push(member);
  }
  return picked;
}

/** What relay selection needs to know about a member. */
export interface RelayCandidate {
  readonly name: string;
  readonly status: MemberStatus;
  /** memberlist protocol max (`PMax`, 5 for memberlist 0.2.2 and for serf-ts). */
  readonly protocolMax: number;
}

/** Go's minimum `ProtocolMax` for a relay target. */
export const RELAY_MIN_PROTOCOL_MAX = 5;

/**
 * The members a responder relays a copy of its ack/response through (Go `relayResponse`):
 * none when `relayFactor` is 0 or fewer than `relayFactor + 1` members are known (all
 * statuses, self included); otherwise up to `relayFactor` random members that are alive, not
 * the local node, and have memberlist `PMax ≥ 5` (serf.md §7.5).
 */
export function selectRelayTargets<M extends RelayCandidate>(
  members: readonly M[],
  relayFactor: number,
  localName: string,
  random: Random,
): M[] {
  if (relayFactor <= 0 || members.length < relayFactor + 1) return [];
  return kRandomMembers(
    relayFactor,
    members,
    random,
    (m) =>
      m.status !== MemberStatus.ALIVE ||
      m.protocolMax < RELAY_MIN_PROTOCOL_MAX ||
      m.name === localName,
  );
}
