/**
 * `"ip:port"` strings from raw IP bytes, formatted like Go's `net.JoinHostPort(ip.String(),
 * port)`: dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 text in brackets for IPv6.
 */

/** Text form of a raw IP (Go `net.IP.String()`); `"?"` + hex for a malformed length. */
export function formatIp(addr: Uint8Array): string {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}`;
  if (addr.length !== 16) {
    return `?${Array.from(addr, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  let mapped = addr[10] === 0xff && addr[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (addr[i] !== 0) mapped = false;
  if (mapped) return `${addr[12]}.${addr[13]}.${addr[14]}.${addr[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] as number) << 8) | (addr[i + 1] as number));
  // Longest run of zero groups (at least 2) is shortened to "::", first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number | undefined): string => (g as number).toString(16);
  if (bestStart < 0) return groups.map(hex).join(":");
  const head = groups.slice(0, bestStart).map(hex).join(":");
  const tail = groups
    .slice(bestStart + bestLen)
    .map(hex)
    .join(":");
  return `${head}::${tail}`;
}

/**
 * Formatted addresses by IP array identity: member tables keep the arrays they received, and
 * nodes that share message objects (the simulator) then share one string per address.
 */
const cache = new WeakMap<Uint8Array, { readonly port: number; readonly text: string }>();

/** `"ip:port"`, or `"[ipv6]:port"`. */
export function formatAddress(addr: Uint8Array, port: number): string {
  const hit = cache.get(addr);
  if (hit !== undefined && hit.port === port) return hit.text;
  const ip = formatIp(addr);
  const text = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
  cache.set(addr, { port, text });
  return text;
}
