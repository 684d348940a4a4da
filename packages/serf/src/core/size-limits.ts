/**
 * Send-side size limits of serf messages (Go `UserEvent`, `Query`, `Query.Respond`,
 * `relayResponse`), with Go's error texts. Sizes of encoded messages include the serf type
 * byte.
 */

import { SerfError } from "@serf-ts/wire";

/** Error code of {@link SizeLimitError}. */
export const SIZE_LIMIT_ERROR_CODE = "SERF_ERR_SIZE_LIMIT";

/** A user event, query or response that is too large to send. */
export class SizeLimitError extends SerfError {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;
  /** The offending size, in bytes. */
  readonly size: number;
  constructor(message: string, size: number, limit: number) {
    super(SIZE_LIMIT_ERROR_CODE, message);
    this.name = "SizeLimitError";
    this.size = size;
    this.limit = limit;
  }
}

/** Go serf `UserEventSizeLimit` constant: the hard cap, 9 KiB. */
export const USER_EVENT_SIZE_HARD_LIMIT = 9 * 1024;
/** Default configured `UserEventSizeLimit`. */
export const DEFAULT_USER_EVENT_SIZE_LIMIT = 512;
/** Default `QuerySizeLimit`. */
export const DEFAULT_QUERY_SIZE_LIMIT = 1024;
/** Default `QueryResponseSizeLimit`. */
export const DEFAULT_QUERY_RESPONSE_SIZE_LIMIT = 1024;

/**
 * Checks `len(name) + len(payload)` (UTF-8 bytes of the name) before encoding; throws as Go
 * returns its error.
 */
export function checkUserEventSizeBeforeEncoding(
  nameBytes: number,
  payloadBytes: number,
  limit: number = DEFAULT_USER_EVENT_SIZE_LIMIT,
): void {
  const size = nameBytes + payloadBytes;
  if (size > limit) {
    throw new SizeLimitError(
      `user event exceeds configured limit of ${limit} bytes before encoding`,
      size,
      limit,
    );
  }
  if (size > USER_EVENT_SIZE_HARD_LIMIT) {
    throw new SizeLimitError(
      `user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes before encoding`,
      size,
      USER_EVENT_SIZE_HARD_LIMIT,
    );
  }
}

/** Checks the encoded user event (type byte included). */
export function checkEncodedUserEventSize(
  encodedBytes: number,
  limit: number = DEFAULT_USER_EVENT_SIZE_LIMIT,
): void {
  if (encodedBytes > limit) {
    throw new SizeLimitError(
      `encoded user event exceeds configured limit of ${limit} bytes after encoding`,
      encodedBytes,
      limit,
    );
  }
  if (encodedBytes > USER_EVENT_SIZE_HARD_LIMIT) {
    // Go's text really says "before encoding" here.
    throw new SizeLimitError(
      `encoded user event exceeds sane limit of ${USER_EVENT_SIZE_HARD_LIMIT} bytes before encoding`,
      encodedBytes,
      USER_EVENT_SIZE_HARD_LIMIT,
    );
  }
}

/** Checks an encoded query (type byte included) against `QuerySizeLimit`. */
export function checkQuerySize(
  encodedBytes: number,
  limit: number = DEFAULT_QUERY_SIZE_LIMIT,
): void {
  if (encodedBytes > limit) {
    throw new SizeLimitError(`query exceeds limit of ${limit} bytes`, encodedBytes, limit);
  }
}

/** Checks an encoded query response (type byte included) against `QueryResponseSizeLimit`. */
export function checkQueryResponseSize(
  encodedBytes: number,
  limit: number = DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
): void {
  if (encodedBytes > limit) {
    throw new SizeLimitError(`response exceeds limit of ${limit} bytes`, encodedBytes, limit);
  }
}

/** Checks an encoded relay message against `QueryResponseSizeLimit`. */
export function checkRelaySize(
  encodedBytes: number,
  limit: number = DEFAULT_QUERY_RESPONSE_SIZE_LIMIT,
): void {
  if (encodedBytes > limit) {
    throw new SizeLimitError(
      `relayed response exceeds limit of ${limit} bytes`,
      encodedBytes,
      limit,
    );
  }
}
