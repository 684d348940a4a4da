/**
 * IP addresses and `host:port` text as Go's `net` package handles them, the one implementation
 * every package uses:
 *
 * - `formatIp`: `net.IP.String()` (dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 for
 *   other IPv6, `"<nil>"` for an empty IP, `"?"` + hex for any other length).
 * - `parseIp`: `net.ParseIP`, but IPv4 comes back as 4 bytes (what memberlist puts in its
 *   messages) and IPv6 as 16. No zones, no leading zeros in IPv4 parts (Go ≥ 1.17).
 * - `splitHostPort` / `joinHostPort`: `net.SplitHostPort` / `net.JoinHostPort`, with Go's
 *   `*net.AddrError` texts (`address ::1: too many colons in address`).
 * - `formatTcpAddr`: `net.TCPAddr{IP, Port}.String()`.
 */

import { ErrorCode, isSerfError, SerfError } from "../errors.ts";

/**
 * A Go `*net.AddrError`: message `address ADDR: REASON` (e.g. `address 127.0.0.1: missing port
 * in address`).
 */
export class GoAddrError extends SerfError {
  /** The address text as given. */
  readonly addr: string;
  /** Go's reason text, e.g. {@link MISSING_PORT_IN_ADDRESS}. */
  readonly reason: string;
  constructor(reason: string, addr: string) {
    super(ErrorCode.ADDRESS, `address ${addr}: ${reason}`);
    this.name = "GoAddrError";
    this.addr = addr;
    this.reason = reason;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSerfError(value) && value.code === ErrorCode.ADDRESS;
  }
}

/** Go's "missing port in address" reason, which callers test for. */
export const MISSING_PORT_IN_ADDRESS = "missing port in address";

// ---------------------------------------------------------------------------------------------
// IP bytes → text

function isV4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

const hexByte = (b: number): string => b.toString(16).padStart(2, "0");

/**
 * Go `net.IP.String()`: 4-byte and IPv4-mapped 16-byte IPs as dotted quads, other 16-byte IPs
 * in RFC 5952 form (lower-case hex, the longest run of two or more zero groups, the first one
 * on ties, shortened to `"::"`), `"<nil>"` for an empty IP and `"?"` + hex for other lengths.
 */
export function formatIp(ip: Uint8Array): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (ip.length === 0) return "<nil>";
  if (ip.length !== 16) return `?${Array.from(ip, hexByte).join("")}`;
  if (isV4Mapped(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let zeroStart = -1;
  let zeroLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > zeroLen) {
      zeroStart = i;
      zeroLen = j - i;
    }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  if (zeroStart < 0) return groups.map(hex).join(":");
  const head = groups.slice(0, zeroStart).map(hex).join(":");
  const tail = groups
    .slice(zeroStart + zeroLen)
    .map(hex)
    .join(":");
  return `${head}::${tail}`;
}

/** Go `net.TCPAddr{IP: ip, Port: port}.String()`: an empty IP prints as `":port"`. */
export function formatTcpAddr(ip: Uint8Array, port: number): string {
  return joinHostPort(ip.length === 0 ? "" : formatIp(ip), port);
}

// ---------------------------------------------------------------------------------------------
// IP text → bytes

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_DIGITS = /^[0-9a-fA-F]+/;

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Go's IPv6 literal parser (`::` once, at most 4 hex digits a group, a trailing IPv4). */
function parseIPv6(text: string): Uint8Array | undefined {
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  let s = text;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === "") return ip;
  }
  let i = 0;
  while (i < 16) {
    const m = HEX_DIGITS.exec(s);
    if (m === null || m[0].length > 4) return undefined;
    const c = m[0].length;
    if (s[c] === ".") {
      // An embedded IPv4 ends the address: it takes the last 4 bytes (or sits before "::").
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (v4 === undefined) return undefined;
      ip.set(v4, i);
      s = "";
      i += 4;
      break;
    }
    const n = Number.parseInt(m[0], 16);
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(c);
    if (s === "") break;
    if (s[0] !== ":" || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s === "") break;
    }
  }
  if (s !== "") return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    // Move what followed "::" to the end; the gap is zeros.
    const gap = 16 - i;
    ip.copyWithin(ellipsis + gap, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + gap);
  } else if (ellipsis >= 0) {
    return undefined;
  }
  return ip;
}

/**
 * Go `net.ParseIP`, except that IPv4 text gives 4 bytes (IPv6 text, IPv4-mapped included, gives
 * 16). `undefined` for anything else: host names, zones (`fe80::1%eth0`), brackets, IPv4 parts
 * with leading zeros.
 */
export function parseIp(text: string): Uint8Array | undefined {
  return parseIPv4(text) ?? parseIPv6(text);
}

/** True for dotted-quad IPv4 text (Go rules: four decimal parts, no leading zeros). */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}

/** True for IPv6 text (no brackets, no zone). */
export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== undefined;
}

/**
 * Go `net.ParseIP(text).String()`: the canonical text of an IP literal (IPv4-mapped IPv6 as a
 * dotted quad, IPv6 per RFC 5952), or `undefined` if `text` is not an IP literal.
 */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip);
}

// ---------------------------------------------------------------------------------------------
// host:port

/**
 * Go `net.SplitHostPort`: `"host:port"`, `"[host]:port"` (IPv6, optionally with a zone) →
 * host without brackets and the port text (not checked; may be empty or a service name).
 * Throws {@link GoAddrError} with Go's reason texts.
 */
export function splitHostPort(hostport: string): { host: string; port: string } {
  let j = 0;
  let k = 0;
  const i = hostport.lastIndexOf(":");
  if (i < 0) throw new GoAddrError(MISSING_PORT_IN_ADDRESS, hostport);
  let host: string;
  if (hostport[0] === "[") {
    const end = hostport.indexOf("]");
    if (end < 0) throw new GoAddrError("missing ']' in address", hostport);
    if (end + 1 === hostport.length) throw new GoAddrError(MISSING_PORT_IN_ADDRESS, hostport);
    if (end + 1 !== i) {
      if (hostport[end + 1] === ":") throw new GoAddrError("too many colons in address", hostport);
      throw new GoAddrError(MISSING_PORT_IN_ADDRESS, hostport);
    }
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) throw new GoAddrError("too many colons in address", hostport);
  }
  if (hostport.indexOf("[", j) >= 0) throw new GoAddrError("unexpected '[' in address", hostport);
  if (hostport.indexOf("]", k) >= 0) throw new GoAddrError("unexpected ']' in address", hostport);
  return { host, port: hostport.slice(i + 1) };
}

/** Go `net.JoinHostPort`: brackets hosts that contain a colon (`"[::1]:7946"`). */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
