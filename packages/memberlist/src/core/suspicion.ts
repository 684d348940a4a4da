/**
 * Lifeguard suspicion with independent confirmations (Go `suspicion`), as a pure value: the
 * machine asks for `deadline` and re-arms its timer when `confirm` moves it.
 *
 * The timer starts at `max` (or `min` when no confirmations are expected, `k < 1`). Every
 * suspect message from a new `From` (up to `k`) shortens it to
 * `max − (ln(c + 1) / ln(k + 1)) × (max − min)` (floored to ms, at least `min`), measured from
 * the start of the suspicion; if that moment has already passed the timer fires at once.
 */

import { suspicionTimeoutAfterMs, suspicionTimeoutMs } from "./math.ts";

/** Parameters of one suspicion, computed when a node turns suspect. */
export interface SuspicionParams {
  /** Expected independent confirmations. */
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * The parameters Go's `suspectNode` computes for a cluster of `n` nodes (all entries of the
 * local list): `k = SuspicionMult − 2` (0 if `n − 2 < k`), `min` from `suspicionTimeoutMs`,
 * `max = SuspicionMaxTimeoutMult × min`.
 */
export function suspicionParams(
  suspicionMult: number,
  suspicionMaxTimeoutMult: number,
  n: number,
  probeIntervalMs: number,
): SuspicionParams {
  let k = suspicionMult - 2;
  if (n - 2 < k) k = 0;
  const minMs = suspicionTimeoutMs(suspicionMult, n, probeIntervalMs);
  return { k, minMs, maxMs: suspicionMaxTimeoutMult * minMs };
}

/** One running suspicion of one node. */
export class Suspicion {
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** When the suspicion started (ms). */
  readonly startMs: number;
  private confirmed = 0;
  private readonly seen = new Set<string>();
  private deadlineMs: number;

  /**
   * @param from the node that raised the suspicion; it counts as already seen.
   */
  constructor(from: string, params: SuspicionParams, nowMs: number) {
    this.k = params.k;
    this.minMs = params.minMs;
    this.maxMs = params.maxMs;
    this.startMs = nowMs;
    this.seen.add(from);
    this.deadlineMs = nowMs + (params.k < 1 ? params.minMs : params.maxMs);
  }

  /** Independent confirmations received so far (the suspector excluded). */
  get confirmations(): number {
    return this.confirmed;
  }

  /** Absolute time (ms) at which the node is declared dead if nothing refutes it. */
  get deadline(): number {
    return this.deadlineMs;
  }

  /**
   * Records a suspect message from `from`.
   * @returns true if it was a new confirmation (the caller re-gossips it); the deadline may
   *   have moved, possibly into the past (fire immediately).
   */
  confirm(from: string): boolean {
    if (this.confirmed >= this.k) return false;
    if (this.seen.has(from)) return false;
    this.seen.add(from);
    this.confirmed++;
    const timeout = suspicionTimeoutAfterMs(this.confirmed, this.k, this.minMs, this.maxMs);
    this.deadlineMs = this.startMs + timeout;
    return true;
  }
}
