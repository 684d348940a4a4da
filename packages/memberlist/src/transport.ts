/**
 * The network seen by a memberlist driver, split like Go memberlist's `Transport` into a
 * best-effort **packet plane** (UDP datagrams: may be lost, duplicated or reordered) and a
 * reliable **stream plane** (TCP connections: one request and one optional reply each).
 *
 * Addresses are plain `"ip:port"` strings (IPv6 in brackets: `"[::1]:7946"`), exactly what Go
 * memberlist uses, so transports stay network neutral and addresses compare as strings.
 */

import {
  canonicalIp,
  formatIp,
  GoAddrError,
  joinHostPort,
  parseIp,
  splitHostPort,
} from "@serf-ts/wire";

/** `"ip:port"`; IPv6 hosts are bracketed (`"[::1]:7946"`). */
export type Address = string;

/** Receives one datagram. `receivedAtMs` is the transport clock's time of arrival. */
export type PacketHandler = (bytes: Uint8Array, from: Address, receivedAtMs: number) => void;

/** Best-effort datagram delivery. */
export interface PacketTransport {
  /** The address peers should use to reach this node (advertise address, bound port). */
  readonly localAddress: Address;
  /**
   * Sends one datagram. Best effort: loss, unreachable peers and local send errors are never
   * thrown (they may be logged by the implementation); a closed transport drops silently.
   */
  sendPacket(to: Address, bytes: Uint8Array): void;
  /** Installs the single packet handler (replaces any previous one). */
  onPacket(handler: PacketHandler): void;
}

/**
 * One reliable, ordered, bidirectional byte stream. Exactly one consumer reads it, either
 * with `read()` or by async iteration (which calls `read()`).
 */
export interface DuplexStream extends AsyncIterable<Uint8Array> {
  /**
   * The peer's address as the transport saw it. For TCP this is the kernel-chosen source
   * address of the dialer, **not** its advertise address: never identify a node by it.
   */
  readonly remoteAddress: Address;
  /** Writes bytes in order; resolves once handed to the OS. Rejects if the stream is closed. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * The next chunk of received bytes, or `null` at end of stream (the peer ended or closed it,
   * or `close()` was called locally). Rejects on a transport error (reset, timeout).
   */
  read(): Promise<Uint8Array | null>;
  /** Half-closes: no more writes; the peer reads end of stream after the written bytes. */
  end(): Promise<void>;
  /** Tears the stream down in both directions (idempotent). Pending reads resolve `null`. */
  close(): void;
  /** True once `close()` was called or both directions have finished. */
  readonly closed: boolean;
}

/** Options of `StreamTransport.dial`. */
export interface DialOptions {
  /** Give up connecting after this many milliseconds (rejects with `TransportError`). */
  readonly timeoutMs: number;
  /** Aborting rejects a pending dial. */
  readonly signal?: AbortSignal;
}

/** Receives one accepted stream. `from` is the stream's `remoteAddress`. */
export type StreamHandler = (stream: DuplexStream, from: Address) => void;

/** Reliable connection-oriented delivery. */
export interface StreamTransport {
  /** Opens a stream to `to`. Rejects with `TransportError` on refusal, timeout or abort. */
  dial(to: Address, opts: DialOptions): Promise<DuplexStream>;
  /** Installs the single inbound-stream handler (replaces any previous one). */
  onStream(handler: StreamHandler): void;
}

/** Both planes plus lifecycle. */
export interface Transport extends PacketTransport, StreamTransport {
  /** Stops listening, closes sockets and every open stream. Idempotent. */
  close(): Promise<void>;
}

/** Stable codes of `TransportError`. */
export const TransportErrorCode = {
  /** Bad address text. */
  ADDRESS: "SERF_ERR_TRANSPORT_ADDRESS",
  /** The peer refused or is unreachable (including partitions in memory networks). */
  UNREACHABLE: "SERF_ERR_TRANSPORT_UNREACHABLE",
  /** Dial or I/O timed out. */
  TIMEOUT: "SERF_ERR_TRANSPORT_TIMEOUT",
  /** The dial was aborted through its signal. */
  ABORTED: "SERF_ERR_TRANSPORT_ABORTED",
  /** The transport or stream is closed. */
  CLOSED: "SERF_ERR_TRANSPORT_CLOSED",
  /** Binding the local sockets failed. */
  BIND: "SERF_ERR_TRANSPORT_BIND",
  /** No address to advertise (a `0.0.0.0` bind on a host without a private address). */
  ADVERTISE: "SERF_ERR_TRANSPORT_ADVERTISE",
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Errors raised by transports; check `code`. */
export class TransportError extends Error {
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "TransportError";
  }
}

