/**
 * `setTimeout` for any delay: Node fires timers longer than 2^31-1 ms after 1 ms, while Go's
 * timers (query deadlines) can be days long. Such delays are split into chained timers.
 */

const MAX_DELAY = 0x7fffffff;

/** A cancellable timer. */
export interface LongTimer {
  cancel(): void;
}

/**
 * Calls `fn` after `ms` milliseconds (negative or NaN: on the next turn; +Infinity: never,
 * until cancelled).
 */
export function longTimeout(fn: () => void, ms: number): LongTimer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;
  const wait = Number.isNaN(ms) ? 0 : Math.max(ms, 0);
  const due = ms === Number.POSITIVE_INFINITY ? ms : Date.now() + wait;
  const arm = (): void => {
    const left = due - Date.now();
    if (left > MAX_DELAY) {
      handle = setTimeout(arm, MAX_DELAY);
      return;
    }
    handle = setTimeout(
      () => {
        handle = undefined;
        if (!cancelled) fn();
      },
      Math.max(0, left),
    );
  };
  arm();
  return {
    cancel(): void {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
  };
}
