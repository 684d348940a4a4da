/**
 * Errors of the RPC client. All extend `SerfError` from `@serf-ts/wire`, so `err.code` (or
 * `isSerfError`) works across package copies; `err.message` is always the text the Go client
 * would print (the agent's error string, `client closed`, `Stream closed`, Go's dial errors).
 */

import { SerfError } from "@serf-ts/wire";

/** Stable codes of the client's errors (append only). */
export const RpcClientErrorCode = {
  /** The agent answered with a non-empty `Error` (see `RpcResponseError`). */
  RESPONSE: "SERF_ERR_RPC_RESPONSE",
  /** The connection is closed (locally, by the agent, or after a failure). */
  CLOSED: "SERF_ERR_RPC_CLOSED",
  /** A call or the connect did not finish in time. */
  TIMEOUT: "SERF_ERR_RPC_TIMEOUT",
  /** The agent sent bytes that do not decode; the connection is dropped (framing lost). */
  PROTOCOL: "SERF_ERR_RPC_PROTOCOL",
  /** The TCP connection could not be established. */
  CONNECT: "SERF_ERR_RPC_CONNECT",
} as const;
export type RpcClientErrorCode = (typeof RpcClientErrorCode)[keyof typeof RpcClientErrorCode];

function hasCode(value: unknown, code: string): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { code?: unknown }).code === code &&
    value instanceof SerfError
  );
}

/**
 * The agent answered a request with a non-empty `Error`. `message` and `error` are the agent's
 * string, verbatim (compare with the constants of `RpcError` / `SerfCommandError` from
 * `@serf-ts/wire/rpc`). For commands whose reply body is sent "always" (join, key commands,
 * ...) `body` holds the decoded body that came with the error, e.g. the per-node `messages`
 * of a `KeyResponse` or the `num` of a partially failed join.
 */
export class RpcResponseError<B = unknown> extends SerfError {
  /** The agent's `Error` string. */
  readonly error: string;
  /** The command that failed. */
  readonly command: string;
  /** The reply body sent with the error, if the command has one. */
  readonly body: B | undefined;
  constructor(command: string, error: string, body?: B) {
    super(RpcClientErrorCode.RESPONSE, error);
    this.name = "RpcResponseError";
    this.error = error;
    this.command = command;
    this.body = body;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(value, RpcClientErrorCode.RESPONSE);
  }
}

/**
 * The connection is gone. `message` is `client closed` for calls (as the Go client says) and
 * `Stream closed` for a stream whose first reply never came; `cause` holds the socket error or
 * protocol error that ended the connection, if any.
 */
export class RpcClosedError extends SerfError {
  constructor(message = "client closed", options?: { cause?: unknown }) {
    super(RpcClientErrorCode.CLOSED, message, options);
    this.name = "RpcClosedError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(value, RpcClientErrorCode.CLOSED);
  }
}

/** A call (or the connect/handshake) took longer than its `timeoutMs`. */
export class RpcTimeoutError extends SerfError {
  constructor(message: string) {
    super(RpcClientErrorCode.TIMEOUT, message);
    this.name = "RpcTimeoutError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(value, RpcClientErrorCode.TIMEOUT);
  }
}

/**
 * The agent sent something the client cannot decode. A broken frame ends the connection (the
 * msgpack stream cannot be resynchronised); an undecodable body only fails its own call.
 */
export class RpcProtocolError extends SerfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(RpcClientErrorCode.PROTOCOL, message, options);
    this.name = "RpcProtocolError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(value, RpcClientErrorCode.PROTOCOL);
  }
}

/**
 * The TCP connection could not be made. `message` reads like Go's dial errors, e.g.
 * `dial tcp 127.0.0.1:7373: connect: connection refused`, so CLIs print what Go serf prints.
 */
export class RpcConnectError extends SerfError {
  /** The Node.js error code (`ECONNREFUSED`, ...), if any. */
  readonly errno: string | undefined;
  constructor(message: string, options?: { cause?: unknown; errno?: string }) {
    super(RpcClientErrorCode.CONNECT, message, options);
    this.name = "RpcConnectError";
    this.errno = options?.errno;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasCode(value, RpcClientErrorCode.CONNECT);
  }
}
