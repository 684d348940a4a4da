/**
 * memberlist configuration: every tunable of Go memberlist 0.2.2's `Config` that matters to
 * the protocol, the LAN / WAN / Local profiles exactly as Go's `DefaultLANConfig` /
 * `DefaultWANConfig` / `DefaultLocalConfig`, a fast `testProfile`, and `resolveOptions()` which
 * returns a fully populated, validated object. Durations are milliseconds (`…Ms`).
 */

import { utf8Encode } from "@serf-ts/wire";
import { MAX_LABEL_BYTES } from "@serf-ts/wire/codec";

/** Names of the built-in profiles. */
export type ProfileName = "lan" | "wan" | "local" | "test";

/**
 * User-facing options; everything is optional and falls back to the chosen profile.
 * Durations are in milliseconds.
 */
export interface MemberlistOptions {
  /**
   * Built-in profile the defaults come from.
   * @default "lan"
   */
  profile?: ProfileName | undefined;
  /**
   * Node name, unique in the cluster. The core takes its identity from the `self` argument of
   * `SwimMachine`; drivers typically default this to the host name.
   * @default ""
   */
  name?: string | undefined;
  /**
   * Address to bind the UDP and TCP listeners to (driver only).
   * @default "0.0.0.0"
   */
  bindAddr?: string | undefined;
  /**
   * Port for UDP and TCP (the same number). Also used by the core when an alive or indirect
   * ping carries port 0 (Go substitutes its own bind port).
   * @default 7946
   */
  bindPort?: number | undefined;
  /**
   * Address advertised to other nodes when it differs from the bind address (NAT, 0.0.0.0).
   * @default undefined (the driver picks the bind address or a private interface address)
   */
  advertiseAddr?: string | undefined;
  /**
   * Port advertised to other nodes.
   * @default undefined (the bind port)
   */
  advertisePort?: number | undefined;
  /**
   * Memberlist protocol version spoken (PCur, `Vsn[2]`). serf maps all its protocols to 2;
   * only 2–5 are supported here (1 would drop ports from messages).
   * @default 2
   */
  protocolVersion?: number | undefined;
  /**
   * Lowest memberlist protocol understood (`Vsn[0]`). A constant in Go; change only in tests.
   * @default 1
   */
  protocolMin?: number | undefined;
  /**
   * Highest memberlist protocol understood (`Vsn[1]`). Peers decide from it whether to try TCP
   * fallback pings (≥ 3), request nacks (≥ 4) and add CRCs (≥ 5). A constant in Go.
   * @default 5
   */
  protocolMax?: number | undefined;
  /**
   * Delegate (serf) protocol spoken (`Vsn[5]`); the serf 0.9.4 agent uses 5.
   * @default 5
   */
  delegateProtocolVersion?: number | undefined;
  /**
   * Lowest delegate protocol understood (`Vsn[3]`).
   * @default 2
   */
  delegateProtocolMin?: number | undefined;
  /**
   * Highest delegate protocol understood (`Vsn[4]`).
   * @default 5
   */
  delegateProtocolMax?: number | undefined;
  /**
   * Timeout for a whole stream exchange (dial + push/pull). Go calls it TCPTimeout though it
   * bounds every stream. Larger values tolerate slow links but make a dead peer cost longer.
   * @default 10_000 (LAN), 30_000 (WAN), 1_000 (Local)
   */
  tcpTimeoutMs?: number | undefined;
  /**
   * Number of nodes asked to probe a target indirectly when a direct probe fails. More nodes
   * make false positives from a single bad link less likely at the cost of traffic.
   * @default 3 (LAN/WAN), 1 (Local)
   */
  indirectChecks?: number | undefined;
  /**
   * Retransmit multiplier: each broadcast is sent `retransmitMult × ceil(log10(N + 1))` times.
   * Higher values make delivery more certain on lossy networks at the cost of bandwidth.
   * @default 4 (LAN/WAN), 2 (Local)
   */
  retransmitMult?: number | undefined;
  /**
   * Suspicion multiplier: the minimum suspicion timeout is
   * `suspicionMult × max(1, log10(N)) × probeIntervalMs`; `suspicionMult − 2` independent
   * confirmations are expected. Higher values mean fewer false deaths but slower detection.
   * @default 4 (LAN), 6 (WAN), 3 (Local)
   */
  suspicionMult?: number | undefined;
  /**
   * The maximum suspicion timeout is this multiple of the minimum; Lifeguard starts at the
   * maximum and shrinks towards the minimum as confirmations arrive.
   * @default 6
   */
  suspicionMaxTimeoutMult?: number | undefined;
  /**
   * Interval of full state exchanges (anti-entropy) with one random alive node; scaled by
   * `ceil(log2(N) − 5) + 1` above 32 nodes. 0 disables periodic push/pull.
   * @default 30_000 (LAN), 60_000 (WAN), 15_000 (Local)
   */
  pushPullIntervalMs?: number | undefined;
  /**
   * Interval between failure-detection probes, multiplied by the awareness score + 1.
   * Shorter intervals detect failures sooner at the cost of traffic. 0 disables probing.
   * @default 1_000 (LAN/Local), 5_000 (WAN)
   */
  probeIntervalMs?: number | undefined;
  /**
   * How long to wait for a direct ack before asking other nodes (not scaled by awareness);
   * should exceed the 99th percentile RTT.
   * @default 500 (LAN), 3_000 (WAN), 200 (Local)
   */
  probeTimeoutMs?: number | undefined;
  /**
   * Disables the TCP fallback ping sent alongside indirect pings to peers with PMax ≥ 3.
   * @default false
   */
  disableTcpPings?: boolean | undefined;
  /**
   * Lifeguard awareness: the health score ranges over `[0, awarenessMaxMultiplier − 1]` and
   * the probe interval is multiplied by `score + 1`.
   * @default 8
   */
  awarenessMaxMultiplier?: number | undefined;
  /**
   * Interval between gossip rounds (broadcast fan-out). Shorter spreads news faster but sends
   * more packets. 0 disables gossip.
   * @default 200 (LAN), 500 (WAN), 100 (Local)
   */
  gossipIntervalMs?: number | undefined;
  /**
   * Number of random nodes gossiped to per round (alive, suspect, or recently dead).
   * @default 3 (LAN/Local), 4 (WAN)
   */
  gossipNodes?: number | undefined;
  /**
   * How long dead nodes keep receiving gossip (so they learn they were declared dead and can
   * refute); also how long they stay in the list before being reaped.
   * @default 30_000 (LAN), 60_000 (WAN), 15_000 (Local)
   */
  gossipToTheDeadTimeMs?: number | undefined;
  /**
   * Reject incoming packets/streams that are not encrypted when a keyring is configured
   * (driver only).
   * @default true
   */
  gossipVerifyIncoming?: boolean | undefined;
  /**
   * Encrypt outgoing packets/streams when a keyring is configured (driver only).
   * @default true
   */
  gossipVerifyOutgoing?: boolean | undefined;
  /**
   * Compress outgoing packets with LZW when that makes them smaller (driver only).
   * @default true
   */
  enableCompression?: boolean | undefined;
  /**
   * Whether outgoing packets are encrypted. The core then reserves 29 bytes (AES-GCM version 1
   * overhead) per packet when filling gossip and piggy-backed packets.
   * @default false
   */
  encryptionEnabled?: boolean | undefined;
  /**
   * Maximum queued inbound messages awaiting processing in the driver (Go handoff queue).
   * @default 1024
   */
  handoffQueueDepth?: number | undefined;
  /**
   * Byte budget of one gossip packet. Keep it below the path MTU; larger packets fragment.
   * @default 1400
   */
  udpBufferSize?: number | undefined;
  /**
   * How long a dead node must have been dead before another node may claim its name from a
   * different address. 0 means never (only nodes that left may be replaced).
   * @default 0
   */
  deadNodeReclaimTimeMs?: number | undefined;
  /**
   * Cluster label (Go `Label`, memberlist >= 0.3; driver only). When set, every outgoing
   * packet and every stream we dial starts with the header `f4 | len | label`, and with
   * encryption the label is also AES-GCM additional data, so clusters sharing a key but not a
   * label cannot read each other. Inbound packets/streams whose label differs are dropped
   * (and, unless `skipInboundLabelCheck`, so is unlabelled traffic). At most 255 UTF-8 bytes.
   *
   * Trade-offs: it partitions clusters cheaply (a mis-addressed join is refused instead of
   * merging two clusters), but a labelled node cannot talk to memberlist 0.2.2 peers such as
   * the Debian serf agent (they treat `f4` as an unknown message or fail decryption), every
   * packet costs `2 + length` bytes of the UDP budget, and changing it on a live cluster
   * needs a rolling restart with `skipInboundLabelCheck`.
   * @default "" (no label: traffic is byte-identical to memberlist 0.2.2)
   */
  label?: string | undefined;
  /**
   * Go `SkipInboundLabelCheck` (driver only): accept inbound traffic without a label header as
   * if it carried our `label` (which is then still used as GCM additional data); traffic that
   * does carry a header is dropped ("unexpected double ... label header"), as in Go, since
   * this mode is meant for a transport that strips and checks the label itself. Useful while
   * introducing a label, at the price of no longer rejecting unlabelled foreign traffic.
   * @default false
   */
  skipInboundLabelCheck?: boolean | undefined;
}

