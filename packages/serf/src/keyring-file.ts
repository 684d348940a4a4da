/**
 * The keyring file (Go agent `-keyring-file`): a JSON array of base64 keys, primary first,
 * loaded at start and rewritten after every successful install/use/remove (mode 0600).
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { decodeKeyBase64, encodeKeyBase64 } from "@serf-ts/wire";

/** Reads a keyring file: a JSON array of base64 keys. @throws on I/O, JSON or key errors. */
export function readKeyringFile(path: string): Uint8Array[] {
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(parsed) || !parsed.every((k) => typeof k === "string")) {
    throw new Error(`keyring file ${path} must hold a JSON array of base64 keys`);
  }
  return parsed.map((k: string) => decodeKeyBase64(k));
}

/** Writes a keyring file the way Go does (indented JSON array, mode 0600). */
export function writeKeyringFile(path: string, keys: readonly Uint8Array[]): void {
  const text = JSON.stringify(keys.map(encodeKeyBase64), null, "  ");
  writeFileSync(path, text, { mode: 0o600 });
}

/** Whether a keyring file exists. */
export function keyringFileExists(path: string): boolean {
  return existsSync(path);
}
