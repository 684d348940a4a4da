/**
 * A virtual clock for deterministic driver tests: time only moves when the test calls
 * `advance`/`advanceTo`/`runDue`, and due timers fire in `(atMs, creation order)` order.
 */

import type { Clock, TimerHandle } from "../clock.ts";

interface PendingTimer {
  readonly atMs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A `Clock` whose time is set by the test. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(atMs: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = { atMs, seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of armed, uncancelled timers. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** The earliest armed deadline, if any. */
  nextDeadline(): number | undefined {
    return this.#next()?.atMs;
  }

  /** Runs every timer due at the current time (including ones they arm for "now"). */
  runDue(): number {
    return this.#runUntil(this.#now);
  }

  /** Moves time forward by `ms`, firing due timers in order at their own times. */
  advance(ms: number): number {
    return this.#runUntil(this.#now + Math.max(0, ms));
  }

  /** Moves time forward to `atMs` (no-op if in the past), firing due timers. */
  advanceTo(atMs: number): number {
    return this.#runUntil(Math.max(this.#now, atMs));
  }

  #next(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled) continue;
      if (best === undefined || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) {
        best = t;
      }
    }
    return best;
  }

  #runUntil(target: number): number {
    let fired = 0;
    for (;;) {
      const t = this.#next();
      if (t === undefined || t.atMs > target) break;
      t.cancelled = true;
      this.#timers = this.#timers.filter((x) => !x.cancelled);
      if (t.atMs > this.#now) this.#now = t.atMs;
      fired++;
      t.fn();
    }
    this.#now = target;
    return fired;
  }
}
