/**
 * Member-event coalescing (Go `memberEventCoalescer`): within a round only the latest event
 * per member counts, and at flush an event of the same type as the last one delivered for
 * that member is suppressed (a join after a join, a leave after a leave), except updates,
 * which are always delivered. Survivors are regrouped into one event per type.
 */

import type { Coalescer } from "./coalesce.ts";
import { MEMBER_EVENT_TYPES, MemberEventType } from "@serf-ts/wire";

/** Serf member event types (defined once in `@serf-ts/wire`). */
export { MemberEventType };

const MEMBER_EVENT_NAMES: ReadonlySet<string> = new Set(MEMBER_EVENT_TYPES);

/** The shape the coalescer needs from a member event: a type and the members it concerns. */
export interface MemberEvent<M extends { readonly name: string }> {
  readonly type: MemberEventType;
  readonly members: readonly M[];
}

/** True if `event` is a member event. */
export function isMemberEvent<M extends { readonly name: string }>(event: {
  readonly type: string;
}): event is MemberEvent<M> {
  return MEMBER_EVENT_NAMES.has(event.type);
}

/**
 * Coalesces every member event. Output order is deterministic (Go's is map order): events by
 * type in order of first appearance, members in the order their latest event arrived.
 *
 * Deliberate difference from Go 0.9.4: Go never clears its per-round map, so a member's last
 * `member-update` is re-delivered (with stale data) at every later flush; here each round
 * starts empty.
 */
export class MemberEventCoalescer<M extends { readonly name: string }>
  implements Coalescer<{ readonly type: string }, MemberEvent<M>>
{
  /** Last event type delivered per member, across rounds (Go `lastEvents`). */
  readonly #lastDelivered = new Map<string, MemberEventType>();
  /** Latest event per member in this round (Go `latestEvents`). */
  #latest = new Map<string, { type: MemberEventType; member: M }>();

  handles(event: { readonly type: string }): event is MemberEvent<M> {
    return isMemberEvent(event);
  }

  coalesce(event: MemberEvent<M>): void {
    for (const member of event.members) {
      this.#latest.delete(member.name);
      this.#latest.set(member.name, { type: event.type, member });
    }
  }

  flush(): MemberEvent<M>[] {
    const grouped = new Map<MemberEventType, M[]>();
    for (const [name, { type, member }] of this.#latest) {
      const previous = this.#lastDelivered.get(name);
      if (previous === type && type !== MemberEventType.UPDATE) continue;
      this.#lastDelivered.set(name, type);
      let members = grouped.get(type);
      if (members === undefined) {
        members = [];
        grouped.set(type, members);
      }
      members.push(member);
    }
    this.#latest = new Map();
    return [...grouped].map(([type, members]) => ({ type, members }));
  }

  /**
   * Forgets what was last delivered for `name` (e.g. once the member is reaped), so the map
   * does not grow with every name ever seen. Go never forgets.
   */
  forget(name: string): void {
    this.#lastDelivered.delete(name);
  }
}