/** {@link MemberlistOptions} with every field resolved. */
export interface ResolvedMemberlistOptions {
  readonly profile: ProfileName;
  readonly name: string;
  readonly bindAddr: string;
  readonly bindPort: number;
  readonly advertiseAddr: string | undefined;
  readonly advertisePort: number | undefined;
  readonly protocolVersion: number;
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly delegateProtocolVersion: number;
  readonly delegateProtocolMin: number;
  readonly delegateProtocolMax: number;
  readonly tcpTimeoutMs: number;
  readonly indirectChecks: number;
  readonly retransmitMult: number;
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly pushPullIntervalMs: number;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly disableTcpPings: boolean;
  readonly awarenessMaxMultiplier: number;
  readonly gossipIntervalMs: number;
  readonly gossipNodes: number;
  readonly gossipToTheDeadTimeMs: number;
  readonly gossipVerifyIncoming: boolean;
  readonly gossipVerifyOutgoing: boolean;
  readonly enableCompression: boolean;
  readonly encryptionEnabled: boolean;
  readonly handoffQueueDepth: number;
  readonly udpBufferSize: number;
  readonly deadNodeReclaimTimeMs: number;
  readonly label: string;
  readonly skipInboundLabelCheck: boolean;
}

/** A profile: resolved options without the identity fields. */
export type MemberlistProfile = Omit<
  ResolvedMemberlistOptions,
  "name" | "bindAddr" | "advertiseAddr" | "advertisePort" | "label" | "skipInboundLabelCheck"
