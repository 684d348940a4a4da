/**
 * @serf-ts/keygen: generate and validate Serf encryption keys.
 *
 * ```ts
 * import { generateKey, parseKey } from "@serf-ts/keygen";
 * const key = generateKey(); // "base64 of 32 random bytes", as `serf keygen` prints
 * parseKey(key); // Uint8Array(32); throws KeyError for bad input
 * ```
 *
 * @packageDocumentation
 */
export {
  GENERATED_KEY_BYTES,
  generateKey,
  isValidKey,
  parseKey,
  VALID_KEY_SIZES,
} from "./keygen.ts";
