/**
 * `serf agent` command-line flags (Go `Command.readConfig`, first half): Go `flag` syntax and
 * GNU-style `--name`, repeatable `-tag`, `-join`, `-retry-join`, `-event-handler`,
 * `-config-file`, `-config-dir`.
 */

import { GoDurationError, parseGoDurationMs } from "@serf-ts/wire/gocompat";
import { type FlagKind, GoFlagError, parseGoFlags } from "@serf-ts/wire/gocompat";
import { type AgentConfig, emptyConfig } from "./agent-config.ts";
import { ConfigError, ConfigErrorCode } from "./config-error.ts";
import { InvalidTagError, unmarshalTags } from "./tags.ts";

/** Every flag `serf agent` 0.9.4 defines, with its kind. */
export const AGENT_FLAGS = {
  bind: "string",
  advertise: "string",
  "config-file": "list",
  "config-dir": "list",
  encrypt: "string",
  "keyring-file": "string",
  "event-handler": "list",
  join: "list",
  replay: "bool",
  "log-level": "string",
  node: "string",
  protocol: "int",
  role: "string",
  "rpc-addr": "string",
  profile: "string",
  snapshot: "string",
  tag: "list",
  discover: "string",
  iface: "string",
  "tags-file": "string",
  syslog: "bool",
  "retry-join": "list",
  "retry-max": "int",
  "retry-interval": "string",
  rejoin: "bool",
  "disable-compression": "bool",
  "broadcast-timeout": "string",
} as const satisfies Record<string, FlagKind>;

export type AgentFlagName = keyof typeof AGENT_FLAGS;

type StringField = {
  [K in keyof AgentConfig]: AgentConfig[K] extends string ? K : never;
}[keyof AgentConfig];

/** String flags that map straight onto a config field. */
const STRING_FIELDS: Readonly<Record<string, StringField>> = {
  bind: "bindAddr",
  advertise: "advertiseAddr",
  encrypt: "encryptKey",
  "keyring-file": "keyringFile",
  "log-level": "logLevel",
  node: "nodeName",
  role: "role",
  "rpc-addr": "rpcAddr",
  profile: "profile",
  snapshot: "snapshotPath",
  discover: "discover",
  iface: "interface",
  "tags-file": "tagsFile",
};

/** The command line, parsed. */
export interface ParsedFlags {
  /**
   * The command-line configuration layer (Go's `cmdConfig`): unset flags hold zero values,
   * `protocol` is -1 when not given, `enableCompression` is `!-disable-compression`.
   */
  readonly config: AgentConfig;
  /** `-config-file` and `-config-dir` values, in command-line order. */
  readonly configPaths: string[];
  /** Positional arguments after the flags (ignored by `serf agent`). */
  readonly args: string[];
}

function duration(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return parseGoDurationMs(text);
  } catch (err) {
    if (err instanceof GoDurationError) {
      throw new ConfigError(ConfigErrorCode.INVALID_DURATION, `Error: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Parses `serf agent` arguments (without the `agent` word). Throws `ConfigError`:
 * `HELP` for `-h`/`-help`, `FLAG` for a bad command line, then (in Go's order) `INVALID_TAG`
 * and `INVALID_DURATION` (`-retry-interval` before `-broadcast-timeout`).
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  let parsed: ReturnType<typeof parseGoFlags>;
  try {
    parsed = parseGoFlags(argv, AGENT_FLAGS, { "config-dir": "config-file" });
  } catch (err) {
    if (err instanceof GoFlagError) {
      throw new ConfigError(err.help ? ConfigErrorCode.HELP : ConfigErrorCode.FLAG, err.message);
    }
    throw err;
  }
  const config = emptyConfig();
  for (const [flag, field] of Object.entries(STRING_FIELDS)) {
    const value = parsed.strings.get(flag);
    if (value !== undefined) config[field] = value;
  }
  config.protocol = parsed.ints.get("protocol") ?? -1;
  config.retryMaxAttempts = parsed.ints.get("retry-max") ?? 0;
  config.replayOnJoin = parsed.bools.get("replay") ?? false;
  config.enableSyslog = parsed.bools.get("syslog") ?? false;
  config.rejoinAfterLeave = parsed.bools.get("rejoin") ?? false;
  config.enableCompression = !(parsed.bools.get("disable-compression") ?? false);
  config.eventHandlers = parsed.lists.get("event-handler") ?? [];
  config.startJoin = parsed.lists.get("join") ?? [];
  config.retryJoin = parsed.lists.get("retry-join") ?? [];

  try {
    config.tags = unmarshalTags(parsed.lists.get("tag") ?? []);
  } catch (err) {
    if (err instanceof InvalidTagError) {
      throw new ConfigError(ConfigErrorCode.INVALID_TAG, `Error: ${err.message}`);
    }
    throw err;
  }
  const retryInterval = duration(parsed.strings.get("retry-interval"));
  if (retryInterval !== undefined) config.retryIntervalMs = retryInterval;
  const broadcastTimeout = duration(parsed.strings.get("broadcast-timeout"));
  if (broadcastTimeout !== undefined) config.broadcastTimeoutMs = broadcastTimeout;

  return {
    config,
    configPaths: parsed.lists.get("config-file") ?? [],
    args: parsed.args,
  };
}
