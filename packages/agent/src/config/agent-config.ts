/**
 * The agent configuration: every `serf agent` flag and JSON config key of Serf 0.9.4, with Go's
 * zero-value semantics (empty string, 0, false, empty list mean "not set" when configurations
 * are merged; see `mergeConfig`). Durations are milliseconds.
 */

import { hostname } from "node:os";

/** Memberlist timing profiles accepted by `-profile` / `"profile"`. */
export const PROFILES = ["lan", "wan", "local"] as const;
export type Profile = (typeof PROFILES)[number];

/** Agent constants from Go serf 0.9.4. */
export const AgentDefaults = {
  /** Port used when `-bind` / `-advertise` carry none (Go `DefaultBindPort`). */
  BIND_PORT: 7946,
  BIND_ADDR: "0.0.0.0",
  RPC_ADDR: "127.0.0.1:7373",
  LOG_LEVEL: "INFO",
  /** Highest serf protocol version (serf `ProtocolVersionMax`). */
  PROTOCOL: 5,
  PROFILE: "lan",
  RETRY_INTERVAL_MS: 30_000,
  SYSLOG_FACILITY: "LOCAL0",
  QUERY_RESPONSE_SIZE_LIMIT: 1024,
  QUERY_SIZE_LIMIT: 1024,
  USER_EVENT_SIZE_LIMIT: 512,
  BROADCAST_TIMEOUT_MS: 5_000,
  /** Lower bound applied to `retryIntervalMs` (with a warning). */
  MIN_RETRY_INTERVAL_MS: 1_000,
  /** Lower bound applied to `broadcastTimeoutMs` (with a warning). */
  MIN_BROADCAST_TIMEOUT_MS: 1_000,
} as const;

/** Node tags. Objects built by this package have no prototype, so any key is safe. */
export type Tags = Record<string, string>;

/** A fresh prototype-less tag record, optionally filled from `source`. */
export function tagRecord(source?: Readonly<Tags>): Tags {
  const tags: Tags = Object.create(null) as Tags;
  if (source !== undefined)
    for (const key of Object.keys(source)) tags[key] = source[key] as string;
  return tags;
}

/**
 * Agent configuration (Go `agent.Config`). Field comments name the flag and the JSON key.
 * A value equal to the zero value (`""`, `0`, `false`, `[]`, `{}`) means "not set" for merging.
 */
export interface AgentConfig {
  /** `-node`, `node_name`. Defaults to the host name. */
  nodeName: string;
  /** `-role`, `role`. Deprecated: becomes the `role` tag (with a warning). */
  role: string;
  /** `disable_coordinates`. Accepted but without effect in 0.9.4 (coordinates stay on). */
  disableCoordinates: boolean;
  /** `-tag k=v` (repeatable), `tags`. */
  tags: Tags;
  /** `-tags-file`, `tags_file`: tag persistence; no other tags may be configured with it. */
  tagsFile: string;
  /** `-bind`, `bind`: gossip address, `ip`, `ip:port`, `[v6]:port` or a host name. */
  bindAddr: string;
  /** `-advertise`, `advertise`: address announced to others (port defaults to 7946). */
  advertiseAddr: string;
  /** `-encrypt`, `encrypt_key`: base64 gossip key (16, 24 or 32 bytes). */
  encryptKey: string;
  /** `-keyring-file`, `keyring_file`. */
  keyringFile: string;
  /** `-log-level`, `log_level`: TRACE, DEBUG, INFO, WARN or ERR (any case). */
  logLevel: string;
  /** `-rpc-addr`, `rpc_addr`. */
  rpcAddr: string;
  /** `rpc_auth` (no flag): key RPC clients must present. */
  rpcAuthKey: string;
  /** `-protocol`, `protocol`: serf protocol version (serf accepts 2..5). */
  protocol: number;
  /** `-replay`, `replay_on_join`: replay old user events when joining. */
  replayOnJoin: boolean;
  /** `query_response_size_limit` in bytes. */
  queryResponseSizeLimit: number;
  /** `query_size_limit` in bytes. */
  querySizeLimit: number;
  /** `user_event_size_limit` in bytes (name + payload). */
  userEventSizeLimit: number;
  /** `-join` (repeatable), `start_join`: joined at start; total failure is fatal. */
  startJoin: string[];
  /** `-event-handler` (repeatable), `event_handlers`: `[filter[,filter]=]script`. */
  eventHandlers: string[];
  /** `-profile`, `profile`: `lan`, `wan` or `local` (checked at agent setup). */
  profile: string;
  /** `-snapshot`, `snapshot_path`. */
  snapshotPath: string;
  /** `leave_on_terminate`: SIGTERM leaves gracefully. */
  leaveOnTerm: boolean;
  /** `skip_leave_on_interrupt`: SIGINT exits without leaving. */
  skipLeaveOnInt: boolean;
  /** `-discover`, `discover`: mDNS cluster name. */
  discover: string;
  /** `-iface`, `interface`: network interface for the bind address and mDNS. */
  interface: string;
  /** Serf 0.10.2 `-mdns-iface`, `mdns.interface`: mDNS interface (else `interface`). */
  mdnsInterface: string;
  /** Serf 0.10.2 `-mdns-disable-ipv4`, `mdns.disable_ipv4`: no mDNS queries over IPv4. */
  mdnsDisableIPv4: boolean;
  /** Serf 0.10.2 `-mdns-disable-ipv6`, `mdns.disable_ipv6`: no mDNS queries over IPv6. */
  mdnsDisableIPv6: boolean;
  /** Serf 0.9.5 `validate_node_names`: only `[A-Za-z0-9.-]`, at most 128 bytes. */
  validateNodeNames: boolean;
  /** `reconnect_interval` (0 = serf default, 30 s). */
  reconnectIntervalMs: number;
  /** `reconnect_timeout` (0 = serf default, 24 h). */
  reconnectTimeoutMs: number;
  /** `tombstone_timeout` (0 = serf default, 24 h). */
  tombstoneTimeoutMs: number;
  /** `disable_name_resolution`: no name-conflict resolution. */
  disableNameResolution: boolean;
  /** `-syslog`, `enable_syslog`. */
  enableSyslog: boolean;
  /** `syslog_facility`. */
  syslogFacility: string;
  /** `-retry-join` (repeatable), `retry_join`: joined in the background with retries. */
  retryJoin: string[];
  /** `-retry-max`, `retry_max_attempts`: 0 = retry forever. */
  retryMaxAttempts: number;
  /** `-retry-interval`, `retry_interval`. At least 1 s. */
  retryIntervalMs: number;
  /** `-rejoin`, `rejoin_after_leave`: ignore a leave recorded in the snapshot. */
  rejoinAfterLeave: boolean;
  /**
   * Memberlist compression. Effectively `!-disable-compression`: the merge assigns the later
   * layer's value unconditionally and the flag layer always comes last, so
   * `"enable_compression"` in a file has no effect (a Go quirk kept on purpose).
   */
  enableCompression: boolean;
  /** `statsite_addr`. */
  statsiteAddr: string;
  /** `statsd_addr`. */
  statsdAddr: string;
  /** `-broadcast-timeout`, `broadcast_timeout`. At least 1 s. */
  broadcastTimeoutMs: number;
  /**
   * `-http-addr`, `http_addr` (serf-ts only; Go 0.9.4 has neither): `IP:PORT` of the HTTP
   * listener (`GET /metrics`, …). Empty (the default): no HTTP listener.
   */
  httpAddr: string;
}

