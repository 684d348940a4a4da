/**
 * Join seed parsing and resolution shared by the drivers (Go memberlist `resolveAddr`).
 */

import { lookup } from "node:dns/promises";
import { isIPv4, isIPv6 } from "@serf-ts/wire";
import { type Address, formatAddress, parseAddress } from "./transport.ts";

/**
 * Resolves one join seed to `"ip:port"` addresses. A seed is `"host:port"`, `"host"` (port =
 * `defaultPort`), a bracketed or bare IPv6 literal, or `"name/host:port"` (Go's node-aware
 * form; the name is ignored, as by Go's TCP transport). Host names resolve to all their
 * addresses.
 * @throws when the seed does not parse or the name does not resolve.
 */
export async function resolveSeed(seed: string, defaultPort: number): Promise<Address[]> {
  let text = seed.trim();
  const slash = text.indexOf("/");
  if (slash >= 0) text = text.slice(slash + 1);
  let host: string;
  let port: number;
  if (text.startsWith("[") || (text.split(":").length === 2 && !isIPv6(text))) {
    ({ host, port } = parseAddress(text));
  } else {
    host = text;
    port = defaultPort;
  }
  if (isIPv4(host) || isIPv6(host)) return [formatAddress(host, port)];
  const found = await lookup(host, { all: true });
  return found.map((a) => formatAddress(a.address, port));
}

/**
 * Resolves every seed; failures are collected as Go-style messages instead of thrown.
 * @returns the addresses (in seed order) and one error text per seed that failed.
 */
export async function resolveSeeds(
  seeds: readonly string[],
  defaultPort: number,
): Promise<{ addresses: Address[]; errors: string[] }> {
  const addresses: Address[] = [];
  const errors: string[] = [];
  for (const seed of seeds) {
    try {
      addresses.push(...(await resolveSeed(seed, defaultPort)));
    } catch (err) {
      errors.push(`Failed to resolve ${seed}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { addresses, errors };
}
