/**
 * Writes the core's `log` records (Go's memberlist lines) into a library `Logger`: DEBUG, INFO,
 * WARN and ERR map to `debug`, `info`, `warn` and `error`; the message is Go's text unchanged.
 */

import type { MemberlistLogRecord } from "./core/log-records.ts";
import type { Logger } from "./logger.ts";

/** Logs one memberlist record at its level. */
export function writeMemberlistLog(logger: Logger, record: MemberlistLogRecord): void {
  switch (record.level) {
    case "DEBUG":
      logger.debug(record.message);
      break;
    case "INFO":
      logger.info(record.message);
      break;
    case "WARN":
      logger.warn(record.message);
      break;
    case "ERR":
      logger.error(record.message);
      break;
  }
}