// ---------------------------------------------------------------------------------------------
// Address helpers: `@serf-ts/wire`'s Go `net` functions, throwing `TransportError`

export { isIPv4, isIPv6 } from "@serf-ts/wire";

/** A parsed address. `host` has no brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function badAddress(text: string, why: string): TransportError {
  return new TransportError(TransportErrorCode.ADDRESS, `invalid address "${text}": ${why}`);
}

function parsePort(text: string, full: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw badAddress(full, "port must be a number");
  const port = Number(text);
  if (port > 65535) throw badAddress(full, "port out of range");
  return port;
}

/**
 * Splits `"host:port"` / `"[v6]:port"` into host and port like Go `net.SplitHostPort`, with a
 * numeric port (0-65535) and a non-empty host unless bracketed. Throws `TransportError` (code
 * `ADDRESS`, Go's reason in the message) on malformed text; a bare IPv6 literal without
 * brackets is rejected (ambiguous).
 */
export function parseAddress(address: string): HostPort {
  let split: { host: string; port: string };
  try {
    split = splitHostPort(address);
  } catch (err) {
    if (err instanceof GoAddrError) throw badAddress(address, err.reason);
    throw err;
  }
  const { host, port } = split;
  if (host.length === 0 && !address.startsWith("[")) throw badAddress(address, "missing host");
  return { host, port: parsePort(port, address) };
}

/** Joins host and port, bracketing IPv6 hosts (`formatAddress("::1", 1)` → `"[::1]:1"`). */
export function formatAddress(host: string, port: number): Address {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw badAddress(`${host}:${port}`, "port out of range");
  }
  return joinHostPort(host, port);
}

/**
 * Like Go `JoinHostPort` after defaulting: `"host"` gets `defaultPort`, `"host:port"` and
 * `"[v6]:port"` are kept, a bare IPv6 literal gets brackets and the default port.
 */
export function withDefaultPort(address: string, defaultPort: number): Address {
  if (address.startsWith("[")) {
    return address.includes("]:") ? address : `${address}:${defaultPort}`;
  }
  const colons = address.split(":").length - 1;
  if (colons === 0) return formatAddress(address, defaultPort);
  if (colons > 1) return formatAddress(address, defaultPort); // bare IPv6 literal
  return address;
}

/**
 * IP text → raw bytes as memberlist puts them in messages: 4 bytes for IPv4, 16 for IPv6.
 * Throws `TransportError` (code `ADDRESS`) for anything else (host names included).
 */
export function ipToBytes(ip: string): Uint8Array {
  const bytes = parseIp(ip);
  if (bytes === undefined) throw badAddress(ip, "not an IP address");
  return bytes;
}

/**
 * Raw IP bytes → text, like Go `net.IP.String()`: 4 bytes and IPv4-mapped 16 bytes print as
 * dotted quads, other 16-byte values in RFC 5952 form. Throws for other lengths.
 */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw badAddress(`<${bytes.length} bytes>`, "IP must be 4 or 16 bytes");
  }
  return formatIp(bytes);
}

/** `ip bytes + port` → address text. */
export function addressFromBytes(ip: Uint8Array, port: number): Address {
  return formatAddress(ipFromBytes(ip), port);
}

/** Address text → `{ ip bytes, port }`. Throws if the host is not an IP literal. */
export function addressToBytes(address: Address): { ip: Uint8Array; port: number } {
  const { host, port } = parseAddress(address);
  return { ip: ipToBytes(host), port };
}

/** Normalises an address (IPv4-mapped IPv6 → IPv4, canonical IPv6 text); other hosts unchanged. */
export function normalizeAddress(address: Address): Address {
  const { host, port } = parseAddress(address);
  return formatAddress(canonicalIp(host) ?? host, port);
}
