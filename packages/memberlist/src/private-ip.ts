/**
 * The address memberlist advertises when bound to `0.0.0.0` without an explicit advertise
 * address: go-sockaddr 1.0.2's `GetPrivateIP`, as Go memberlist 0.2.2 uses it
 * (`NetTransport.FinalAdvertiseAddr`).
 *
 * go-sockaddr takes every interface address, keeps the forwardable ones (not loopback,
 * link-local, documentation, … ranges) on interfaces that are up, sorts them (addresses of the
 * interface holding the default route first, then IPv4 before IPv6, then by netmask bytes
 * ascending, i.e. larger networks first), keeps those inside RFC 6890's special-purpose blocks
 * (RFC 1918 and RFC 6598 for IPv4 among them) and returns the first. No such address: Go
 * refuses to start with `No private IP address found, and explicit IP not provided`.
 *
 * Differences: Node's `os.networkInterfaces()` lists only interfaces that are both up and
 * running (Go needs only "up"); the default route comes from `/proc/net/route` (Go runs
 * `ip route`), IPv4 only.
 */

import { readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";

/** go-sockaddr's RFC 6890 blocks (its `IfByRFC("6890")` list). */
const RFC6890 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "240.0.0.0/4",
  "255.255.255.255/32",
  "::1/128",
  "::/128",
  "64:ff9b::/96",
  "::ffff:0:0/96",
  "100::/64",
  "2001::/16",
  "2001:2::/48",
  "2001:db8::/32",
  "2001:10::/28",
  "2002::/16",
  "fc00::/7",
  "fe80::/10",
];

/** go-sockaddr's non-forwardable blocks (`ForwardingBlacklist`). */
const FORWARDING_BLACKLIST = [
  "0.0.0.0/8",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "240.0.0.0/4",
  "255.255.255.255/32",
  "::1/128",
  "::/128",
  "::ffff:0:0/96",
  "2001::/23",
  "2001:db8::/32",
  "2001:10::/28",
  "fe80::/10",
];

/** Go memberlist's error when no private address exists. */
export const NO_PRIVATE_IP_MESSAGE = "No private IP address found, and explicit IP not provided";

/** Bytes of an IPv4 or IPv6 address (IPv4: 4 bytes; IPv6: 16). */
function ipBytes(ip: string): number[] {
  if (isIPv4(ip)) return ip.split(".").map(Number);
  const [head = "", tail = ""] = ip.split("%")[0]?.split("::") ?? [];
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  let left = groups(head);
  let right = groups(ip.includes("::") ? tail : "");
  const v4Tail = (parts: string[]): string[] => {
    const last = parts[parts.length - 1];
    if (last === undefined || !last.includes(".")) return parts;
    const b = last.split(".").map(Number);
    return [
      ...parts.slice(0, -1),
      (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16),
      (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16),
    ];
  };
  if (ip.includes("::")) right = v4Tail(right);
  else left = v4Tail(left);
  const zeros = 8 - left.length - right.length;
  const all = [...left, ...Array<string>(Math.max(0, zeros)).fill("0"), ...right];
  const out: number[] = [];
  for (const g of all) {
    const v = Number.parseInt(g, 16);
    out.push((v >> 8) & 0xff, v & 0xff);
  }
  return out;
}

function inBlock(bytes: number[], block: string): boolean {
  const [net = "", bitsText = "0"] = block.split("/");
  const netBytes = ipBytes(net);
  if (netBytes.length !== bytes.length) return false;
  let bits = Number(bitsText);
  for (let i = 0; i < bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] as number) & mask) !== ((netBytes[i] as number) & mask)) return false;
  }
  return true;
}

function inAny(ip: string, blocks: readonly string[]): boolean {
  const bytes = ipBytes(ip);
  return blocks.some((b) => inBlock(bytes, b));
}

/** One interface address as the selection needs it. */
export interface InterfaceAddress {
  readonly iface: string;
  readonly address: string;
  readonly netmask: string;
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * go-sockaddr `GetPrivateIP` over a list of interface addresses (in the system's order).
 * @param defaultIface the interface of the default route, if known.
 * @returns the address to advertise, or `undefined` when there is no private one.
 */
export function selectPrivateIP(
  addrs: readonly InterfaceAddress[],
  defaultIface: string | undefined,
): string | undefined {
  const candidates = addrs.filter(
    (a) => (isIPv4(a.address) || isIPv6(a.address)) && !inAny(a.address, FORWARDING_BLACKLIST),
  );
  const rank = (a: InterfaceAddress): [number, number] => [
    a.iface === defaultIface ? 0 : 1,
    isIPv4(a.address) ? 0 : 1,
  ];
  // Array.prototype.sort is stable: ties keep the system's order.
  const sorted = [...candidates].sort((x, y) => {
    const [dx, tx] = rank(x);
    const [dy, ty] = rank(y);
    if (defaultIface !== undefined && dx !== dy) return dx - dy;
    if (tx !== ty) return tx - ty;
    return compareBytes(ipBytes(x.netmask), ipBytes(y.netmask));
  });
  return sorted.find((a) => inAny(a.address, RFC6890))?.address;
}

/** The interface of the IPv4 default route from `/proc/net/route` text, if any. */
export function defaultRouteInterface(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Iface Destination Gateway Flags RefCnt Use Metric Mask …
    if (cols.length >= 8 && cols[1] === "00000000" && cols[7] === "00000000") return cols[0];
  }
  return undefined;
}

/** Where {@link getPrivateIP} reads the system's state (injectable for tests). */
export interface PrivateIPSources {
  readonly networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  readonly procNetRoute?: () => string;
}

/** go-sockaddr `GetPrivateIP` on this host: the address or `undefined`. */
export function getPrivateIP(sources: PrivateIPSources = {}): string | undefined {
  const all = (sources.networkInterfaces ?? networkInterfaces)();
  const addrs: InterfaceAddress[] = [];
  for (const [iface, list] of Object.entries(all)) {
    for (const info of list ?? []) {
      addrs.push({ iface, address: info.address, netmask: info.netmask });
    }
  }
  let defaultIface: string | undefined;
  try {
    const text = (sources.procNetRoute ?? (() => readFileSync("/proc/net/route", "utf8")))();
    defaultIface = defaultRouteInterface(text);
  } catch {
    defaultIface = undefined; // Go defers the decision when the route lookup fails
  }
  return selectPrivateIP(addrs, defaultIface);
}
