/** The `Serf` driver's structured log lines for the events the machine reports. */

import { type Logger, writeMemberlistLog } from "@serf-ts/memberlist";
import type { SerfEvent } from "./core/events.ts";

/** Logs one machine event (members at info, user events and queries at debug, warnings). */
export function logSerfEvent(logger: Logger, memberlistLogger: Logger, event: SerfEvent): void {
  switch (event.type) {
    case "member-join":
    case "member-leave":
    case "member-failed":
    case "member-update":
    case "member-reap":
      for (const m of event.members) {
        logger.info(`${event.type}: ${m.name}`, { status: m.status });
      }
      break;
    case "user":
      logger.debug("received event", { name: event.name, lTime: event.lTime });
      break;
    case "query":
      logger.debug("received query", { name: event.name, from: event.sourceNode });
      break;
    case "name-conflict":
      logger.warn("name conflict", { node: event.node, other: event.other });
      break;
    case "queue-depth":
      logger.warn("queue depth", { queue: event.queue, depth: event.depth });
      break;
    case "memberlist":
      if (event.event.type === "log") writeMemberlistLog(memberlistLogger, event.event);
      break;
    default:
      break;
  }
}
