/**
 * The formulas memberlist scales with cluster size. Each function names the Go helper it
 * reproduces (memberlist 0.2.2 `util.go`); results are in milliseconds.
 */

import { type Random, randomOffset } from "./random.ts";

/** Clusters up to this size push/pull every `PushPullInterval`; larger ones back off. */
export const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * Minimum suspicion timeout (Go `suspicionTimeout`):
 * `SuspicionMult × max(1, log10(max(1, n))) × ProbeInterval`, with the node scale truncated to
 * 1/1000 as Go does (it multiplies by 1000 to keep precision in an integer Duration).
 */
export function suspicionTimeoutMs(
  suspicionMult: number,
  n: number,
  probeIntervalMs: number,
): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  const scaled = Math.floor(nodeScale * 1000);
  // Go computes in integer nanoseconds: mult * scaled * intervalNs / 1000 (truncating).
  const nanos = Math.floor((suspicionMult * scaled * Math.round(probeIntervalMs * 1e6)) / 1000);
  return nanos / 1e6;
}

/**
 * Lifeguard's accelerated suspicion timeout after `confirmations` independent confirmations out
 * of `k` expected (Go `remainingSuspicionTime` without the elapsed part):
 * `max − (ln(c + 1) / ln(k + 1)) × (max − min)`, floored to whole milliseconds, at least `min`.
 * The timeout is measured from the start of the suspicion.
 */
export function suspicionTimeoutAfterMs(
  confirmations: number,
  k: number,
  minMs: number,
  maxMs: number,
): number {
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = maxMs / 1000 - frac * (maxMs / 1000 - minMs / 1000);
  const timeout = Math.floor(1000 * raw);
  return Math.max(timeout, minMs);
}

/**
 * Transmit limit of a broadcast (Go `retransmitLimit`):
 * `RetransmitMult × ceil(log10(n + 1))`.
 */
export function retransmitLimit(retransmitMult: number, n: number): number {
  const nodeScale = Math.ceil(Math.log10(n + 1));
  return retransmitMult * nodeScale;
}

/**
 * Push/pull interval scaled to the cluster size (Go `pushPullScale`): unchanged up to 32 nodes,
 * then multiplied by `ceil(log2(n) − log2(32)) + 1` (33–64 → 2×, 65–128 → 3×, …).
 */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * intervalMs;
}

/**
 * Up to `k` distinct random items for which `exclude` is false (Go `kRandomNodes`): `3 × n`
 * random draws, so small lists are searched (almost) exhaustively. Fewer than `k` items may be
 * returned.
 */
export function kRandomNodes<T>(
  random: Random,
  k: number,
  nodes: readonly T[],
  exclude: (node: T) => boolean,
): T[] {
  const n = nodes.length;
  const picked: T[] = [];
  for (let i = 0; i < 3 * n && picked.length < k; i++) {
    const node = nodes[randomOffset(random, n)] as T;
    if (exclude(node)) continue;
    if (picked.includes(node)) continue;
    picked.push(node);
  }
  return picked;
}
