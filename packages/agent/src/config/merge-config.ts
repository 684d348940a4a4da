/** Merging configuration layers exactly as Go's `agent.MergeConfig` does. */

import { type AgentConfig, tagRecord } from "./agent-config.ts";

/**
 * Returns `a` overlaid with `b` (neither is modified):
 *
 * - strings: `b` wins when non-empty;
 * - `protocol`: `b` wins when > 0; other ints and durations: when non-zero;
 * - booleans: `true` is sticky (a later `false` cannot turn them off) — except
 *   `enableCompression`, which always takes `b`'s value (Go quirk, see `AgentConfig`);
 * - `tags`: merged key by key, `b` wins per key;
 * - `eventHandlers`, `startJoin`, `retryJoin`: concatenated, `a` first.
 */
export function mergeConfig(a: Readonly<AgentConfig>, b: Readonly<AgentConfig>): AgentConfig {
  const str = (x: string, y: string) => (y !== "" ? y : x);
  const num = (x: number, y: number) => (y !== 0 ? y : x);
  const flag = (x: boolean, y: boolean) => x || y;
  const tags = tagRecord(a.tags);
  for (const key of Object.keys(b.tags)) tags[key] = b.tags[key] as string;
  return {
    nodeName: str(a.nodeName, b.nodeName),
    role: str(a.role, b.role),
    disableCoordinates: flag(a.disableCoordinates, b.disableCoordinates),
    tags,
    tagsFile: str(a.tagsFile, b.tagsFile),
    bindAddr: str(a.bindAddr, b.bindAddr),
    advertiseAddr: str(a.advertiseAddr, b.advertiseAddr),
    encryptKey: str(a.encryptKey, b.encryptKey),
    keyringFile: str(a.keyringFile, b.keyringFile),
    logLevel: str(a.logLevel, b.logLevel),
    rpcAddr: str(a.rpcAddr, b.rpcAddr),
    rpcAuthKey: str(a.rpcAuthKey, b.rpcAuthKey),
    protocol: b.protocol > 0 ? b.protocol : a.protocol,
    replayOnJoin: flag(a.replayOnJoin, b.replayOnJoin),
    queryResponseSizeLimit: num(a.queryResponseSizeLimit, b.queryResponseSizeLimit),
    querySizeLimit: num(a.querySizeLimit, b.querySizeLimit),
    userEventSizeLimit: num(a.userEventSizeLimit, b.userEventSizeLimit),
    startJoin: [...a.startJoin, ...b.startJoin],
    eventHandlers: [...a.eventHandlers, ...b.eventHandlers],
    profile: str(a.profile, b.profile),
    snapshotPath: str(a.snapshotPath, b.snapshotPath),
    leaveOnTerm: flag(a.leaveOnTerm, b.leaveOnTerm),
    skipLeaveOnInt: flag(a.skipLeaveOnInt, b.skipLeaveOnInt),
    discover: str(a.discover, b.discover),
    interface: str(a.interface, b.interface),
    mdnsInterface: str(a.mdnsInterface, b.mdnsInterface),
    mdnsDisableIPv4: flag(a.mdnsDisableIPv4, b.mdnsDisableIPv4),
    mdnsDisableIPv6: flag(a.mdnsDisableIPv6, b.mdnsDisableIPv6),
    // Go's MergeConfig forgets this key (and its agent never passes it to serf); we keep it.
    validateNodeNames: flag(a.validateNodeNames, b.validateNodeNames),
    reconnectIntervalMs: num(a.reconnectIntervalMs, b.reconnectIntervalMs),
    reconnectTimeoutMs: num(a.reconnectTimeoutMs, b.reconnectTimeoutMs),
    tombstoneTimeoutMs: num(a.tombstoneTimeoutMs, b.tombstoneTimeoutMs),
    disableNameResolution: flag(a.disableNameResolution, b.disableNameResolution),
    enableSyslog: flag(a.enableSyslog, b.enableSyslog),
    syslogFacility: str(a.syslogFacility, b.syslogFacility),
    retryJoin: [...a.retryJoin, ...b.retryJoin],
    retryMaxAttempts: num(a.retryMaxAttempts, b.retryMaxAttempts),
    retryIntervalMs: num(a.retryIntervalMs, b.retryIntervalMs),
    rejoinAfterLeave: flag(a.rejoinAfterLeave, b.rejoinAfterLeave),
    enableCompression: b.enableCompression,
    statsiteAddr: str(a.statsiteAddr, b.statsiteAddr),
    statsdAddr: str(a.statsdAddr, b.statsdAddr),
    broadcastTimeoutMs: num(a.broadcastTimeoutMs, b.broadcastTimeoutMs),
    httpAddr: str(a.httpAddr, b.httpAddr),
  };
}
