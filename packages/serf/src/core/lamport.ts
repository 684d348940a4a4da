/**
 * Lamport clock as serf uses it (Go `LamportClock`). serf keeps three independent ones:
 * member clock (join/leave intents, push/pull `LTime`), event clock and query clock.
 *
 * Go's counter is a uint64; here it is a `number`, so values stay exact up to 2^53 − 1 (the
 * wire decoders reject larger Lamport times). The core is single-threaded, so none of Go's
 * atomics are needed.
 */
export class LamportClock {
  #counter: number;

  /** @param initial starting counter (Go starts at 0; serf then increments once at start). */
  constructor(initial = 0) {
    if (!isLamportTime(initial)) throw new RangeError(`LamportClock: bad initial value ${initial}`);
    this.#counter = initial;
  }

  /** The current value (Go `Time`). */
  time(): number {
    return this.#counter;
  }

  /** Adds one and returns the new value (Go `Increment`). */
  increment(): number {
    this.#counter += 1;
    return this.#counter;
  }

  /**
   * Records a value seen from another process (Go `Witness`): values below the counter are
   * ignored, otherwise the counter becomes `v + 1`, so it is always strictly ahead of anything
   * witnessed. Values that are not non-negative safe integers are ignored.
   */
  witness(v: number): void {
    if (!isLamportTime(v) || v < this.#counter) return;
    this.#counter = v + 1;
  }
}

/** True for a valid Lamport time: a non-negative safe integer. */
export function isLamportTime(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}
