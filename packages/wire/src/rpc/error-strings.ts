/**
 * Error strings of the agent RPC protocol, exactly as the Go agent and client write them
 * (rpc.md §8). They travel in the response header's `Error` field and are matched by clients
 * as plain strings, so the text (including case and odd wording) is protocol.
 */

/** Protocol-level errors of the agent (constants). */
export const RpcError = {
  /** Unknown command; the agent then closes the connection. */
  UNSUPPORTED_COMMAND: "Unsupported command",
  /** Handshake version other than 1; the connection stays open. */
  UNSUPPORTED_IPC_VERSION: "Unsupported IPC version",
  HANDSHAKE_ALREADY_PERFORMED: "Handshake already performed",
  /** Any command before the handshake; the agent then closes the connection. No body. */
  HANDSHAKE_REQUIRED: "Handshake required",
  MONITOR_ALREADY_EXISTS: "Monitor already exists",
  INVALID_EVENT_FILTER: "Invalid event filter",
  STREAM_EXISTS: "Stream with given sequence exists",
  NO_PENDING_QUERY: "No pending queries matching ID",
  /** A command before `auth` on an agent with an RPC key. No body, even for body commands. */
  AUTH_REQUIRED: "Authentication required",
  INVALID_AUTH_TOKEN: "Invalid authentication token",
} as const;
export type RpcError = (typeof RpcError)[keyof typeof RpcError];

/** Errors the Go client library reports itself (never sent on the wire). */
export const RpcClientError = {
  /** A call on a closed client, or pending calls when the connection ends. */
  CLIENT_CLOSED: "client closed",
  /** The connection ended before a stream's first reply. */
  STREAM_CLOSED: "Stream closed",
} as const;
export type RpcClientError = (typeof RpcClientError)[keyof typeof RpcClientError];

/** Command-level errors passed through from serf and memberlist (constants). */
export const SerfCommandError = {
  QUERY_RESERVED_PREFIX: "Queries cannot contain the '_serf_' prefix",
  USER_EVENT_SANE_LIMIT: "user event exceeds sane limit of 9216 bytes before encoding",
  /** Sic: "before encoding" although it is checked after. */
  ENCODED_USER_EVENT_SANE_LIMIT:
    "encoded user event exceeds sane limit of 9216 bytes before encoding",
  RESPONSE_ALREADY_SENT: "failed to respond to key query: response already sent",
  RESPONSE_PAST_DEADLINE: "failed to respond to key query: response is past the deadline",
  LEAVE_IN_PROGRESS: "Leave already in progress",
  LEAVE_TIMEOUT: "timeout while waiting for graceful leave",
  FORCE_LEAVE_TIMEOUT: "timed out broadcasting node removal",
  JOIN_AFTER_LEAVE: "Serf can't Join after Leave or Shutdown",
  FEATURE_NOT_SUPPORTED: "Feature not supported",
} as const;
export type SerfCommandError = (typeof SerfCommandError)[keyof typeof SerfCommandError];

/**
 * Go's `strings.ToUpper`: simple one-to-one case mapping per code point (JS `toUpperCase`
 * would turn `ß` into `SS`).
 */
function goToUpper(s: string): string {
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

/** `monitor` with an unknown level; `level` as the client sent it (it is upper-cased). */
export function unknownLogLevelError(level: string): string {
  return `Unknown log level: ${goToUpper(level)}`;
}

/** `event`: name + payload longer than `user_event_size_limit`. */
export function userEventLimitError(limit: number): string {
  return `user event exceeds configured limit of ${limit} bytes before encoding`;
}

/** `event`: the encoded event longer than `user_event_size_limit`. */
export function encodedUserEventLimitError(limit: number): string {
  return `encoded user event exceeds configured limit of ${limit} bytes after encoding`;
}

/** `query`: the encoded query longer than `query_size_limit`. */
export function queryLimitError(limit: number): string {
  return `query exceeds limit of ${limit} bytes`;
}

/** `respond`: a payload longer than `query_response_size_limit`. */
export function responseLimitError(limit: number): string {
  return `failed to respond to key query: response exceeds limit of ${limit} bytes`;
}

/** `tags`: the encoded tags longer than memberlist's meta limit (512). */
export function tagsLimitError(limit = 512): string {
  return `Encoded length of tags exceeds limit of ${limit} bytes`;
}

/** Key commands: `failed` of `total` nodes reported failure. */
export function keyFailureError(failed: number, total: number): string {
  return `${failed}/${total} nodes reported failure`;
}

/** Key commands: only `answered` of `total` nodes answered. */
export function keyPartialSuccessError(answered: number, total: number): string {
  return `${answered}/${total} nodes reported success`;
}

/** Go's base64 decoder error for a bad key. */
export function illegalBase64Error(offset: number): string {
  return `illegal base64 data at input byte ${offset}`;
}

/** One failed address of a `join` (`host` without the port, as Go prints it). */
export function joinFailure(host: string, cause: string): string {
  return `Failed to join ${host}: ${cause}`;
}

/**
 * go-multierror's list format, used for `join` errors: e.g.
 * `"1 error occurred:\n\t* Failed to join …\n\n"`.
 */
export function formatMultiError(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  const points = errors.map((e) => `* ${e}`).join("\n\t");
  return `${errors.length} errors occurred:\n\t${points}\n\n`;
}
