/**
 * Internal building blocks of the RPC codecs: a codec per Go struct (writes the Go field names
 * in Go's sorted order, reads them with Go's lenient decoding rules) and range-checked field
 * writers/readers for the Go types the RPC structs use.
 */

import { DecodeError, EncodeError } from "../errors.ts";
import { decodeMsgpack, describeMsgValue, type MsgValue, utf8Decode } from "../msgpack/reader.ts";
import { StructReader } from "../msgpack/struct.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import type { StringMap } from "./types.ts";

/** Encodes and decodes one Go struct (a msgpack map keyed by Go field names). */
export interface StructCodec<T> {
  /** Go type name, for error messages. */
  readonly name: string;
  /** Writes the struct: a map header and the fields in Go's sorted key order. */
  write(w: MsgpackWriter, value: T): void;
  /** Reads the struct from a decoded value (missing fields are zero values). */
  read(r: StructReader): T;
}

export { INT32_MAX, INT32_MIN, UINT8_MAX, UINT16_MAX, writeUint } from "../msgpack/checked.ts";
export const SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** A writer in the agent RPC dialect (str8 for strings, bin for `[]byte`). */
export function rpcWriter(): MsgpackWriter {
  return new MsgpackWriter("rpc");
}

/** Encodes one value with `codec`. */
export function encodeStruct<T>(codec: StructCodec<T>, value: T): Uint8Array {
  const w = rpcWriter();
  codec.write(w, value);
  return w.finish();
}

/** Decodes one complete msgpack object (e.g. a frame of `RpcFrameReader`) with `codec`. */
export function decodeStruct<T>(codec: StructCodec<T>, frame: Uint8Array): T {
  return readStruct(codec, decodeMsgpack(frame), codec.name);
}

/** Reads a decoded value with `codec`; `null` reads as the zero struct (as Go does). */
export function readStruct<T>(codec: StructCodec<T>, value: MsgValue, typeName: string): T {
  return codec.read(new StructReader(value === null ? new Map() : value, typeName));
}

/** A signed Go integer within `[min, max]`. */
export function writeInt(
  w: MsgpackWriter,
  value: number,
  min: number,
  max: number,
  what: string,
): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new EncodeError(`${what}: ${value} is not an integer in [${min}, ${max}]`);
  }
  w.int(value);
}

/** A Go `map[string]string` in the map's iteration order. */
export function writeStringMap(w: MsgpackWriter, m: StringMap): void {
  w.mapHeader(m.size);
  for (const [k, v] of m) w.str(k).str(v);
}

/** A Go `[]string` (written as an array, also when empty). */
export function writeStringArray(w: MsgpackWriter, a: readonly string[]): void {
  w.arrayHeader(a.length);
  for (const s of a) w.str(s);
}

const NS_PER_MS = 1_000_000;
const INT64_LIMIT = 2 ** 63;

/** A Go `time.Duration` (int64 nanoseconds) from milliseconds. */
export function writeDurationMs(w: MsgpackWriter, ms: number, what: string): void {
  if (!Number.isFinite(ms)) throw new EncodeError(`${what}: ${ms} ms is not a finite duration`);
  const ns = Math.round(ms * NS_PER_MS);
  if (ns >= INT64_LIMIT || ns < -INT64_LIMIT) {
    throw new EncodeError(`${what}: ${ms} ms is outside the int64 nanosecond range`);
  }
  w.int(Number.isSafeInteger(ns) ? ns : BigInt(ns));
}

/**
 * A Go `time.Duration` field (int64 nanoseconds, any integer encoding) as milliseconds.
 * Exact for durations below 2^51 ns (26 days); larger ones lose sub-millisecond precision.
 */
export function readDurationMs(r: StructReader, name: string): number {
  const v = r.fields.get(name);
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v / NS_PER_MS;
  if (typeof v === "bigint" && v >= -(1n << 63n) && v < 1n << 63n) {
    return Number(v) / NS_PER_MS;
  }
  throw new DecodeError(`${r.typeName}.${name}: expected an int64 duration, got ${describe(v)}`);
}

/** A Go `map[string]int` (`null` for nil). */
export function readIntMapOrNull(r: StructReader, name: string): Map<string, number> | null {
  const v = r.fields.get(name);
  if (v === undefined || v === null) return null;
  if (!(v instanceof Map)) {
    throw new DecodeError(`${r.typeName}.${name}: expected a map, got ${describe(v)}`);
  }
  const out = new Map<string, number>();
  for (const [k, x] of v) {
    if (x === null) out.set(k, 0);
    else if (typeof x === "number" && Number.isInteger(x)) out.set(k, x);
    else {
      throw new DecodeError(`${r.typeName}.${name}[${k}]: expected an integer, got ${describe(x)}`);
    }
  }
  return out;
}

/** A Go `[]float64` (`null` for nil; integers accepted). */
export function readFloatArrayOrNull(r: StructReader, name: string): number[] | null {
  const v = r.fields.get(name);
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) {
    throw new DecodeError(`${r.typeName}.${name}: expected an array, got ${describe(v)}`);
  }
  return v.map((x) => {
    if (typeof x === "number") return x;
    if (typeof x === "bigint") return Number(x);
    if (x === null) return 0;
    throw new DecodeError(
      `${r.typeName}.${name}: expected an array of numbers, got ${describe(x)}`,
    );
  });
}

/** A Go `map[string]string` decoded from a bare value (`null` and absent read as empty). */
export function readStringMapValue(v: MsgValue | undefined, what: string): Map<string, string> {
  if (v === undefined || v === null) return new Map();
  if (!(v instanceof Map)) throw new DecodeError(`${what}: expected a map, got ${describe(v)}`);
  const out = new Map<string, string>();
  for (const [k, x] of v) {
    if (x === null) out.set(k, "");
    else if (x instanceof Uint8Array) out.set(k, utf8Decode(x));
    else throw new DecodeError(`${what}[${k}]: expected a string, got ${describe(x)}`);
  }
  return out;
}

function describe(v: MsgValue): string {
  return describeMsgValue(v);
}
