import type { Clock, TimerHandle } from "@serf-ts/memberlist";
import type { EventStage } from "./core/coalesce.ts";

/**
 * Drives a sans-I/O {@link EventStage} (e.g. the coalescers) with a real clock: feeds events,
 * keeps ONE timer armed for the stage's next deadline, and hands everything the stage emits to
 * `emit`. Used by the `Serf` driver and by the agent.
 */
export class TimedStage<E> {
  readonly #stage: EventStage<E>;
  readonly #clock: Clock;
  readonly #emit: (event: E) => void;
  readonly #active: () => boolean;
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #closed = false;

  /** `active`: while it returns false (e.g. the owner is shutting down) no timer runs. */
  constructor(
    stage: EventStage<E>,
    clock: Clock,
    emit: (event: E) => void,
    active: () => boolean = () => true,
  ) {
    this.#stage = stage;
    this.#clock = clock;
    this.#emit = emit;
    this.#active = active;
  }

  /** Feeds one event; emits what the stage releases now and re-arms the timer. */
  handle(event: E): void {
    for (const out of this.#stage.handle(event, this.#clock.now())) this.#emit(out);
    this.#arm();
  }

  /** Stops the timer and emits everything the stage still holds (shutdown). */
  flush(): void {
    this.close();
    for (const out of this.#stage.flush(this.#clock.now())) this.#emit(out);
  }

  /** Stops the timer; later events are ignored. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = undefined;
  }

  #arm(): void {
    if (this.#closed || !this.#active()) return;
    const at = this.#stage.nextDeadline();
    if (at === this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = this.#clock.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      if (this.#closed || !this.#active()) return;
      for (const out of this.#stage.handleTimeout(this.#clock.now())) this.#emit(out);
      this.#arm();
    });
  }
}
