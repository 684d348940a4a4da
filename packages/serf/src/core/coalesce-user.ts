/**
 * User-event coalescing (Go `userEventCoalescer`): only events sent with `CC = true`
 * ("coalesce") are held; per event name only those of the newest LTime survive the round
 * (several events of the same name and LTime are all kept).
 */

import type { Coalescer } from "./coalesce.ts";

/** The shape the coalescer needs from a user event. */
export interface CoalescibleUserEvent {
  readonly type: "user";
  readonly name: string;
  /** Event-clock LTime. */
  readonly lTime: number;
  /** The sender allowed coalescing (`CC`). */
  readonly coalesce: boolean;
}

/** True for a user event that may be coalesced. */
export function isCoalescibleUserEvent<U extends CoalescibleUserEvent>(event: {
  readonly type: string;
}): event is U {
  return event.type === "user" && (event as Partial<CoalescibleUserEvent>).coalesce === true;
}

/**
 * Coalesces user events with `coalesce: true`. Output order is deterministic (Go's is map
 * order): names in order of first appearance in the round, events in arrival order.
 */
export class UserEventCoalescer<U extends CoalescibleUserEvent>
  implements Coalescer<{ readonly type: string }, U>
{
  #latest = new Map<string, { lTime: number; events: U[] }>();

  handles(event: { readonly type: string }): event is U {
    return isCoalescibleUserEvent<U>(event);
  }

  coalesce(event: U): void {
    const latest = this.#latest.get(event.name);
    if (latest === undefined || latest.lTime < event.lTime) {
      this.#latest.set(event.name, { lTime: event.lTime, events: [event] });
    } else if (latest.lTime === event.lTime) {
      latest.events.push(event);
    }
  }

  flush(): U[] {
    const out: U[] = [];
    for (const { events } of this.#latest.values()) out.push(...events);
    this.#latest = new Map();
    return out;
  }
}
