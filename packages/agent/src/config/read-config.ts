/**
 * The whole of Go's `Command.readConfig`: flags, config files, defaults, and the checks and
 * adjustments that follow, in Go's order. Used at startup and again on SIGHUP.
 */

import { existsSync } from "node:fs";
import { hostname as osHostname, networkInterfaces } from "node:os";
import { formatGoDurationMs } from "@serf-ts/wire/gocompat";
import { parseEventScripts, validateEventScripts } from "../event-handlers/event-filter.ts";
import { type AgentConfig, AgentDefaults, defaultConfig } from "./agent-config.ts";
import { ConfigError, ConfigErrorCode } from "./config-error.ts";
import { parseFlags } from "./flags.ts";
import { loadConfigFiles } from "./load-config-files.ts";
import { mergeConfig } from "./merge-config.ts";

/** Environment hooks for `readConfig` (tests replace them). */
export interface ReadConfigOptions {
  /** The OS host name, used when no node name is configured. @default os.hostname */
  readonly hostname?: () => string;
  /** Whether a network interface exists (Go `net.InterfaceByName`). */
  readonly interfaceExists?: (name: string) => boolean;
}

/** The configuration Go would run with, plus what it printed along the way. */
export interface ReadConfigResult {
  readonly config: AgentConfig;
  /**
   * Lines Go prints on stdout with the `==> ` prefix while reading the configuration, in order:
   * `Deprecation warning: 'Role' has been replaced with 'Tags'`,
   * `Warning: 'RetryInterval' is too low. Setting to 1s`,
   * `Warning: 'BroadcastTimeout' is too low. Setting to 1s`,
   * `Warning: 'RejoinAfterLeave' enabled without snapshot file`.
   */
  readonly warnings: string[];
  /** Positional arguments (ignored by `serf agent`). */
  readonly args: string[];
}

/** Default interface check: any interface the OS lists, with or without addresses. */
export function systemInterfaceExists(name: string): boolean {
  if (Object.hasOwn(networkInterfaces(), name)) return true;
  if (name === "" || name === "." || name === ".." || name.includes("/")) return false;
  return process.platform === "linux" && existsSync(`/sys/class/net/${name}`);
}

/**
 * Parses `argv` and the config files it names into the final agent configuration.
 * Throws `ConfigError` (first problem only, in Go's order: flags, tags, durations, files, host
 * name, event handlers, interface). The log level is checked separately (`checkLogLevel`), as
 * Go does it after printing the warnings.
 */
export function readConfig(
  argv: readonly string[],
  options: ReadConfigOptions = {},
): ReadConfigResult {
  const flags = parseFlags(argv);
  let config = defaultConfig("");
  if (flags.configPaths.length > 0) {
    config = mergeConfig(config, loadConfigFiles(flags.configPaths));
  }
  config = mergeConfig(config, flags.config);

  if (config.nodeName === "") {
    try {
      config.nodeName = (options.hostname ?? osHostname)();
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ConfigError(ConfigErrorCode.HOSTNAME, `Error determining hostname: ${detail}`, {
        cause: err,
      });
    }
  }

  validateEventScripts(parseEventScripts(config.eventHandlers));

  if (config.interface !== "") {
    const exists = (options.interfaceExists ?? systemInterfaceExists)(config.interface);
    if (!exists) {
      throw new ConfigError(
        ConfigErrorCode.INVALID_INTERFACE,
        "Invalid network interface: route ip+net: no such network interface",
      );
    }
  }

  const warnings: string[] = [];
  if (config.role !== "") {
    warnings.push("Deprecation warning: 'Role' has been replaced with 'Tags'");
    config.tags.role = config.role;
  }
  if (config.retryIntervalMs < AgentDefaults.MIN_RETRY_INTERVAL_MS) {
    config.retryIntervalMs = AgentDefaults.MIN_RETRY_INTERVAL_MS;
    warnings.push(
      `Warning: 'RetryInterval' is too low. Setting to ${formatGoDurationMs(config.retryIntervalMs)}`,
    );
  }
  if (config.broadcastTimeoutMs < AgentDefaults.MIN_BROADCAST_TIMEOUT_MS) {
    config.broadcastTimeoutMs = AgentDefaults.MIN_BROADCAST_TIMEOUT_MS;
    warnings.push(
      `Warning: 'BroadcastTimeout' is too low. Setting to ${formatGoDurationMs(config.broadcastTimeoutMs)}`,
    );
  }
  if (config.rejoinAfterLeave && config.snapshotPath === "") {
    warnings.push("Warning: 'RejoinAfterLeave' enabled without snapshot file");
  }
  return { config, warnings, args: flags.args };
}