/** The all-zero configuration (Go `new(Config)`): the starting point for config files. */
export function emptyConfig(): AgentConfig {
  return {
    nodeName: "",
    role: "",
    disableCoordinates: false,
    tags: tagRecord(),
    tagsFile: "",
    bindAddr: "",
    advertiseAddr: "",
    encryptKey: "",
    keyringFile: "",
    logLevel: "",
    rpcAddr: "",
    rpcAuthKey: "",
    protocol: 0,
    replayOnJoin: false,
    queryResponseSizeLimit: 0,
    querySizeLimit: 0,
    userEventSizeLimit: 0,
    startJoin: [],
    eventHandlers: [],
    profile: "",
    snapshotPath: "",
    leaveOnTerm: false,
    skipLeaveOnInt: false,
    discover: "",
    interface: "",
    mdnsInterface: "",
    mdnsDisableIPv4: false,
    mdnsDisableIPv6: false,
    validateNodeNames: false,
    reconnectIntervalMs: 0,
    reconnectTimeoutMs: 0,
    tombstoneTimeoutMs: 0,
    disableNameResolution: false,
    enableSyslog: false,
    syslogFacility: "",
    retryJoin: [],
    retryMaxAttempts: 0,
    retryIntervalMs: 0,
    rejoinAfterLeave: false,
    enableCompression: false,
    statsiteAddr: "",
    statsdAddr: "",
    broadcastTimeoutMs: 0,
    httpAddr: "",
  };
}

/**
 * Built-in defaults (Go `DefaultConfig`), plus the node name, which Go fills in from the host
 * name after merging (same result, since an empty name never overrides).
 *
 * `bindAddr` is `"0.0.0.0"` without a port, as in Go: the port 7946 is added when the address
 * is resolved (`resolveAgentAddr`), so the effective default is `0.0.0.0:7946`.
 */
export function defaultConfig(nodeName: string = hostname()): AgentConfig {
  return {
    ...emptyConfig(),
    nodeName,
    bindAddr: AgentDefaults.BIND_ADDR,
    logLevel: AgentDefaults.LOG_LEVEL,
    rpcAddr: AgentDefaults.RPC_ADDR,
    protocol: AgentDefaults.PROTOCOL,
    profile: AgentDefaults.PROFILE,
    retryIntervalMs: AgentDefaults.RETRY_INTERVAL_MS,
    syslogFacility: AgentDefaults.SYSLOG_FACILITY,
    queryResponseSizeLimit: AgentDefaults.QUERY_RESPONSE_SIZE_LIMIT,
    querySizeLimit: AgentDefaults.QUERY_SIZE_LIMIT,
    userEventSizeLimit: AgentDefaults.USER_EVENT_SIZE_LIMIT,
    broadcastTimeoutMs: AgentDefaults.BROADCAST_TIMEOUT_MS,
  };
}
