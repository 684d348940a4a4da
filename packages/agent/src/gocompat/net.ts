/**
 * Go `net` address handling used by `serf agent -bind/-advertise`: port parsing and service
 * lookup and `ResolveTCPAddr("tcp", …)`, with Go's error texts (`address 70000: invalid port`,
 * `lookup HOST: no such host`). `SplitHostPort` / `JoinHostPort` / `ParseIP` and `AddrError`
 * come from `@serf-ts/wire`.
 */

import { promises as dns } from "node:dns";
import { readFileSync } from "node:fs";
import { canonicalIp, GoAddrError, splitHostPort } from "@serf-ts/wire";

/**
 * `@serf-ts/wire`'s Go `net` pieces, re-exported for the agent's callers: `AddrError`,
 * `SplitHostPort`, `JoinHostPort`, `ParseIP(s).String()` (as `canonicalIP`) and the
 * "missing port in address" reason (as `MISSING_PORT`).
 */
export {
  canonicalIp as canonicalIP,
  GoAddrError,
  joinHostPort,
  MISSING_PORT_IN_ADDRESS as MISSING_PORT,
  splitHostPort,
} from "@serf-ts/wire";

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
  const literal = canonicalIp(zoneAt >= 0 && host.includes(":") ? host.slice(0, zoneAt) : host);
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
  const canonical = addresses.map((a) => canonicalIp(a.split("%")[0] ?? a) ?? a);
  const chosen = canonical.find((a) => !a.includes(":")) ?? canonical[0];
  if (chosen === undefined) throw new GoLookupError(host, "no such host");
  return { ip: chosen, port };
}