>;

/** Go `DefaultLANConfig`: tuned for a local network (RTT well below 10 ms). */
export const lanProfile: MemberlistProfile = Object.freeze({
  profile: "lan",
  bindPort: 7946,
  protocolVersion: 2,
  protocolMin: 1,
  protocolMax: 5,
  delegateProtocolVersion: 5,
  delegateProtocolMin: 2,
  delegateProtocolMax: 5,
  tcpTimeoutMs: 10_000,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  probeIntervalMs: 1_000,
  probeTimeoutMs: 500,
  disableTcpPings: false,
  awarenessMaxMultiplier: 8,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadTimeMs: 30_000,
  gossipVerifyIncoming: true,
  gossipVerifyOutgoing: true,
  enableCompression: true,
  encryptionEnabled: false,
  handoffQueueDepth: 1024,
  udpBufferSize: 1400,
  deadNodeReclaimTimeMs: 0,
} as const);

/** Go `DefaultWANConfig`: LAN with slower, more tolerant timings. */
export const wanProfile: MemberlistProfile = Object.freeze({
  ...lanProfile,
  profile: "wan",
  tcpTimeoutMs: 30_000,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  probeTimeoutMs: 3_000,
  probeIntervalMs: 5_000,
  gossipNodes: 4,
  gossipIntervalMs: 500,
  gossipToTheDeadTimeMs: 60_000,
} as const);

/** Go `DefaultLocalConfig`: LAN tuned for loopback / a single host. */
export const localProfile: MemberlistProfile = Object.freeze({
  ...lanProfile,
  profile: "local",
  tcpTimeoutMs: 1_000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  probeIntervalMs: 1_000,
  gossipIntervalMs: 100,
  gossipToTheDeadTimeMs: 15_000,
} as const);

/**
 * Fast timings for tests on real timers (loopback): ~10× the Local profile's pace. Not for
 * production: a busy event loop can cause false suspicions.
 */
export const testProfile: MemberlistProfile = Object.freeze({
  ...localProfile,
  profile: "test",
  tcpTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 3,
  pushPullIntervalMs: 2_000,
  probeTimeoutMs: 50,
  probeIntervalMs: 100,
  gossipIntervalMs: 20,
  gossipToTheDeadTimeMs: 2_000,
} as const);

/** The built-in profiles by name. */
export const profiles: Readonly<Record<ProfileName, MemberlistProfile>> = Object.freeze({
  lan: lanProfile,
  wan: wanProfile,
  local: localProfile,
  test: testProfile,
});

const NON_NEGATIVE_MS = [
  "tcpTimeoutMs",
  "pushPullIntervalMs",
  "probeIntervalMs",
  "probeTimeoutMs",
  "gossipIntervalMs",
  "gossipToTheDeadTimeMs",
  "deadNodeReclaimTimeMs",
] as const;

const NON_NEGATIVE_INT = [
  "indirectChecks",
  "retransmitMult",
  "gossipNodes",
  "handoffQueueDepth",
] as const;

