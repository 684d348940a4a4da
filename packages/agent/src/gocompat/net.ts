/**
 * Go `net` address handling used by `serf agent -bind/-advertise`: `SplitHostPort`, port
 * parsing and service lookup, `ParseIP` / `IP.String`, and `ResolveTCPAddr("tcp", …)`, with Go's
 * error texts (`address 70000: invalid port`, `address ::1: too many colons in address`, …).
 */

import { promises as dns } from "node:dns";
import { readFileSync } from "node:fs";

/** A Go `*net.AddrError`: message `address ADDR: WHY`. */
export class GoAddrError extends Error {
  readonly addr: string;
  readonly reason: string;
  constructor(reason: string, addr: string) {
    super(`address ${addr}: ${reason}`);
    this.name = "GoAddrError";
    this.addr = addr;
    this.reason = reason;
  }
}

/** Go's "missing port in address" reason, which callers test for. */
export const MISSING_PORT = "missing port in address";

/** Go `net.SplitHostPort`. Throws `GoAddrError`. */
export function splitHostPort(hostport: string): { host: string; port: string } {
  let j = 0;
  let k = 0;
  const i = hostport.lastIndexOf(":");
  if (i < 0) throw new GoAddrError(MISSING_PORT, hostport);
  let host: string;
  if (hostport[0] === "[") {
    const end = hostport.indexOf("]");
    if (end < 0) throw new GoAddrError("missing ']' in address", hostport);
    if (end + 1 === hostport.length) throw new GoAddrError(MISSING_PORT, hostport);
    if (end + 1 !== i) {
      if (hostport[end + 1] === ":") throw new GoAddrError("too many colons in address", hostport);
      throw new GoAddrError(MISSING_PORT, hostport);
    }
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) throw new GoAddrError("too many colons in address", hostport);
  }
  if (hostport.slice(j).includes("[")) {
    throw new GoAddrError("unexpected '[' in address", hostport);
  }
  if (hostport.slice(k).includes("]")) {
    throw new GoAddrError("unexpected ']' in address", hostport);
  }
  return { host, port: hostport.slice(i + 1) };
}

/** Go `net.JoinHostPort`: brackets hosts that contain a colon. */
export function joinHostPort(host: string, port: string | number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's `parsePort`: a signed decimal clamped to ±2^30, or `undefined` if a lookup is needed. */
function parsePort(service: string): number | undefined {
  if (service === "") return 0;
  const cutoff = 1 << 30;
  let neg = false;
  let s = service;
  if (s[0] === "+") {
    s = s.slice(1);
  } else if (s[0] === "-") {
    neg = true;
    s = s.slice(1);
  }
  let n = 0;
  for (const ch of s) {
    if (ch < "0" || ch > "9") return undefined;
    if (n >= cutoff) {
      n = 2 ** 32 - 1;
      break;
    }
    n = n * 10 + (ch.charCodeAt(0) - 0x30);
    if (n > 2 ** 32 - 1) {
      n = 2 ** 32 - 1;
      break;
    }
  }
  let port: number;
  if (!neg && n >= cutoff) port = cutoff - 1;
  else if (neg && n > cutoff) port = cutoff;
  else port = n;
  return neg ? -port : port;
}

/** Go's built-in fallback service table (used when /etc/services lacks an entry). */
const FALLBACK_SERVICES: Readonly<Record<string, number>> = {
  domain: 53,
  ftp: 21,
  ftps: 990,
  gopher: 70,
  http: 80,
  https: 443,
  imap2: 143,
  imap3: 220,
  imaps: 993,
  pop3: 110,
  pop3s: 995,
  smtp: 25,
  ssh: 22,
  telnet: 23,
};

let servicesCache: Map<string, number> | undefined;

function tcpServices(): Map<string, number> {
  if (servicesCache !== undefined) return servicesCache;
  const table = new Map<string, number>(Object.entries(FALLBACK_SERVICES));
  try {
    for (const raw of readFileSync("/etc/services", "utf8").split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      const [name, portProto, ...aliases] = line.split(/\s+/);
      if (name === undefined || portProto === undefined) continue;
      const [portText, proto] = portProto.split("/");
      if (proto !== "tcp" || portText === undefined) continue;
      const port = Number.parseInt(portText, 10);
      if (!Number.isInteger(port)) continue;
      for (const alias of [name, ...aliases]) {
        if (!table.has(alias)) table.set(alias, port);
      }
    }
  } catch {
    // No services file: the fallback table is all Go has either.
  }
  servicesCache = table;
  return table;
}

/**
 * Go `net.LookupPort("tcp", service)`: numbers (clamped like Go), or service names from
 * /etc/services (case-insensitive). Throws `GoAddrError` `address tcp/NAME: unknown port` or
 * `address N: invalid port`.
 */
export function lookupTcpPort(service: string): number {
  let port = parsePort(service);
  if (port === undefined) {
    port = tcpServices().get(service.toLowerCase());
    if (port === undefined) throw new GoAddrError("unknown port", `tcp/${service}`);
  }
  if (port < 0 || port > 65535) throw new GoAddrError("invalid port", service);
  return port;
}

function parseIPv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return undefined;
    if (part.length > 1 && part[0] === "0") return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6Bytes(text: string): number[] | undefined {
  const ip: number[] = new Array(16).fill(0);
  let ellipsis = -1;
  let s = text;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === "") return ip;
  }
  let i = 0;
  while (i < 16) {
    const m = /^[0-9a-fA-F]+/.exec(s);
    if (m === null || m[0].length > 4) return undefined;
    const c = m[0].length;
    if (s[c] === ".") {
      if (ellipsis < 0 && i !== 12) return undefined;
      if (i + 4 > 16) return undefined;
      const v4 = parseIPv4Bytes(s);
      if (v4 === undefined) return undefined;
      ip.splice(i, 4, ...v4);
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
    const fill = new Array(16 - i).fill(0);
    ip.splice(ellipsis, 0, ...fill);
    ip.length = 16;
  } else if (ellipsis >= 0) {
    return undefined;
  }
  return ip;
}

