import { randomBytes } from "node:crypto";
import { decodeKeyBase64, KEY_SIZES, KeyError } from "@serf-ts/wire";

/** Key sizes AES-GCM accepts: AES-128, AES-192 and AES-256. */
export const VALID_KEY_SIZES: readonly number[] = KEY_SIZES;

/** Size of the keys `serf keygen` generates (AES-256). */
export const GENERATED_KEY_BYTES = 32;

/**
 * A new random encryption key, as `serf keygen` prints it: standard base64 (with padding)
 * of 32 bytes from the operating system's CSPRNG.
 */
export function generateKey(random: (n: number) => Uint8Array = randomBytes): string {
  const key = random(GENERATED_KEY_BYTES);
  if (key.length !== GENERATED_KEY_BYTES) {
    throw new KeyError(`random source returned ${key.length} bytes, want ${GENERATED_KEY_BYTES}`);
  }
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64");
}

/**
 * Decodes and validates a key given as base64 text (what `-encrypt`, keyring files and
 * `serf keys` take). Throws `KeyError` with a message naming the problem.
 */
export function parseKey(text: string): Uint8Array {
  return decodeKeyBase64(text.trim());
}

/** True when `text` is a usable key. */
export function isValidKey(text: string): boolean {
  try {
    parseKey(text);
    return true;
  } catch {
    return false;
  }
}
