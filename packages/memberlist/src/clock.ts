/**
 * Time for drivers. The sans-I/O core never reads a clock: drivers pass `clock.now()` into it
 * and arm one timer for its next deadline. Times are milliseconds on a monotonic clock with an
 * arbitrary origin (never wall-clock time).
 */

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

function armSystemTimer(clock: Clock, atMs: number, fn: () => void): TimerHandle {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const delay = atMs - clock.now();
    if (delay > MAX_TIMEOUT_MS) {
      timer = setTimeout(arm, MAX_TIMEOUT_MS);
      return;
    }
    timer = setTimeout(
      () => {
        if (cancelled) return;
        // setTimeout may fire a little early relative to performance.now(); re-arm if so.
        if (clock.now() < atMs) {
          arm();
          return;
        }
        cancelled = true;
        fn();
      },
      Math.max(0, Math.ceil(delay)),
    );
  };
  arm();
  return {
    cancel(): void {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** The process's monotonic clock (`performance.now()`) with `setTimeout` timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(atMs, fn) {
    return armSystemTimer(systemClock, atMs, fn);
  },
};
