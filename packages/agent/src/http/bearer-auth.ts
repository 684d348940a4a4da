/**
 * `Authorization: Bearer <rpc_auth>` for the HTTP API, compared in constant time (both sides
 * hashed to 32 bytes first, so neither the content nor the length of the key leaks through
 * timing).
 */

import { createHash, timingSafeEqual } from "node:crypto";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Checks `Authorization` headers against a key; an empty key lets every request through. */
export class BearerAuth {
  readonly #digest: Buffer | undefined;

  constructor(key: string) {
    this.#digest = key === "" ? undefined : digest(key);
  }

  /** Whether a key is required. */
  get enabled(): boolean {
    return this.#digest !== undefined;
  }

  /** Whether the `Authorization` header value carries the key. */
  allows(header: string | undefined): boolean {
    if (this.#digest === undefined) return true;
    const match = /^Bearer ([^\s]+)\s*$/i.exec(header ?? "");
    // Hash something even without a token, so a missing header costs the same.
    const given = digest(match?.[1] ?? "");
    return timingSafeEqual(given, this.#digest) && match !== null;
  }
}
