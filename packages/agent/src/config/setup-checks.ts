/**
 * Checks Go's `Command.setupAgent` runs before creating serf, with its messages: bind and
 * advertise addresses, the encryption key and the profile.
 */

import { decodeGoBase64, GoBase64Error } from "@serf-ts/wire/gocompat";
import {
  GoAddrError,
  GoLookupError,
  type HostLookup,
  joinHostPort,
  MISSING_PORT,
  type ResolvedAddr,
  resolveTcpAddr,
  splitHostPort,
} from "../gocompat/net.ts";
import { AgentDefaults, PROFILES, type Profile } from "./agent-config.ts";
import { ConfigError, ConfigErrorCode } from "./config-error.ts";

/**
 * Go `Config.AddrParts`: adds the default port 7946 when the address has none, then resolves it
 * like `net.ResolveTCPAddr("tcp", …)`. Throws `GoAddrError` / `GoLookupError` with Go's text.
 *
 * Go loops forever on inputs that stay "missing port" after the port is appended (such as
 * `[::1]]:5`); here the second failure is reported instead.
 */
export async function resolveAgentAddr(
  address: string,
  lookup?: HostLookup,
): Promise<ResolvedAddr> {
  let candidate = address;
  try {
    splitHostPort(candidate);
  } catch (err) {
    if (!(err instanceof GoAddrError) || err.reason !== MISSING_PORT) throw err;
    candidate = `${candidate}:${AgentDefaults.BIND_PORT}`;
  }
  return resolveTcpAddr(candidate, lookup);
}

async function checkAddr(
  address: string,
  code: ConfigErrorCode,
  label: string,
  lookup: HostLookup | undefined,
): Promise<ResolvedAddr> {
  try {
    return await resolveAgentAddr(address, lookup);
  } catch (err) {
    if (err instanceof GoAddrError || err instanceof GoLookupError) {
      throw new ConfigError(code, `${label}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** Resolves `bindAddr`; `ConfigError` `Invalid bind address: …`. */
export function checkBindAddr(address: string, lookup?: HostLookup): Promise<ResolvedAddr> {
  return checkAddr(address, ConfigErrorCode.INVALID_BIND_ADDRESS, "Invalid bind address", lookup);
}

/** Resolves `advertiseAddr`; `ConfigError` `Invalid advertise address: …`. */
export function checkAdvertiseAddr(address: string, lookup?: HostLookup): Promise<ResolvedAddr> {
  return checkAddr(
    address,
    ConfigErrorCode.INVALID_ADVERTISE_ADDRESS,
    "Invalid advertise address",
    lookup,
  );
}

/** An address as Go's `TCPAddr.String()` prints it (banner `Bind addr`). */
export function formatResolvedAddr(addr: ResolvedAddr): string {
  return joinHostPort(addr.ip, addr.port);
}

/**
 * Decodes `encryptKey` (standard base64, Go's decoder): empty input gives an empty key (no
 * encryption). `ConfigError` `Invalid encryption key: illegal base64 data at input byte N`.
 * The key length (16/24/32) is checked later by memberlist, as in Go.
 */
export function decodeEncryptKey(text: string): Uint8Array {
  try {
    return decodeGoBase64(text);
  } catch (err) {
    if (err instanceof GoBase64Error) {
      throw new ConfigError(
        ConfigErrorCode.INVALID_ENCRYPT_KEY,
        `Invalid encryption key: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Checks the timing profile; `ConfigError` `Unknown profile: X`. */
export function checkProfile(profile: string): Profile {
  if ((PROFILES as readonly string[]).includes(profile)) return profile as Profile;
  throw new ConfigError(ConfigErrorCode.UNKNOWN_PROFILE, `Unknown profile: ${profile}`);
}
