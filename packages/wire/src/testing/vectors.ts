/**
 * Test helpers: loading the captured interop vectors (`packages/wire/test/vectors/*.json`, a copy
 * of `shared/protocol/vectors/`) and hex conversion. The directory is `SERF_TS_VECTORS_DIR` when
 * set, else the copy inside this repository.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A parsed JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: Json;
}

/** One vector file. */
export interface VectorFile {
  /** File name without `.json`, e.g. `udp-ping`. */
  readonly name: string;
  readonly path: string;
  readonly data: JsonObject;
}

/**
 * Absolute path of the vectors directory: `SERF_TS_VECTORS_DIR` when set, else the wire package's
 * `test/vectors/` (the same two levels up from `src/testing/` and from `dist/testing/`). Throws
 * when it is missing, so vector tests cannot pass vacuously.
 */
export function vectorsDir(): string {
  const env = process.env.SERF_TS_VECTORS_DIR;
  if (env !== undefined && env !== "") return env;
  const dir = fileURLToPath(new URL("../../test/vectors/", import.meta.url));
  if (!existsSync(dir)) {
    throw new Error(`no interop vectors at ${dir}; set SERF_TS_VECTORS_DIR`);
  }
  return dir;
}

/**
 * Every vector file whose name starts with one of `prefixes` (all when none given), sorted by
 * name. Throws when the directory holds no vector at all, so tests cannot pass vacuously.
 */
export function loadVectors(...prefixes: string[]): VectorFile[] {
  const dir = vectorsDir();
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  if (names.length === 0) throw new Error(`no vectors in ${dir}`);
  return names
    .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)))
    .map((f) => {
      const path = join(dir, f);
      const data = JSON.parse(readFileSync(path, "utf8")) as Json;
      return { name: f.slice(0, -".json".length), path, data: asObject(data, f) };
    });
}

/** The vector file `<name>.json`; throws when it is missing, so a test cannot pass vacuously. */
export function loadVector(name: string): VectorFile {
  const file = loadVectors(name).find((v) => v.name === name);
  if (file === undefined) throw new Error(`no vector ${name}.json in ${vectorsDir()}`);
  return file;
}

/** Bytes of a hex string (even length, case-insensitive). */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not a hex string: ${hex.slice(0, 40)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Concatenation of byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

// Typed access to vector JSON: each throws with the path when the shape is not as expected.

export function asObject(v: Json | undefined, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new Error(`${what}: expected an object`);
  }
  return v as JsonObject;
}

export function asArray(v: Json | undefined, what: string): Json[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected an array`);
  return v;
}

export function getObject(o: JsonObject, key: string): JsonObject {
  return asObject(o[key], key);
}

export function getArray(o: JsonObject, key: string): Json[] {
  return asArray(o[key], key);
}

export function getString(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`${key}: expected a string`);
  return v;
}

export function getNumber(o: JsonObject, key: string): number {
  const v = o[key];
  if (typeof v !== "number") throw new Error(`${key}: expected a number`);
  return v;
}

export function getBoolean(o: JsonObject, key: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") throw new Error(`${key}: expected a boolean`);
  return v;
}

/** The bytes of a `*_hex` string field. */
export function getHex(o: JsonObject, key: string): Uint8Array {
  return hexToBytes(getString(o, key));
}

/** A Go `[]byte` field recorded as `{"hex": …}`; `null` for a recorded nil. */
export function getBytesField(o: JsonObject, key: string): Uint8Array | null {
  const v = o[key];
  if (v === null) return null;
  return getHex(asObject(v, key), "hex");
}