/**
 * Go `net.ParseIP(text).String()`: the canonical text of an IP literal (IPv4-mapped IPv6 as
 * dotted quad, IPv6 compressed per RFC 5952), or `undefined` if `text` is not an IP literal.
 */
export function canonicalIP(text: string): string | undefined {
  const v4 = parseIPv4Bytes(text);
  if (v4 !== undefined) return v4.join(".");
  if (!text.includes(":")) return undefined;
  const b = parseIPv6Bytes(text);
  if (b === undefined) return undefined;
  const isMapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (isMapped) return b.slice(12).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += (groups[i] ?? 0).toString(16);
  }
  return out;
}

/** Resolves a host name to addresses (the default uses the system resolver). */
export type HostLookup = (host: string) => Promise<readonly string[]>;

/** The system resolver (`getaddrinfo`), every address family. */
export const systemLookup: HostLookup = async (host) => {
  const results = await dns.lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

/** A failed host lookup, worded like Go's `*net.DNSError`. */
export class GoLookupError extends Error {
  constructor(host: string, reason: string) {
    super(`lookup ${host}: ${reason}`);
    this.name = "GoLookupError";
  }
}

/** An address resolved the way Go's `ResolveTCPAddr("tcp", …)` does. */
export interface ResolvedAddr {
  /** Canonical IP text; empty when the host part was empty (Go's nil IP: all interfaces). */
  readonly ip: string;
  readonly port: number;
}

/**
 * Go `net.ResolveTCPAddr("tcp", hostport)`: splits, resolves the port (numbers or service
 * names), takes an IP literal as is (zone dropped) or resolves the name, preferring the first
 * IPv4 address. Throws `GoAddrError` or `GoLookupError`.
 */
export async function resolveTcpAddr(
  hostport: string,
  lookup: HostLookup = systemLookup,
): Promise<ResolvedAddr> {
  const { host, port: service } = splitHostPort(hostport);
  const port = lookupTcpPort(service);
  if (host === "") return { ip: "", port };
  const zoneAt = host.indexOf("%");
  const literal = canonicalIP(zoneAt >= 0 && host.includes(":") ? host.slice(0, zoneAt) : host);
  if (literal !== undefined) return { ip: literal, port };
  let addresses: readonly string[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason =
      code === "ENOTFOUND" || code === "ENODATA"
        ? "no such host"
        : err instanceof Error
          ? err.message
          : String(err);
    throw new GoLookupError(host, reason);
  }
  const canonical = addresses.map((a) => canonicalIP(a.split("%")[0] ?? a) ?? a);
  const chosen = canonical.find((a) => !a.includes(":")) ?? canonical[0];
  if (chosen === undefined) throw new GoLookupError(host, "no such host");
  return { ip: chosen, port };
}
