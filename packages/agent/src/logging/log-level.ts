/**
 * Serf's log levels and the console level filter (hashicorp/logutils `LevelFilter` with the
 * agent's levels).
 */

import { ConfigError, ConfigErrorCode } from "../config/config-error.ts";

/** Levels from least to most severe. */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERR"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Named level constants. */
export const LogLevel = {
  TRACE: "TRACE",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARN",
  ERR: "ERR",
} as const satisfies Record<LogLevel, LogLevel>;

/** Rank of a level (TRACE = 0 … ERR = 4). */
export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

/** Normalises a configured level (any case) or returns `undefined` if it is not one. */
export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.toUpperCase();
  return (LOG_LEVELS as readonly string[]).includes(upper) ? (upper as LogLevel) : undefined;
}

/**
 * Validates a configured level (Go `setupLoggers`): throws `ConfigError` `INVALID_LOG_LEVEL`
 * with `Invalid log level: FOO. Valid log levels are: [TRACE DEBUG INFO WARN ERR]`.
 */
export function checkLogLevel(text: string): LogLevel {
  const level = parseLogLevel(text);
  if (level === undefined) {
    throw new ConfigError(
      ConfigErrorCode.INVALID_LOG_LEVEL,
      `Invalid log level: ${text.toUpperCase()}. Valid log levels are: [${LOG_LEVELS.join(" ")}]`,
    );
  }
  return level;
}

/**
 * The level tag of a log line as logutils finds it: the text between the first `[` and the
 * next `]`, or `""` when there is none.
 */
export function lineLevel(line: string): string {
  const open = line.indexOf("[");
  if (open < 0) return "";
  const close = line.indexOf("]", open);
  if (close < 0) return "";
  return line.slice(open + 1, close);
}

/**
 * logutils `LevelFilter.Check`: a line is dropped only when its level tag is a known level
 * below `min`; lines without a recognised tag pass.
 */
export function passesLevel(line: string, min: LogLevel): boolean {
  const tag = lineLevel(line);
  const rank = (LOG_LEVELS as readonly string[]).indexOf(tag);
  return rank < 0 || rank >= levelRank(min);
}
