/**
 * `stream`: event subscriptions (Go `eventStream`). The filter list is parsed exactly like
 * event-handler filters (`member-join,user:deploy,*`; `""` means `*`; no trimming); each
 * matching event is sent as a header with the stream's Seq followed by its record.
 */

import { encodeRecordFrame, type StreamRecord } from "@serf-ts/wire/rpc";
import {
  type EventFilter,
  isValidEventFilter,
  parseEventFilter,
} from "../event-handlers/event-filter.ts";
import type { AgentEvent, AgentQueryEvent } from "./agent-backend.ts";
import type { FrameSink, StreamFailure } from "./frame-sink.ts";

const INTERNAL_QUERY_PREFIX = "_serf_";

/** Parses a `stream` Type (Go `ParseEventFilter` + `Valid`); `undefined` if any is invalid. */
export function parseStreamFilter(type: string): EventFilter[] | undefined {
  const filters = parseEventFilter(type);
  return filters.every(isValidEventFilter) ? filters : undefined;
}

/** Go `EventFilter.Invoke`. */
export function streamFilterMatches(filter: EventFilter, event: AgentEvent): boolean {
  if (filter.event === "*") return true;
  if (filter.event !== event.type) return false;
  if ((event.type === "user" || event.type === "query") && filter.name !== "") {
    return event.name === filter.name;
  }
  return true;
}

/**
 * Registers a delivered query with the connection and returns its per-connection ID (a
 * counter starting at 1, advanced for every query record on any stream of the connection).
 */
export type QueryRegistrar = (query: AgentQueryEvent) => number;

/** One `stream` subscription of a connection. */
export class EventStream {
  readonly seq: number;
  readonly filters: readonly EventFilter[];
  private readonly sink: FrameSink;
  private readonly registerQuery: QueryRegistrar;
  private readonly fail: StreamFailure;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    seq: number,
    filters: readonly EventFilter[],
    sink: FrameSink,
    registerQuery: QueryRegistrar,
    fail: StreamFailure,
  ) {
    this.seq = seq;
    this.filters = filters;
    this.sink = sink;
    this.registerQuery = registerQuery;
    this.fail = fail;
  }

  /** Subscribes to the backend's events; call after the success header was sent. */
  start(subscribe: (handler: (event: AgentEvent) => void) => () => void): void {
    if (this.stopped || this.unsubscribe !== undefined) return;
    const unsubscribe = subscribe((event) => this.handle(event));
    if (this.stopped) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  /** An event from the agent: sent if one of the filters selects it. */
  handle(event: AgentEvent): void {
    if (this.stopped || !this.filters.some((f) => streamFilterMatches(f, event))) return;
    // Internal queries are never delivered (serf answers them itself).
    if (event.type === "query" && event.name.startsWith(INTERNAL_QUERY_PREFIX)) return;
    let frame: Uint8Array;
    try {
      frame = encodeRecordFrame("stream", this.seq, this.record(event));
    } catch (err) {
      this.fail("event", err);
      return;
    }
    if (!this.sink(frame)) this.stop();
  }

  private record(event: AgentEvent): StreamRecord {
    switch (event.type) {
      case "user":
        return {
          event: "user",
          lTime: event.lTime,
          name: event.name,
          payload: event.payload,
          coalesce: event.coalesce,
        };
      case "query":
        return {
          event: "query",
          id: this.registerQuery(event),
          lTime: event.lTime,
          name: event.name,
          payload: event.payload,
        };
      default:
        return { event: event.type, members: event.members };
    }
  }

  /** Stops the subscription (idempotent). No record is sent afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    unsubscribe?.();
  }

  get active(): boolean {
    return !this.stopped;
  }
}
