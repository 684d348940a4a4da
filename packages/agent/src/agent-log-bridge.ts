/**
 * Connects the serf and memberlist libraries' structured logging to the agent's Go-format
 * `Logger`, so their lines read like Go serf's on the console and in `serf monitor`:
 *
 * - components: the library's root and `serf`/`snapshot` loggers write as `serf`, the network
 *   layers (`transport`, `pipeline`, anything else) as `memberlist`;
 * - the few messages Go users know by heart get Go's wording (`Attempting re-join to previously
 *   known node: NAME: ADDR`, `Shutdown without a Leave`, …);
 * - the library's own per-member lines are dropped, because the agent prints Go's
 *   `EventMemberJoin: NAME IP` lines itself (it sees the raw events), and its start/stop notices
 *   go to DEBUG.
 */

import type { Logger as LibraryLogger, LogFn } from "@serf-ts/memberlist";
import type { LogLevel } from "./logging/log-level.ts";
import type { Logger } from "./logging/logger.ts";

type Fields = Readonly<Record<string, unknown>> | undefined;

/** The library's member-event lines (`member-join: NAME`), replaced by the agent's. */
const MEMBER_LINE = /^member-(join|leave|failed|update|reap): /;

function field(fields: Fields, key: string): string {
  const v = fields?.[key];
  return v === undefined ? "" : String(v);
}

/**
 * A library `Logger` writing into `logger`. `component` is the library's child path (`""` for
 * the root given to `Serf.create`).
 */
export function libraryLogger(logger: Logger, component = ""): LibraryLogger {
  const rejoinAddrs = new Map<string, string>();
  const make = (path: string): LibraryLogger => {
    const first = path.split(".")[0] ?? "";
    const target = first === "" || first === "serf" || first === "snapshot" ? "serf" : "memberlist";
    const emit = (level: LogLevel, message: string, fields?: Fields): void => {
      logger.log(level, target, message, fields);
    };
    const at =
      (level: LogLevel): LogFn =>
      (message, fields) => {
        if (path === "") {
          if (MEMBER_LINE.test(message)) return;
          switch (message) {
            case "serf started":
            case "serf shut down":
              emit("DEBUG", message, fields);
              return;
            case "shutdown without a leave":
              emit("WARN", "Shutdown without a Leave");
              return;
            case "re-joined previously known node": {
              const node = field(fields, "node");
              const addr = rejoinAddrs.get(node);
              emit(
                "INFO",
                `Re-joined to previously known node: ${node}${addr === undefined ? "" : `: ${addr}`}`,
              );
              return;
            }
            case "failed to re-join any previously known node":
              emit("WARN", "Failed to re-join any previously known node");
              return;
            default:
              break;
          }
        } else if (path === "serf") {
          if (message === "attempting re-join to previously known node") {
            const node = field(fields, "node");
            const addr = field(fields, "addr");
            rejoinAddrs.set(node, addr);
            emit("INFO", `Attempting re-join to previously known node: ${node}: ${addr}`);
            return;
          }
          if (message === "attempting reconnect") {
            emit(
              "INFO",
              `attempting reconnect to ${field(fields, "node")} ${field(fields, "address")}`,
            );
            return;
          }
        }
        emit(level, message, fields);
      };
    return {
      debug: at("DEBUG"),
      info: at("INFO"),
      warn: at("WARN"),
      error: at("ERR"),
      child: (sub) => make(path === "" ? sub : `${path}.${sub}`),
    };
  };
  return make(component);
}
