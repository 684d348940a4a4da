/**
 * Coalescing as a sans-I/O pipeline stage (Go `coalesceLoop` with its `coalescer` interface).
 *
 * Go runs a goroutine per coalescer with two timers: a *quantum* started by the first
 * coalesced event of a round (at most `coalescePeriod` later everything is flushed) and a
 * *quiescent* timer restarted by every coalesced event (flush after `quiescentPeriod` of
 * silence). Whichever fires first flushes and starts a new round. Here the stage keeps the two
 * deadlines as numbers, the driver arms one timer at {@link CoalesceStage.nextDeadline} and
 * calls {@link CoalesceStage.handleTimeout}; events the coalescer does not handle pass
 * straight through.
 */

/** Strategy plugged into {@link CoalesceStage} (Go `coalescer`: Handle, Coalesce, Flush). */
export interface Coalescer<E, C extends E = E> {
  /** Whether this event is coalesced; other events pass through unchanged. */
  handles(event: E): event is C;
  /** Absorbs a handled event. */
  coalesce(event: C): void;
  /** Returns the coalesced events and starts a new round. */
  flush(): C[];
}

/**
 * A synchronous event-pipeline stage: `(event, now) => emitted events`, plus its own deadline.
 * The snapshot recorder, the internal-query handler and both coalescers share this shape.
 */
export interface EventStage<E> {
  /** Feeds one event at driver time `now` (ms); returns what the stage emits now, in order. */
  handle(event: E, now: number): E[];
  /** The earliest time at which {@link EventStage.handleTimeout} has work, if any. */
  nextDeadline(): number | undefined;
  /** Runs whatever is due at `now`; returns the emitted events. */
  handleTimeout(now: number): E[];
  /** Emits everything held, regardless of deadlines (shutdown). */
  flush(now: number): E[];
}

/** Timing of a coalescing stage. */
export interface CoalesceOptions {
  /** Maximum time (ms) an event is held: the quantum. Agent: 3000. */
  readonly coalescePeriodMs: number;
  /** Flush after this long (ms) without a new coalesced event. Agent: 1000. */
  readonly quiescentPeriodMs: number;
}

/** Runs a {@link Coalescer} with Go's quantum/quiescence rules. */
export class CoalesceStage<E, C extends E = E> implements EventStage<E> {
  readonly #coalescer: Coalescer<E, C>;
  readonly #coalescePeriodMs: number;
  readonly #quiescentPeriodMs: number;
  #quantumAt: number | undefined;
  #quiescentAt: number | undefined;

  constructor(coalescer: Coalescer<E, C>, options: CoalesceOptions) {
    for (const [k, v] of Object.entries(options)) {
      if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${k} must be ≥ 0, got ${v}`);
    }
    this.#coalescer = coalescer;
    this.#coalescePeriodMs = options.coalescePeriodMs;
    this.#quiescentPeriodMs = options.quiescentPeriodMs;
  }

  handle(event: E, now: number): E[] {
    // A timer that is already due would have fired before this event arrived.
    const out: E[] = this.handleTimeout(now);
    if (!this.#coalescer.handles(event)) {
      out.push(event);
      return out;
    }
    this.#quantumAt ??= now + this.#coalescePeriodMs;
    this.#quiescentAt = now + this.#quiescentPeriodMs;
    this.#coalescer.coalesce(event);
    return out;
  }

  nextDeadline(): number | undefined {
    if (this.#quantumAt === undefined || this.#quiescentAt === undefined) return undefined;
    return Math.min(this.#quantumAt, this.#quiescentAt);
  }

  handleTimeout(now: number): E[] {
    const due = this.nextDeadline();
    if (due === undefined || now < due) return [];
    return this.flush(now);
  }

  flush(_now: number): E[] {
    this.#quantumAt = undefined;
    this.#quiescentAt = undefined;
    return this.#coalescer.flush();
  }
}

/**
 * Chains stages left to right (Go's snapshot → internal queries → user coalescer → member
 * coalescer → application): each stage's output is fed to the next at the same `now`.
 */
export function chainStages<E>(stages: readonly EventStage<E>[]): EventStage<E> {
  const feed = (events: E[], from: number, now: number): E[] => {
    let current = events;
    for (let i = from; i < stages.length; i++) {
      const stage = stages[i] as EventStage<E>;
      const next: E[] = [];
      for (const e of current) next.push(...stage.handle(e, now));
      current = next;
    }
    return current;
  };
  const drain = (now: number, run: (s: EventStage<E>) => E[]): E[] => {
    const out: E[] = [];
    stages.forEach((stage, i) => {
      out.push(...feed(run(stage), i + 1, now));
    });
    return out;
  };
  return {
    handle: (event, now) => feed([event], 0, now),
    nextDeadline: () => {
      let min: number | undefined;
      for (const s of stages) {
        const d = s.nextDeadline();
        if (d !== undefined && (min === undefined || d < min)) min = d;
      }
      return min;
    },
    handleTimeout: (now) => drain(now, (s) => s.handleTimeout(now)),
    flush: (now) => drain(now, (s) => s.flush(now)),
  };
}
