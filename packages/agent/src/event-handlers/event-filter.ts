/**
 * Event handler specs (`-event-handler`, `event_handlers`): `[FILTERS=]SCRIPT` where FILTERS is
 * a comma-separated list of `member-join`, `member-leave`, `member-failed`, `member-update`,
 * `member-reap`, `user`, `user:NAME`, `query`, `query:NAME` or `*` (Go `ParseEventScript`).
 *
 * The spec splits at the first `=`; no filter means `*`; an empty `user:`/`query:` name matches
 * every user event/query. Parsing never fails: invalid filters are kept and rejected by
 * `validateEventScripts` with Go's message, so that the *first* invalid one is reported.
 */

import { ConfigError, ConfigErrorCode } from "../config/config-error.ts";
import type { HandlerEvent } from "./events.ts";
import { MEMBER_EVENT_TYPES } from "@serf-ts/wire";

/** Filter event names Go accepts (`EventFilter.Valid`). */
export const EVENT_FILTER_EVENTS = [...MEMBER_EVENT_TYPES, "user", "query", "*"] as const;

/** One filter: an event type (or `*`) and, for `user`/`query`, an optional exact name. */
export interface EventFilter {
  readonly event: string;
  readonly name: string;
}

/** A filter bound to the script it triggers. */
export interface EventScript extends EventFilter {
  readonly script: string;
}

/** Splits a comma-separated filter list (Go `ParseEventFilter`); `""` means `*`. */
export function parseEventFilter(spec: string): EventFilter[] {
  const list = spec === "" ? "*" : spec;
  return list.split(",").map((event) => {
    if (event.startsWith("user:")) return { event: "user", name: event.slice("user:".length) };
    if (event.startsWith("query:")) return { event: "query", name: event.slice("query:".length) };
    return { event, name: "" };
  });
}

/** Parses one handler spec into one `EventScript` per filter (Go `ParseEventScript`). */
export function parseEventScript(spec: string): EventScript[] {
  const eq = spec.indexOf("=");
  const filter = eq < 0 ? "" : spec.slice(0, eq);
  const script = eq < 0 ? spec : spec.slice(eq + 1);
  return parseEventFilter(filter).map((f) => ({ ...f, script }));
}

/** All handler specs flattened, in order (Go `Config.EventScripts`). */
export function parseEventScripts(specs: readonly string[]): EventScript[] {
  return specs.flatMap(parseEventScript);
}

/** True when the filter's event is one Go knows. */
export function isValidEventFilter(filter: EventFilter): boolean {
  return (EVENT_FILTER_EVENTS as readonly string[]).includes(filter.event);
}

/** Go's `EventScript.String()`: `Event 'user:deploy' invoking './d.sh'`. */
export function describeEventScript(script: EventScript): string {
  const event = script.name !== "" ? `${script.event}:${script.name}` : script.event;
  return `Event '${event}' invoking '${script.script}'`;
}

/**
 * Throws `ConfigError` `INVALID_EVENT_SCRIPT` (`Invalid event script: Event 'x' invoking 'y'`)
 * for the first invalid filter.
 */
export function validateEventScripts(scripts: readonly EventScript[]): void {
  for (const script of scripts) {
    if (!isValidEventFilter(script)) {
      throw new ConfigError(
        ConfigErrorCode.INVALID_EVENT_SCRIPT,
        `Invalid event script: ${describeEventScript(script)}`,
      );
    }
  }
}

/** Whether the filter selects the event (Go `EventFilter.Invoke`). */
export function eventFilterMatches(filter: EventFilter, event: HandlerEvent): boolean {
  if (filter.event === "*") return true;
  if (event.type !== filter.event) return false;
  if ((event.type === "user" || event.type === "query") && filter.name !== "") {
    return event.name === filter.name;
  }
  return true;
}
