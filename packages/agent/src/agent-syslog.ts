/**
 * `-syslog` delivery. Go serf uses hashicorp/go-syslog: tag `serf`, facility
 * `syslog_facility`, a local Unix socket (`/dev/log`, `/var/run/syslog` or `/var/run/log`);
 * without one the agent fails with `Syslog setup failed: Unix syslog delivery error`.
 *
 * Node cannot write Unix datagram sockets without a native addon, so lines are handed to the
 * system's `logger` tool (util-linux / BSD), one process per line. Only lines that pass the
 * console level reach syslog, which keeps this cheap at the usual INFO level.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { SyslogPriority, SyslogSink } from "./logging/syslog.ts";

/** The sockets go-syslog tries, in order. */
export const SYSLOG_SOCKETS = ["/dev/log", "/var/run/syslog", "/var/run/log"] as const;

/** Facilities go-syslog accepts (case-insensitive). */
const FACILITIES: ReadonlySet<string> = new Set([
  "KERN",
  "USER",
  "MAIL",
  "DAEMON",
  "AUTH",
  "SYSLOG",
  "LPR",
  "NEWS",
  "UUCP",
  "CRON",
  "AUTHPRIV",
  "FTP",
  "LOCAL0",
  "LOCAL1",
  "LOCAL2",
  "LOCAL3",
  "LOCAL4",
  "LOCAL5",
  "LOCAL6",
  "LOCAL7",
]);

/** Options of `createSyslogSink` (tests replace the probes). */
export interface SyslogSinkOptions {
  /** Whether a path exists. @default fs.existsSync */
  readonly exists?: (path: string) => boolean;
  /** The `logger` executable. @default "logger" */
  readonly loggerCommand?: string;
}

/**
 * A `SyslogSink` for `facility` and tag `serf`. Throws an `Error` whose message is go-syslog's
 * (`Unix syslog delivery error`, `invalid syslog facility: X`).
 */
export function createSyslogSink(facility: string, options: SyslogSinkOptions = {}): SyslogSink {
  const upper = facility.toUpperCase();
  if (!FACILITIES.has(upper)) throw new Error(`invalid syslog facility: ${upper}`);
  const exists = options.exists ?? existsSync;
  const socket = SYSLOG_SOCKETS.find((p) => exists(p));
  if (socket === undefined) throw new Error("Unix syslog delivery error");
  const command = options.loggerCommand ?? "logger";
  const fac = upper.toLowerCase();
  return {
    write(priority: SyslogPriority, message: string): void {
      const text = message.endsWith("\n") ? message.slice(0, -1) : message;
      try {
        const child = spawn(command, ["-t", "serf", "-p", `${fac}.${priority}`, "--", text], {
          stdio: "ignore",
        });
        child.on("error", () => {
          // No `logger` tool: syslog lines are lost, as Go loses them when the socket fails.
        });
        child.unref();
      } catch {
        // See above.
      }
    },
  };
}
