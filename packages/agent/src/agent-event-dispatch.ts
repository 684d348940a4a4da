/**
 * What the agent's event loop does with one serf event: Go serf's `EventMember…` log lines,
 * and the two shapes a (coalesced) event is handed on in — to the event handler scripts
 * (`HandlerEvent`) and to RPC `stream` subscribers (`AgentEvent`).
 */

import type { SerfEvent, SerfMemberEvent } from "@serf-ts/serf";
import { memberIp, toRpcMember } from "./agent-rpc-mapping.ts";
import type { HandlerEvent } from "./event-handlers/events.ts";
import type { Logger } from "./logging/logger.ts";
import type { AgentEvent } from "./rpc/agent-backend.ts";

/** Queries with this name prefix are serf's own; the agent never hands them on. */
export const INTERNAL_QUERY_PREFIX = "_serf_";

/** Go serf's `EventMember…` lines. */
export function logMemberEvent(logger: Logger, event: SerfMemberEvent): void {
  const forced = event.forced === true ? " (forced)" : "";
  for (const m of event.members) {
    switch (event.type) {
      case "member-join":
        logger.log("INFO", "serf", `EventMemberJoin: ${m.name} ${memberIp(m)}`);
        break;
      case "member-leave":
        logger.log("INFO", "serf", `EventMemberLeave${forced}: ${m.name} ${memberIp(m)}`);
        break;
      case "member-failed":
        logger.log("INFO", "serf", `EventMemberFailed: ${m.name} ${memberIp(m)}`);
        break;
      case "member-update":
        logger.log("INFO", "serf", `EventMemberUpdate: ${m.name}`);
        break;
      case "member-reap":
        // Go: the reaper's line has no address, a prune's has `(forced)` and the address.
        logger.log(
          "INFO",
          "serf",
          event.forced === true
            ? `EventMemberReap (forced): ${m.name} ${memberIp(m)}`
            : `EventMemberReap: ${m.name}`,
        );
        break;
    }
  }
}

/** One event as the handler scripts and the RPC streams receive it. */
export interface DispatchedEvent {
  readonly handlerEvent: HandlerEvent;
  readonly agentEvent: AgentEvent;
}

/**
 * The handler and RPC shapes of `event`, or undefined for events the agent does not hand on
 * (internal `_serf_` queries, shutdown). `respond` answers a query; `wallTime` converts a
 * driver-clock deadline to `Date.now()` time.
 */
export function dispatchedEvent(
  event: SerfEvent,
  respond: (handle: number, payload: Uint8Array | null) => void,
  wallTime: (driverMs: number) => number,
): DispatchedEvent | undefined {
  switch (event.type) {
    case "member-join":
    case "member-leave":
    case "member-failed":
    case "member-update":
    case "member-reap":
      return {
        handlerEvent: {
          type: event.type,
          members: event.members.map((m) => ({
            name: m.name,
            addr: memberIp(m),
            port: m.port,
            tags: m.tags,
          })),
        },
        agentEvent: { type: event.type, members: event.members.map(toRpcMember) },
      };
    case "user":
      return {
        handlerEvent: {
          type: "user",
          name: event.name,
          payload: event.payload,
          lTime: event.lTime,
          coalesce: event.coalesce,
        },
        agentEvent: {
          type: "user",
          name: event.name,
          payload: event.payload.length === 0 ? null : event.payload,
          lTime: event.lTime,
          coalesce: event.coalesce,
        },
      };
    case "query": {
      if (event.name.startsWith(INTERNAL_QUERY_PREFIX)) return undefined;
      const handle = event.handle;
      return {
        handlerEvent: {
          type: "query",
          name: event.name,
          payload: event.payload,
          lTime: event.lTime,
          respond: (response) => respond(handle, response),
        },
        agentEvent: {
          type: "query",
          name: event.name,
          payload: event.payload.length === 0 ? null : event.payload,
          lTime: event.lTime,
          handle,
          deadline: wallTime(event.deadline),
        },
      };
    }
    default:
      return undefined;
  }
}
