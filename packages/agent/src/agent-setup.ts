/**
 * Config-to-runtime assembly of `Agent.create` (Go `setupAgent` + the `serf.Create` of
 * `startAgent`): the checked bind/advertise addresses, `-iface`, key and profile, then the serf
 * options derived from the configuration and the started `Serf`.
 */

import { readFileSync } from "node:fs";
import { type NetworkInterfaceInfo, networkInterfaces as osNetworkInterfaces } from "node:os";
import type { Clock } from "@serf-ts/memberlist";
import { parseSnapshot, Serf, type SerfOptions } from "@serf-ts/serf";
import { AgentError, AgentErrorCode, goSerfCreateErrorText } from "./agent-errors.ts";
import { libraryLogger } from "./agent-log-bridge.ts";
import type { AgentOptions, AgentUi } from "./agent-options.ts";
import type { AgentConfig, Tags } from "./config/agent-config.ts";
import {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
} from "./config/setup-checks.ts";
import { canonicalIP } from "./gocompat/net.ts";
import type { Logger } from "./logging/logger.ts";
import type { AgentMetrics } from "./metrics/agent-metrics.ts";

const KEY_SIZES: ReadonlySet<number> = new Set([16, 24, 32]);

function isLinkLocal(info: NetworkInterfaceInfo): boolean {
  if (info.family === "IPv4") return info.address.startsWith("169.254.");
  return /^fe[89ab]/i.test(info.address);
}

/** Addresses, key and profile checked before serf starts (Go `setupAgent`). */
export interface AgentSetup {
  readonly bindIp: string;
  readonly bindPort: number;
  readonly advertise: { readonly ip: string; readonly port: number } | undefined;
  readonly encryptKey: Uint8Array;
  readonly profile: "lan" | "wan" | "local";
}

/** Checks addresses, interface, key and profile before serf starts (Go `setupAgent`). */
export async function resolveAgentSetup(
  config: AgentConfig,
  options: AgentOptions,
  ui: AgentUi,
): Promise<AgentSetup> {
  const bind = await checkBindAddr(config.bindAddr, options.hostLookup);
  let bindIp = bind.ip === "" ? "0.0.0.0" : bind.ip;
  if (config.interface !== "") {
    const name = config.interface;
    const all = (options.networkInterfaces ?? osNetworkInterfaces)();
    const addrs = all[name] ?? [];
    if (addrs.length === 0) {
      throw new AgentError(AgentErrorCode.SETUP_ADDRESS, `Interface '${name}' has no addresses`);
    }
    if (bindIp === "0.0.0.0") {
      const usable = addrs.find((a) => !isLinkLocal(a));
      if (usable === undefined) {
        throw new AgentError(
          AgentErrorCode.SETUP_ADDRESS,
          `Failed to find usable address for interface '${name}'`,
        );
      }
      bindIp = canonicalIP(usable.address) ?? usable.address;
      ui.output(`Using interface '${name}' address '${bindIp}'`);
    } else if (!addrs.some((a) => (canonicalIP(a.address) ?? a.address) === bindIp)) {
      throw new AgentError(
        AgentErrorCode.SETUP_ADDRESS,
        `Interface '${name}' has no '${bindIp}' address`,
      );
    }
  }
  const advertise =
    config.advertiseAddr === ""
      ? undefined
      : await checkAdvertiseAddr(config.advertiseAddr, options.hostLookup);
  const encryptKey = decodeEncryptKey(config.encryptKey);
  const profile = checkProfile(config.profile);
  return { bindIp, bindPort: bind.port, advertise, encryptKey, profile };
}

/** Creates serf from the configuration (Go `startAgent`'s `serf.Create`), with Go's error texts. */
export async function startAgentSerf(
  config: AgentConfig,
  options: AgentOptions,
  setup: AgentSetup,
  tags: Tags,
  keyringFile: string | undefined,
  logger: Logger,
  clock: Clock,
  metrics: AgentMetrics,
): Promise<Serf> {
  const fail = (text: string, cause?: unknown): AgentError =>
    new AgentError(
      AgentErrorCode.START,
      `Failed to start the Serf agent: Error creating Serf: ${text}`,
      { cause },
    );
  if (setup.encryptKey.length > 0 && !KEY_SIZES.has(setup.encryptKey.length)) {
    throw fail("Failed to create memberlist: key size must be 16, 24 or 32 bytes");
  }
  if (config.snapshotPath !== "" && config.rejoinAfterLeave) {
    noteIgnoredLeaves(config.snapshotPath, logger);
  }
  const extra = options.serfOptions ?? {};
  const serfOptions: SerfOptions = {
    broadcastTimeoutMs: config.broadcastTimeoutMs > 0 ? config.broadcastTimeoutMs : undefined,
    reconnectIntervalMs: config.reconnectIntervalMs > 0 ? config.reconnectIntervalMs : undefined,
    reconnectTimeoutMs: config.reconnectTimeoutMs > 0 ? config.reconnectTimeoutMs : undefined,
    tombstoneTimeoutMs: config.tombstoneTimeoutMs > 0 ? config.tombstoneTimeoutMs : undefined,
    queryResponseSizeLimit: config.queryResponseSizeLimit,
    querySizeLimit: config.querySizeLimit,
    userEventSizeLimit: config.userEventSizeLimit,
    enableNameConflictResolution: !config.disableNameResolution,
    ...extra,
    memberlist: { enableCompression: config.enableCompression, ...extra.memberlist },
  };
  try {
    return await Serf.create({
      nodeName: config.nodeName,
      bindAddr: setup.bindIp,
      bindPort: setup.bindPort,
      advertiseAddr: setup.advertise?.ip,
      advertisePort: setup.advertise?.port,
      tags,
      encryptKeys: setup.encryptKey.length > 0 ? [setup.encryptKey] : undefined,
      keyringFile,
      snapshotPath: config.snapshotPath === "" ? undefined : config.snapshotPath,
      rejoinAfterLeave: config.rejoinAfterLeave,
      validateNodeNames: config.validateNodeNames,
      protocolVersion: config.protocol > 0 ? config.protocol : undefined,
      profile: setup.profile,
      options: serfOptions,
      clock,
      logger: libraryLogger(logger),
      metrics: metrics.sink,
    });
  } catch (err) {
    throw fail(goSerfCreateErrorText(err, setup.bindIp, setup.bindPort), err);
  }
}

/** Go's snapshot replay logs each `leave` it skips because of `-rejoin`. */
function noteIgnoredLeaves(path: string, logger: Logger): void {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return;
  }
  try {
    for (const record of parseSnapshot(bytes).records) {
      if (record.kind === "leave")
        logger.log("INFO", "serf", "Ignoring previous leave in snapshot");
    }
  } catch {
    // A damaged snapshot is reported by serf itself.
  }
}
