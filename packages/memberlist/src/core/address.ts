/**
 * `"ip:port"` strings from raw IP bytes, formatted like Go's `net.JoinHostPort(ip.String(),
 * port)` with `@serf-ts/wire`'s `formatIp` and `joinHostPort`: dotted quad for IPv4 and
 * IPv4-mapped IPv6, RFC 5952 text in brackets for IPv6.
 */

import { formatIp, joinHostPort } from "@serf-ts/wire";

/**
 * Formatted addresses by IP array identity: member tables keep the arrays they received, and
 * nodes that share message objects (the simulator) then share one string per address.
 */
const cache = new WeakMap<Uint8Array, { readonly port: number; readonly text: string }>();

/** `"ip:port"`, or `"[ipv6]:port"`. */
export function formatAddress(addr: Uint8Array, port: number): string {
  const hit = cache.get(addr);
  if (hit !== undefined && hit.port === port) return hit.text;
  const text = joinHostPort(formatIp(addr), port);
  cache.set(addr, { port, text });
  return text;
}
