/**
 * What serf sends to syslog for a log line (Go `SyslogWrapper`): the level tag picks the
 * priority and is removed together with the timestamp before it. Delivery (a local syslog
 * socket, tag `serf`, facility `syslog_facility`) is up to a `SyslogSink`.
 */

/** Syslog severities used by serf. */
export const SyslogPriority = {
  DEBUG: "debug",
  INFO: "info",
  NOTICE: "notice",
  WARNING: "warning",
  ERR: "err",
  CRIT: "crit",
} as const;
export type SyslogPriority = (typeof SyslogPriority)[keyof typeof SyslogPriority];

const LEVEL_PRIORITY: Readonly<Record<string, SyslogPriority>> = {
  TRACE: SyslogPriority.DEBUG,
  DEBUG: SyslogPriority.INFO,
  INFO: SyslogPriority.NOTICE,
  WARN: SyslogPriority.WARNING,
  ERR: SyslogPriority.ERR,
  CRIT: SyslogPriority.CRIT,
};

/** Receives lines that pass the console level, already mapped. */
export interface SyslogSink {
  write(priority: SyslogPriority, message: string): void;
}

/**
 * Splits a formatted line into its syslog priority and message: the text after `[LEVEL] `
 * (unknown or missing level: `notice`, whole line).
 */
export function toSyslog(line: string): { priority: SyslogPriority; message: string } {
  const open = line.indexOf("[");
  if (open >= 0) {
    const close = line.indexOf("]", open);
    if (close >= 0) {
      const level = line.slice(open + 1, close);
      return {
        priority: LEVEL_PRIORITY[level] ?? SyslogPriority.NOTICE,
        message: line.slice(close + 2),
      };
    }
  }
  return { priority: SyslogPriority.NOTICE, message: line };
}
