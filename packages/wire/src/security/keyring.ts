/**
 * The gossip encryption keyring: an ordered list of AES keys without duplicates whose first
 * element is the primary key. Encryption always uses the primary key; decryption tries every
 * key in order (see `aes-gcm.ts`).
 *
 * Error texts that Go serf/memberlist report to users (CLI, RPC key responses, agent start-up)
 * are reproduced exactly: "key size must be 16, 24 or 32 bytes", "Requested key is not in the
 * keyring", "Removing the primary key is not allowed", "illegal base64 data at input byte N".
 */

import { DecodeError, KeyError } from "../errors.ts";

/** Valid AES key sizes in bytes (AES-128, AES-192, AES-256). */
export const KEY_SIZES: readonly number[] = [16, 24, 32];

/** Throws `KeyError` unless `key` is 16, 24 or 32 bytes long. */
export function validateKey(key: Uint8Array): void {
  const n = key.length;
  if (n !== 16 && n !== 24 && n !== 32) {
    throw new KeyError("key size must be 16, 24 or 32 bytes");
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

function indexOfKey(keys: readonly Uint8Array[], key: Uint8Array): number {
  for (let i = 0; i < keys.length; i++) {
    if (bytesEqual(keys[i]!, key)) return i;
  }
  return -1;
}

/** An ordered keyring without duplicates; `keys()[0]` is the primary key. Never empty. */
export class Keyring {
  #keys: Uint8Array[];

  private constructor(keys: Uint8Array[]) {
    this.#keys = keys;
  }

  /**
   * Builds a keyring. The primary key is `primary` when given, else `keys[0]`; it is placed
   * first, followed by the remaining keys in order (duplicates are dropped). Every key must be
   * 16, 24 or 32 bytes. A keyring needs at least one key.
   */
  static create(keys: readonly Uint8Array[], primary?: Uint8Array): Keyring {
    const first = primary ?? keys[0];
    if (first === undefined || first.length === 0) {
      throw new KeyError("Empty primary key not allowed");
    }
    const ring = new Keyring([]);
    ring.install(first);
    for (const key of keys) ring.install(key);
    return ring;
  }

  /** Number of installed keys (at least 1). */
  get size(): number {
    return this.#keys.length;
  }

  /** A copy of the primary key (the one used for encryption). */
  get primaryKey(): Uint8Array {
    return this.#keys[0]!.slice();
  }

  /** Copies of all installed keys, primary first. */
  keys(): Uint8Array[] {
    return this.#keys.map((k) => k.slice());
  }

  /** True when `key` is installed. */
  has(key: Uint8Array): boolean {
    return indexOfKey(this.#keys, key) >= 0;
  }

  /** Installs `key` at the end of the ring. Installing an installed key is a no-op. */
  install(key: Uint8Array): void {
    validateKey(key);
    if (indexOfKey(this.#keys, key) >= 0) return;
    this.#keys.push(key.slice());
  }

  /** Makes an installed key the primary key; the other keys keep their relative order. */
  use(key: Uint8Array): void {
    const i = indexOfKey(this.#keys, key);
    if (i < 0) throw new KeyError("Requested key is not in the keyring");
    if (i === 0) return;
    const [chosen] = this.#keys.splice(i, 1);
    this.#keys.unshift(chosen!);
  }

  /** Removes a key. Removing the primary key throws; removing an absent key is a no-op. */
  remove(key: Uint8Array): void {
    const i = indexOfKey(this.#keys, key);
    if (i === 0) throw new KeyError("Removing the primary key is not allowed");
    if (i > 0) this.#keys.splice(i, 1);
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE_MAP: Int8Array = (() => {
  const map = new Int8Array(256).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) map[ALPHABET.charCodeAt(i)] = i;
  return map;
})();
const PAD = 0x3d; // "="
const LF = 0x0a;
const CR = 0x0d;

function corrupt(offset: number): DecodeError {
  return new DecodeError(`illegal base64 data at input byte ${offset}`);
}

/**
 * Decodes standard base64 (RFC 4648 alphabet, `=` padding required) with the same acceptance
 * rules and error offsets as Go's `base64.StdEncoding.DecodeString`: CR and LF are skipped,
 * non-zero trailing bits are tolerated, and errors read "illegal base64 data at input byte N"
 * where N is a UTF-8 byte offset. Throws `DecodeError`.
 */
export function decodeBase64Std(s: string): Uint8Array {
  const src = new TextEncoder().encode(s);
  const len = src.length;
  const out = new Uint8Array(Math.floor(len / 4) * 3);
  let n = 0;
  let si = 0;
  const quantum = [0, 0, 0, 0];
  for (;;) {
    quantum.fill(0);
    let got = 4;
    for (let j = 0; j < 4; j++) {
      if (si === len) {
        if (j === 0) return out.slice(0, n);
        // Padding is mandatory: an incomplete final quantum is reported at its start.
        throw corrupt(si - j);
      }
      const c = src[si++]!;
      const v = DECODE_MAP[c]!;
      if (v >= 0) {
        quantum[j] = v;
        continue;
      }
      if (c === LF || c === CR) {
        j--;
        continue;
      }
      if (c !== PAD || j < 2) throw corrupt(si - 1);
      if (j === 2) {
        // A single data byte needs "==": the second "=" must follow (newlines aside).
        while (si < len && (src[si] === LF || src[si] === CR)) si++;
        if (si === len) throw corrupt(len);
        if (src[si] !== PAD) throw corrupt(si - 1);
        si++;
      }
      while (si < len && (src[si] === LF || src[si] === CR)) si++;
      if (si < len) throw corrupt(si);
      got = j;
      break;
    }
    const v = (quantum[0]! << 18) | (quantum[1]! << 12) | (quantum[2]! << 6) | quantum[3]!;
    out[n++] = (v >>> 16) & 0xff;
    if (got >= 3) out[n++] = (v >>> 8) & 0xff;
    if (got === 4) out[n++] = v & 0xff;
    if (got < 4) return out.slice(0, n);
  }
}

/**
 * Decodes a base64 key (standard alphabet, padded) and checks its size. Throws `KeyError`
 * with Go's texts: "illegal base64 data at input byte N" for bad base64 (checked first), then
 * "key size must be 16, 24 or 32 bytes".
 */
export function decodeKeyBase64(s: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = decodeBase64Std(s);
  } catch (err) {
    if (err instanceof DecodeError) throw new KeyError(err.message, { cause: err });
    throw err;
  }
  validateKey(key);
  return key;
}

/** Encodes a key as standard padded base64 (44 characters for a 32-byte key). */
export function encodeKeyBase64(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
}
