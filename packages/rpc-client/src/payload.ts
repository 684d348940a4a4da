/**
 * Payloads of user events, queries and query responses: a `string` (sent as its UTF-8 bytes)
 * or a `Uint8Array` (sent as is, e.g. a `Buffer`). Anything else is a `TypeError` at the call,
 * never a silently mis-encoded payload (a plain-JS caller passing a string used to send zeros).
 */

/** What `userEvent`, `query` and `respond` accept as a payload. */
export type PayloadInput = string | Uint8Array;

const utf8 = new TextEncoder();

/**
 * The bytes to send for `value`; `null`/`undefined` mean "no payload". Throws `TypeError`
 * naming `what` (e.g. `userEvent payload`) for any other type.
 */
export function payloadBytes(value: unknown, what: string): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  const got = typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
  throw new TypeError(`${what} must be a string or a Uint8Array, got ${got}`);
}