const VERSION_BYTES = [
  "protocolVersion",
  "protocolMin",
  "protocolMax",
  "delegateProtocolVersion",
  "delegateProtocolMin",
  "delegateProtocolMax",
] as const;

/**
 * Fills every option from the profile (`base`, else `options.profile`, else LAN) and
 * validates the result.
 * @throws RangeError for out-of-range values.
 */
export function resolveOptions(
  options: MemberlistOptions = {},
  base?: MemberlistProfile,
): ResolvedMemberlistOptions {
  const profile = base ?? profiles[options.profile ?? "lan"];
  if (profile === undefined) throw new RangeError(`unknown profile ${String(options.profile)}`);
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) defined[key] = value;
  }
  const resolved = {
    ...profile,
    name: "",
    bindAddr: "0.0.0.0",
    advertiseAddr: undefined,
    advertisePort: undefined,
    label: "",
    skipInboundLabelCheck: false,
    ...defined,
    profile: options.profile ?? profile.profile,
  } as ResolvedMemberlistOptions;
  validate(resolved);
  return Object.freeze(resolved);
}

function validate(o: ResolvedMemberlistOptions): void {
  for (const key of NON_NEGATIVE_MS) {
    const v = o[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${key} must be a non-negative number of milliseconds, got ${v}`);
    }
  }
  for (const key of NON_NEGATIVE_INT) {
    const v = o[key];
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`${key} must be a non-negative integer, got ${v}`);
    }
  }
  for (const key of VERSION_BYTES) {
    const v = o[key];
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new RangeError(`${key} must be a byte, got ${v}`);
    }
  }
  if (o.protocolVersion < 2 || o.protocolVersion > 5) {
    throw new RangeError(`protocolVersion must be in [2, 5], got ${o.protocolVersion}`);
  }
  if (o.protocolMin > o.protocolVersion || o.protocolVersion > o.protocolMax) {
    throw new RangeError("protocolMin <= protocolVersion <= protocolMax must hold");
  }
  if (
    o.delegateProtocolMin > o.delegateProtocolVersion ||
    o.delegateProtocolVersion > o.delegateProtocolMax
  ) {
    throw new RangeError(
      "delegateProtocolMin <= delegateProtocolVersion <= delegateProtocolMax must hold",
    );
  }
  if (!Number.isInteger(o.suspicionMult) || o.suspicionMult < 1) {
    throw new RangeError(`suspicionMult must be a positive integer, got ${o.suspicionMult}`);
  }
  if (!Number.isInteger(o.suspicionMaxTimeoutMult) || o.suspicionMaxTimeoutMult < 1) {
    throw new RangeError("suspicionMaxTimeoutMult must be a positive integer");
  }
  if (!Number.isInteger(o.awarenessMaxMultiplier) || o.awarenessMaxMultiplier < 1) {
    throw new RangeError("awarenessMaxMultiplier must be a positive integer");
  }
  if (!Number.isInteger(o.udpBufferSize) || o.udpBufferSize < 64 || o.udpBufferSize > 65_507) {
    throw new RangeError(`udpBufferSize must be in [64, 65507], got ${o.udpBufferSize}`);
  }
  if (!Number.isInteger(o.bindPort) || o.bindPort < 0 || o.bindPort > 65_535) {
    throw new RangeError(`bindPort must be a port number, got ${o.bindPort}`);
  }
  if (
    o.advertisePort !== undefined &&
    (!Number.isInteger(o.advertisePort) || o.advertisePort < 0 || o.advertisePort > 65_535)
  ) {
    throw new RangeError(`advertisePort must be a port number, got ${o.advertisePort}`);
  }
  if (typeof o.label !== "string") throw new RangeError("label must be a string");
  const overhead = labelOverheadBytes(o.label);
  if (overhead - 2 > MAX_LABEL_BYTES) {
    throw new RangeError(`label must be at most ${MAX_LABEL_BYTES} UTF-8 bytes`);
  }
  if (overhead >= o.udpBufferSize) {
    throw new RangeError("label header does not fit in udpBufferSize");
  }
}

/** Bytes the label header adds to every packet: 0 without a label, else `2 + length`. */
export function labelOverheadBytes(label: string): number {
  return label === "" ? 0 : 2 + utf8Encode(label).length;
}

/** The 6 Vsn bytes `[PMin, PMax, PCur, DMin, DMax, DCur]` these options advertise. */
export function buildVsn(o: ResolvedMemberlistOptions): Uint8Array {
  return Uint8Array.of(
    o.protocolMin,
    o.protocolMax,
    o.protocolVersion,
    o.delegateProtocolMin,
    o.delegateProtocolMax,
    o.delegateProtocolVersion,
  );
}
