/**
 * Dialing the agent: `host:port` parsing with Go's `net.SplitHostPort` (`@serf-ts/wire`'s), and
 * errors worded like Go's `net.Dial` errors (what `serf` prints after `Error connecting to Serf
 * agent: `).
 */

import { connect, isIP, type Socket } from "node:net";
import { GoAddrError, joinHostPort, splitHostPort } from "@serf-ts/wire";
import { RpcConnectError } from "./errors.ts";

/** The agent's default RPC address (and the Go CLI's default `-rpc-addr`). */
export const DEFAULT_RPC_ADDR = "127.0.0.1:7373";

/** A parsed `host:port`. */
export interface RpcAddress {
  /** Host name or IP, without IPv6 brackets; `""` means the local system. */
  readonly host: string;
  readonly port: number;
}

function dialError(message: string, errno?: string, cause?: unknown): RpcConnectError {
  const options: { cause?: unknown; errno?: string } = {};
  if (errno !== undefined) options.errno = errno;
  if (cause !== undefined) options.cause = cause;
  return new RpcConnectError(message, options);
}

/**
 * Splits `host:port` like Go (`[v6]:port` for IPv6). Throws `RpcConnectError` with Go's text,
 * e.g. `dial tcp: address 127.0.0.1: missing port in address`.
 */
export function parseRpcAddress(addr: string): RpcAddress {
  if (addr === "") throw dialError("dial tcp: missing address");
  let parts: { host: string; port: string };
  try {
    parts = splitHostPort(addr);
  } catch (err) {
    if (err instanceof GoAddrError) throw dialError(`dial tcp: address ${addr}: ${err.reason}`);
    throw err;
  }
  const { host, port: portText } = parts;
  if (!/^[0-9]+$/.test(portText)) {
    // Go looks service names up (`tcp/http`); numeric ports are all the agent ever uses.
    throw dialError(`dial tcp: address tcp/${portText}: unknown port`);
  }
  const port = Number(portText);
  if (port > 65535) throw dialError(`dial tcp: address ${portText}: invalid port`);
  return { host, port };
}

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connect: connection refused",
  ECONNRESET: "connect: connection reset by peer",
  EHOSTUNREACH: "connect: no route to host",
  ENETUNREACH: "connect: network is unreachable",
  EADDRNOTAVAIL: "connect: cannot assign requested address",
  EACCES: "connect: permission denied",
  EPERM: "connect: operation not permitted",
  ETIMEDOUT: "i/o timeout",
};

/** Go's wording of a failed dial. */
function describeDialFailure(err: NodeJS.ErrnoException, target: RpcAddress): RpcConnectError {
  const code = err.code ?? "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL") {
    return dialError(`dial tcp: lookup ${target.host}: no such host`, code, err);
  }
  const info = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where =
    info.address !== undefined
      ? joinHostPort(info.address, info.port ?? target.port)
      : joinHostPort(target.host, target.port);
  const text = CONNECT_ERRORS[code] ?? err.message;
  return dialError(`dial tcp ${where}: ${text}`, code === "" ? undefined : code, err);
}

/**
 * Opens the TCP connection (no handshake). Rejects with `RpcConnectError` (Go wording; a
 * timeout reads `dial tcp ADDR: i/o timeout`) or with `signal.reason` when aborted.
 */
export function dial(addr: string, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  let target: RpcAddress;
  try {
    target = parseRpcAddress(addr);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const host = target.host === "" ? "localhost" : target.host;
    const socket = connect({ host, port: target.port, noDelay: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    const onConnect = (): void => {
      done();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      done();
      socket.destroy();
      reject(describeDialFailure(err, target));
    };
    const onAbort = (): void => {
      done();
      socket.destroy();
      reject(signal?.reason);
    };
    socket.once("connect", onConnect);
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    timer = setTimeout(() => {
      done();
      socket.destroy();
      const where = isIP(host) !== 0 ? joinHostPort(host, target.port) : addr;
      reject(dialError(`dial tcp ${where}: i/o timeout`, "ETIMEDOUT"));
    }, timeoutMs);
  });
}
