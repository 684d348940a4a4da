/**
 * Shared pieces of the agent's mDNS discovery (`serf agent -discover=CLUSTER`): constants taken
 * from Go serf 0.9.4 (`cmd/serf/command/agent/mdns.go`) and hashicorp/mdns 1.0.x (the version
 * Debian's serf 0.9.4 is built with), socket options, and small formatting helpers.
 */

import { isIPv4 } from "node:net";
import { networkInterfaces as osNetworkInterfaces } from "node:os";
import { canonicalIp, joinHostPort } from "@serf-ts/wire";

/** IPv4 mDNS group (RFC 6762). */
export const MDNS_IPV4_GROUP = "224.0.0.251";
/** mDNS port (RFC 6762). */
export const MDNS_PORT = 5353;
/** TTL, in seconds, of every record the Go zone hands out (`defaultTTL`). */
export const MDNS_RECORD_TTL_S = 120;
/** Go serf: `mdnsPollInterval`, the pause between two polls. */
export const MDNS_POLL_INTERVAL_MS = 60_000;
/** Go serf: `mdnsQuietInterval`, how long discovery waits for more hosts before joining. */
export const MDNS_QUIET_INTERVAL_MS = 100;
/** hashicorp/mdns `Query`: how long one poll listens for responses (`Timeout` default 1 s). */
export const MDNS_QUERY_TIMEOUT_MS = 1_000;
/** hashicorp/mdns default service domain. */
export const MDNS_DEFAULT_DOMAIN = "local.";

/**
 * Where log lines go. The agent passes its `agent.mdns` component logger (the shape of the
 * agent's `ComponentLogger`); Go serf prints `[INFO] agent.mdns: Joined N hosts` etc.
 */
export interface MdnsLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that drops everything. */
export const NOOP_MDNS_LOGGER: MdnsLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * IPv4 socket options of both the advertiser and the poller. Defaults follow Go serf: all
 * multicast interfaces, kernel default TTL 1, loopback on, listener on `0.0.0.0:5353`.
 *
 * Tests must keep multicast on loopback: `multicastInterface: "127.0.0.1"`, `ttl: 1` (see
 * `loopbackMdnsSocketOptions`), or run inside a network namespace of their own.
 */
export interface MdnsSocketOptions {
  /**
   * IPv4 address of the interface to send multicast on and to join the group on (Go:
   * `-iface`, see `mdnsInterfaceAddress`). Unset: join the group on every IPv4 interface and
   * send on the system default multicast interface.
   */
  readonly multicastInterface?: string;
  /** Multicast TTL (`IP_MULTICAST_TTL`). @default 1 */
  readonly ttl?: number;
  /** Receive our own multicast (`IP_MULTICAST_LOOP`). @default true */
  readonly loopback?: boolean;
  /** Address the advertiser's listener binds to. The poller binds here with port 0. @default "0.0.0.0" */
  readonly bindAddress?: string;
  /** mDNS port: the advertiser listens on it, the poller sends to it. @default 5353 */
  readonly mdnsPort?: number;
  /** IPv4 multicast group. @default "224.0.0.251" */
  readonly group?: string;
}

/** Socket options resolved to concrete values. */
export interface ResolvedMdnsSocketOptions {
  readonly multicastInterface: string | undefined;
  readonly ttl: number;
  readonly loopback: boolean;
  readonly bindAddress: string;
  readonly port: number;
  readonly group: string;
}

/** Applies the defaults of `MdnsSocketOptions`, validating what the sockets would reject late. */
export function resolveMdnsSocketOptions(options: MdnsSocketOptions): ResolvedMdnsSocketOptions {
  const ttl = options.ttl ?? 1;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) {
    throw new RangeError(`invalid multicast TTL: ${ttl}`);
  }
  const port = options.mdnsPort ?? MDNS_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`invalid mDNS port: ${port}`);
  }
  const group = options.group ?? MDNS_IPV4_GROUP;
  if (!isIPv4(group)) throw new RangeError(`invalid IPv4 multicast group: ${group}`);
  const multicastInterface = options.multicastInterface;
  if (multicastInterface !== undefined && !isIPv4(multicastInterface)) {
    throw new RangeError(`multicast interface must be an IPv4 address: ${multicastInterface}`);
  }
  return {
    multicastInterface,
    ttl,
    loopback: options.loopback ?? true,
    bindAddress: options.bindAddress ?? "0.0.0.0",
    port,
    group,
  };
}

/**
 * Socket options that keep all multicast on the loopback interface (interface 127.0.0.1,
 * TTL 1). For tests and single-host setups; pass an `mdnsPort` other than 5353 to stay clear of
 * the system's mDNS responder.
 */
export function loopbackMdnsSocketOptions(mdnsPort?: number): MdnsSocketOptions {
  const base = { multicastInterface: "127.0.0.1", ttl: 1, loopback: true, bindAddress: "0.0.0.0" };
  return mdnsPort === undefined ? base : { ...base, mdnsPort };
}

/** The service Go serf registers and looks up for a cluster: `_serf_CLUSTER._tcp`. */
export function mdnsServiceName(cluster: string): string {
  return `_serf_${cluster}._tcp`;
}

/** The TXT string Go serf publishes: `Serf 'CLUSTER' cluster`. */
export function mdnsServiceTxt(cluster: string): string {
  return `Serf '${cluster}' cluster`;
}

/** `strings.Trim(s, ".")`. */
export function trimDots(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === ".") start++;
  while (end > start && s[end - 1] === ".") end--;
  return s.slice(start, end);
}

/** A name as Go's miekg/dns spells it: fully qualified, with the trailing dot. */
export function fqdn(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

type NetworkInterfacesFn = typeof osNetworkInterfaces;

/**
 * The IPv4 address that identifies interface `name` for multicast (the `-iface` of Go serf),
 * preferring a non-link-local one; `undefined` if the interface has no IPv4 address.
 */
export function mdnsInterfaceAddress(
  name: string,
  networkInterfaces: NetworkInterfacesFn = osNetworkInterfaces,
): string | undefined {
  const addrs = networkInterfaces()[name] ?? [];
  const v4 = addrs.filter((a) => a.family === "IPv4").map((a) => a.address);
  return v4.find((a) => !a.startsWith("169.254.")) ?? v4[0];
}

/**
 * Go's `net.TCPAddr{IP, Port}.String()`: `1.2.3.4:7946`, `[::1]:7946`, with the IP in Go's
 * canonical form (IPv4-mapped IPv6 dotted, IPv6 per RFC 5952).
 */
export function formatHostPort(ip: string, port: number): string {
  return joinHostPort(canonicalIp(ip) ?? ip, port);
}

/** Error text for logs (`%v` of a Go error). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
