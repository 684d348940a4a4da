/**
 * Time for drivers. The sans-I/O core never reads a clock: drivers pass `clock.now()` into it
 * and arm one timer for its next deadline. Times are milliseconds on a monotonic clock with an
 * arbitrary origin (never wall-clock time).
 */

import { type Deadline, DeadlineQueue } from "./core/deadlines.ts";

/** A scheduled callback; cancelling twice or after it fired is harmless. */
export interface TimerHandle {
  cancel(): void;
}

/** A monotonic millisecond clock with one-shot timers. */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. May be fractional. */
  now(): number;
  /** Calls `fn` once, as soon as possible at or after `atMs` (absolute, same origin as `now`). */
  setTimer(atMs: number, fn: () => void): TimerHandle;
}

/** Largest delay `setTimeout` accepts without firing immediately (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Below this many ms left, the next deadline is awaited on the check phase (`setImmediate`)
 * instead of `setTimeout`, whose whole-millisecond granularity would make it late.
 */
const SPIN_BELOW_MS = 1;

/**
 * The timers of {@link systemClock}: one heap, one Node timer for the earliest deadline, and
 * deadlines run in `(atMs, arming order)`, so two timers never fire out of order.
 *
 * `setTimeout` counts from libuv's cached loop time in whole milliseconds: it may wake a bit
 * before the deadline (by a fraction of a millisecond, or by the time the current callback had
 * already run when it was armed). It is armed for the floor of the delay and the last fraction
 * is awaited with `setImmediate`; timers then fire a few tens of microseconds after their
 * deadline instead of about 1 ms (rounding up, then re-arming when woken early).
 */
class SystemTimers {
  readonly #queue = new DeadlineQueue<() => void>();
  readonly #now: () => number;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #armedFor: number | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  schedule(atMs: number, fn: () => void): TimerHandle {
    const entry = this.#queue.schedule(atMs, fn);
    if (this.#armedFor === undefined || atMs < this.#armedFor) this.#arm();
    return { cancel: () => this.#cancel(entry) };
  }

  #cancel(entry: Deadline<() => void>): void {
    if (entry.cancelled) return;
    this.#queue.cancel(entry);
    if (this.#queue.size === 0) this.#disarm();
  }

  #disarm(): void {
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timeout = undefined;
    this.#immediate = undefined;
    this.#armedFor = undefined;
  }

  #arm(): void {
    this.#disarm();
    const at = this.#queue.peek();
    if (at === undefined) return;
    this.#armedFor = at;
    const left = at - this.#now();
    if (left < SPIN_BELOW_MS) {
      this.#immediate = setImmediate(this.#run);
    } else {
      this.#timeout = setTimeout(this.#run, Math.min(MAX_TIMEOUT_MS, Math.floor(left)));
    }
  }

  readonly #run = (): void => {
    this.#timeout = undefined;
    this.#immediate = undefined;
    this.#armedFor = undefined;
    try {
      for (;;) {
        const due = this.#queue.popDue(this.#now());
        if (due === undefined) break;
        due.payload();
      }
    } finally {
      if (this.#armedFor === undefined) this.#arm();
    }
  };
}

const systemTimers = new SystemTimers(() => performance.now());

/** The process's monotonic clock (`performance.now()`) with `setTimeout` timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(atMs, fn) {
    return systemTimers.schedule(atMs, fn);
  },
};
