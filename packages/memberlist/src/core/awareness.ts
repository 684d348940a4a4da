/**
 * Lifeguard local health awareness (Go `awareness`): an integer score in
 * `[0, AwarenessMaxMultiplier − 1]`; higher means "we are probably the slow one". The probe
 * interval is multiplied by `score + 1`.
 */
export class Awareness {
  readonly max: number;
  private current = 0;

  /** @param max `AwarenessMaxMultiplier` (8 in every profile). */
  constructor(max: number) {
    this.max = max;
  }

  /** Current health score (0 = healthy). */
  get score(): number {
    return this.current;
  }

  /**
   * Adds `delta` and clamps to `[0, max − 1]`.
   * @returns true if the score changed.
   */
  applyDelta(delta: number): boolean {
    const initial = this.current;
    let next = initial + delta;
    if (next < 0) next = 0;
    else if (next > this.max - 1) next = this.max - 1;
    this.current = next;
    return next !== initial;
  }

  /** `timeoutMs × (score + 1)`. */
  scaleTimeout(timeoutMs: number): number {
    return timeoutMs * (this.current + 1);
  }
}
