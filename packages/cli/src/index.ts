/**
 * @serf-ts/cli: the `serf` command (bin `serf`), a drop-in for Go serf 0.9.4's CLI. The
 * programmatic entry runs a command line against injected streams, and the pure formatters
 * produce exactly the text the Go CLI prints.
 *
 * ```ts
 * import { run } from "@serf-ts/cli";
 * const code = await run(["members", "-rpc-addr=127.0.0.1:7373"], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 * ```
 *
 * @packageDocumentation
 */

export { COMMANDS } from "./commands/index.ts";
export { formatStats } from "./commands/info.ts";
export { formatKeyFailures, formatKeyList } from "./commands/keys.ts";
export { formatMembers, type MembersFormatOptions } from "./commands/members.ts";
export { formatEventInfo } from "./commands/monitor.ts";
export { formatQueryJson } from "./commands/query.ts";
export { coordinateDistanceNs, formatRtt } from "./commands/rtt.ts";
export { cliVersion } from "./commands/version.ts";
export { handlesInterrupt, parseCommandLine, run, topLevelHelp } from "./run.ts";
export type { CliIO, Command, CommandContext, OutputSink } from "./ui.ts";
