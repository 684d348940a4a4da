import type { Command } from "../ui.ts";
import { agentCommand } from "./agent.ts";
import { eventCommand } from "./event.ts";
import { forceLeaveCommand } from "./force-leave.ts";
import { infoCommand } from "./info.ts";
import { joinCommand } from "./join.ts";
import { keygenCommand } from "./keygen.ts";
import { keysCommand } from "./keys.ts";
import { leaveCommand } from "./leave.ts";
import { membersCommand } from "./members.ts";
import { monitorCommand } from "./monitor.ts";
import { queryCommand } from "./query.ts";
import { reachabilityCommand } from "./reachability.ts";
import { rttCommand } from "./rtt.ts";
import { tagsCommand } from "./tags.ts";
import { versionCommand } from "./version.ts";

/** Every `serf` subcommand by name (Go serf's `Commands` map). */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ["agent", agentCommand],
  ["event", eventCommand],
  ["force-leave", forceLeaveCommand],
  ["info", infoCommand],
  ["join", joinCommand],
  ["keygen", keygenCommand],
  ["keys", keysCommand],
  ["leave", leaveCommand],
  ["members", membersCommand],
  ["monitor", monitorCommand],
  ["query", queryCommand],
  ["reachability", reachabilityCommand],
  ["rtt", rttCommand],
  ["tags", tagsCommand],
  ["version", versionCommand],
]);
