/**
 * The event shapes handlers receive. Structural on purpose: the serf library delivers its own
 * event objects, which only need these fields.
 */

/** Serf member event types (Go `EventType.String()`; defined once in `@serf-ts/wire`). */
import type { MemberEventType } from "@serf-ts/wire";

export { MEMBER_EVENT_TYPES, type MemberEventType } from "@serf-ts/wire";

/** Every event type a handler can see: member events, `user` and `query`. */
export type HandlerEventType = MemberEventType | "user" | "query";

/** Tags as either a map or a plain record. */
export type TagsInput = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** One member in a member event. */
export interface MemberInput {
  readonly name: string;
  /** IP address text as Go's `net.IP.String()` prints it (dotted IPv4, compressed IPv6). */
  readonly addr: string;
  readonly port?: number;
  readonly tags: TagsInput;
}

/** A (possibly coalesced) member event. */
export interface MemberEventInput {
  readonly type: MemberEventType;
  readonly members: readonly MemberInput[];
}

/** A user event. */
export interface UserEventInput {
  readonly type: "user";
  readonly name: string;
  readonly payload: Uint8Array;
  /** Lamport time. */
  readonly lTime: number | bigint;
  readonly coalesce?: boolean;
}

/** A query; `respond` sends this node's answer (it may throw or reject, e.g. over the limit). */
export interface QueryEventInput {
  readonly type: "query";
  readonly name: string;
  readonly payload: Uint8Array;
  /** Lamport time. */
  readonly lTime: number | bigint;
  respond(response: Uint8Array): void | Promise<void>;
}

export type HandlerEvent = MemberEventInput | UserEventInput | QueryEventInput;

/** The local node as handlers see it (Go `serf.Member` of `LocalMember()`). */
export interface SelfMember {
  readonly name: string;
  readonly tags: TagsInput;
}

/** Entries of a tags value in iteration order. */
export function tagEntries(tags: TagsInput): Array<[string, string]> {
  if (tags instanceof Map) return [...(tags as ReadonlyMap<string, string>).entries()];
  const record = tags as Readonly<Record<string, string>>;
  return Object.keys(record).map((k) => [k, record[k] as string]);
}

/** One tag value, or `""` when absent (Go's map lookup). */
export function tagValue(tags: TagsInput, key: string): string {
  if (tags instanceof Map) return (tags as ReadonlyMap<string, string>).get(key) ?? "";
  const record = tags as Readonly<Record<string, string>>;
  return Object.hasOwn(record, key) ? (record[key] as string) : "";
}

/**
 * How Go's `Event.String()` names an event in logs: `member-join`, `user-event: NAME`,
 * `query: NAME`.
 */
export function describeEvent(event: HandlerEvent): string {
  if (event.type === "user") return `user-event: ${event.name}`;
  if (event.type === "query") return `query: ${event.name}`;
  return event.type;
}
