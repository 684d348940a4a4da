/**
 * Configuration errors. `message` is exactly the text Go serf prints after the `==> ` prefix
 * (see `formatConfigError`); `code` is stable for programs.
 */

import { SerfError } from "@serf-ts/wire";

/** Stable codes of `ConfigError`. Append only. */
export const ConfigErrorCode = {
  /** `-h`, `-help` or `--help` was given: print the help text, exit 0. */
  HELP: "SERF_ERR_CONFIG_HELP",
  /** Bad command line (unknown flag, bad value): Go prints it to stderr plus usage, exit 1. */
  FLAG: "SERF_ERR_CONFIG_FLAG",
  /** `-tag` without `key=`: `Error: Invalid tag: 'x'`. */
  INVALID_TAG: "SERF_ERR_CONFIG_INVALID_TAG",
  /** `-retry-interval` / `-broadcast-timeout` not a Go duration: `Error: time: …`. */
  INVALID_DURATION: "SERF_ERR_CONFIG_INVALID_DURATION",
  /** A config path cannot be opened or listed: `Error reading 'P': …`. */
  READ: "SERF_ERR_CONFIG_READ",
  /** A config file is not valid JSON or has bad keys/types: `Error decoding 'P': …`. */
  DECODE: "SERF_ERR_CONFIG_DECODE",
  /** No node name and the host name is unavailable. */
  HOSTNAME: "SERF_ERR_CONFIG_HOSTNAME",
  /** `Invalid event script: Event 'x' invoking 'y'`. */
  INVALID_EVENT_SCRIPT: "SERF_ERR_CONFIG_INVALID_EVENT_SCRIPT",
  /** `Invalid network interface: …`. */
  INVALID_INTERFACE: "SERF_ERR_CONFIG_INVALID_INTERFACE",
  /** Serf 0.10.2 `-mdns-iface` / `mdns` block problems. */
  INVALID_MDNS: "SERF_ERR_CONFIG_INVALID_MDNS",
  /** `Invalid log level: X. Valid log levels are: [TRACE DEBUG INFO WARN ERR]`. */
  INVALID_LOG_LEVEL: "SERF_ERR_CONFIG_INVALID_LOG_LEVEL",
  /** `Invalid bind address: …`. */
  INVALID_BIND_ADDRESS: "SERF_ERR_CONFIG_INVALID_BIND_ADDRESS",
  /** `Invalid advertise address: …`. */
  INVALID_ADVERTISE_ADDRESS: "SERF_ERR_CONFIG_INVALID_ADVERTISE_ADDRESS",
  /** `Invalid encryption key: illegal base64 data at input byte N`. */
  INVALID_ENCRYPT_KEY: "SERF_ERR_CONFIG_INVALID_ENCRYPT_KEY",
  /** `Unknown profile: X`. */
  UNKNOWN_PROFILE: "SERF_ERR_CONFIG_UNKNOWN_PROFILE",
} as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** The prefix serf's UI puts before errors and status output. */
export const OUTPUT_PREFIX = "==> ";

/** An invalid agent configuration. Exit status 1 (0 for `HELP`). */
export class ConfigError extends SerfError {
  override readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ConfigError";
    this.code = code;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isConfigError(value);
  }

  /** True when Go would follow the message with the command's usage text (bad flags). */
  get showUsage(): boolean {
    return this.code === ConfigErrorCode.FLAG;
  }
}

/** True for a `ConfigError` (works across package copies via the code). */
export function isConfigError(value: unknown): value is ConfigError {
  return (
    value instanceof SerfError &&
    (Object.values(ConfigErrorCode) as string[]).includes((value as SerfError).code)
  );
}

/**
 * The console form of an error, as Go's prefixed UI prints it: `==> ` before the first line
 * only. Flag errors (`showUsage`) are printed by Go without prefix on stderr instead.
 */
export function formatConfigError(err: ConfigError): string {
  return err.showUsage ? err.message : `${OUTPUT_PREFIX}${err.message}`;
}
