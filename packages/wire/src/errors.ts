/**
 * Typed errors with stable string codes. Check `err.code` (or `isSerfError`) rather than
 * `instanceof` when two copies of the package may be installed.
 */

const BRAND = Symbol.for("@serf-ts/wire/SerfError");

/** Stable error codes. Append only: callers match on these strings. */
export const ErrorCode = {
  /** Bytes that do not decode: truncated, malformed, over a bound, wrong type. */
  DECODE: "SERF_ERR_DECODE",
  /** Ciphertext that no installed key opens, or a malformed encrypted payload. */
  DECRYPT: "SERF_ERR_DECRYPT",
  /** A key of the wrong size or encoding, or a keyring operation that is not allowed. */
  KEY: "SERF_ERR_KEY",
  /** A value that cannot be encoded (too large, out of range). */
  ENCODE: "SERF_ERR_ENCODE",
  /** Malformed `host:port` text (Go `*net.AddrError`). */
  ADDRESS: "SERF_ERR_ADDRESS",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error thrown by `@serf-ts/*` packages. */
export class SerfError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "SerfError";
    Object.defineProperty(this, BRAND, { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && BRAND in value;
  }
}

/** Input bytes that cannot be decoded. The only error a decoder throws. */
export class DecodeError extends SerfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DECODE, message, options);
    this.name = "DecodeError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSerfError(value) && value.code === ErrorCode.DECODE;
  }
}

/** A value that cannot be encoded. */
export class EncodeError extends SerfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ENCODE, message, options);
    this.name = "EncodeError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSerfError(value) && value.code === ErrorCode.ENCODE;
  }
}

/** An encrypted payload that cannot be opened with any installed key. */
export class DecryptError extends SerfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DECRYPT, message, options);
    this.name = "DecryptError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSerfError(value) && value.code === ErrorCode.DECRYPT;
  }
}

/** A bad key or a keyring operation that is not allowed. */
export class KeyError extends SerfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KEY, message, options);
    this.name = "KeyError";
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSerfError(value) && value.code === ErrorCode.KEY;
  }
}

/** True for any error thrown by a `@serf-ts/*` package, across package copies. */
export function isSerfError(value: unknown): value is SerfError {
  return typeof value === "object" && value !== null && BRAND in value;
}
