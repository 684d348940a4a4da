/**
 * Errors of the agent's start-up, and the translation of library errors into the texts Go serf
 * 0.9.4 prints (join failures, listener failures).
 */

import { JoinError, TransportError, TransportErrorCode } from "@serf-ts/memberlist";
import { SerfError } from "@serf-ts/wire";
import { formatMultiError } from "@serf-ts/wire/rpc";

/** Stable codes of `AgentError`. Append only. */
export const AgentErrorCode = {
  /** Interface / address problems found while setting up (`Interface 'x' has no addresses`). */
  SETUP_ADDRESS: "SERF_ERR_AGENT_SETUP_ADDRESS",
  /** Tags or keyring file problems: `Failed to setup the Serf agent: …`. */
  SETUP: "SERF_ERR_AGENT_SETUP",
  /** Serf could not start: `Failed to start the Serf agent: Error creating Serf: …`. */
  START: "SERF_ERR_AGENT_START",
  /** `Error starting mDNS listener: …`. */
  MDNS: "SERF_ERR_AGENT_MDNS",
  /** `Error starting RPC listener: …`. */
  RPC: "SERF_ERR_AGENT_RPC",
  /** Start join (`-join`) failed completely; the message is the join error. */
  START_JOIN: "SERF_ERR_AGENT_START_JOIN",
  /** Syslog could not be set up: `Syslog setup failed: …`. */
  SYSLOG: "SERF_ERR_AGENT_SYSLOG",
  /** `Error starting HTTP listener: …` (`http_addr`, serf-ts only). */
  HTTP: "SERF_ERR_AGENT_HTTP",
} as const;
export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

/**
 * A failed agent start. `message` is exactly what Go serf prints after the `==> ` prefix; the
 * agent command exits 1.
 */
export class AgentError extends SerfError {
  override readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "AgentError";
    this.code = code;
  }
}

/** The text of a thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Go's `%v` of a `[]string`: `[a b c]`. */
export function goStringSlice(values: readonly string[]): string {
  return `[${values.join(" ")}]`;
}

/** Go's texts of socket errnos (`syscall.Errno.Error()`). */
const ERRNO: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  ETIMEDOUT: "connection timed out",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "cannot assign requested address",
  EACCES: "permission denied",
};

/** Strips the port (and IPv6 brackets) of `ip:port`; other text is returned unchanged. */
function hostOf(addr: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(addr) ?? /^([^:]+):\d+$/.exec(addr);
  return m?.[1] ?? addr;
}

/**
 * One failed seed of a join as Go's memberlist words it:
 * `Failed to join 127.0.0.7: dial tcp 127.0.0.7:1: connect: connection refused` (host only;
 * Go's dial error texts).
 */
export function goJoinFailure(text: string): string {
  const m = /^Failed to join (\S+): ([\s\S]*)$/.exec(text);
  if (m === null) return text;
  const addr = m[1] ?? "";
  let cause = m[2] ?? "";
  const dial = /^dial (\S+): connect (E[A-Z]+)\b.*$/.exec(cause);
  const timeout = /^dial (\S+): timed out after .*$/.exec(cause);
  if (dial !== null && ERRNO[dial[2] ?? ""] !== undefined) {
    cause = `dial tcp ${dial[1]}: connect: ${ERRNO[dial[2] ?? ""]}`;
  } else if (timeout !== null) {
    cause = `dial tcp ${timeout[1]}: i/o timeout`;
  }
  return `Failed to join ${hostOf(addr)}: ${cause}`;
}

/** The error of a failed join as Go prints it (a go-multierror list), else the message. */
export function goJoinErrorText(err: unknown): string {
  if (err instanceof JoinError) {
    const errors = err.errors.length > 0 ? err.errors : [err.message];
    return formatMultiError(errors.map(goJoinFailure));
  }
  return errorText(err);
}

/** Node `listen`/`bind` failure → Go's `listen tcp 1.2.3.4:7946: bind: address already in use`. */
function goListenFailure(cause: unknown, ip: string, port: number): string | undefined {
  const c = cause as { code?: unknown; syscall?: unknown } | undefined;
  if (c === undefined || typeof c.code !== "string") return undefined;
  const reason = ERRNO[c.code];
  if (reason === undefined) return undefined;
  const proto = c.syscall === "bind" ? "UDP" : "TCP";
  const hostPort = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
  return (
    "Failed to create memberlist: Could not set up network transport: failed to obtain an " +
    `address: Failed to start ${proto} listener on "${ip}" port ${port}: ` +
    `listen ${proto.toLowerCase()} ${hostPort}: bind: ${reason}`
  );
}

/**
 * What Go prints after `Failed to start the Serf agent: Error creating Serf: ` for an error of
 * `Serf.create` (protocol range, listener, key errors keep their own texts).
 */
export function goSerfCreateErrorText(err: unknown, bindIp: string, bindPort: number): string {
  if (err instanceof TransportError && err.code === TransportErrorCode.BIND) {
    const text = goListenFailure(err.cause, bindIp, bindPort);
    if (text !== undefined) return text;
  }
  if (err instanceof TransportError && err.code === TransportErrorCode.ADVERTISE) {
    return `Failed to create memberlist: ${err.message}`;
  }
  return errorText(err);
}
