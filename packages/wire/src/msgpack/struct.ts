import { DecodeError } from "../errors.ts";
import { describeMsgValue, type MsgMap, type MsgValue, utf8Decode } from "./reader.ts";

/**
 * Reads the fields of a decoded Go struct with Go's decoding rules: keys match the Go field
 * name exactly, unknown keys are ignored, a missing key or nil gives the zero value, integer
 * fields reject floats and out-of-range values, `[]byte` fields accept str, bin or an array
 * of small integers, float fields accept integers, bool fields accept 0/1.
 */
export class StructReader {
  readonly fields: MsgMap;
  readonly typeName: string;

  constructor(value: MsgValue, typeName: string) {
    if (!(value instanceof Map)) {
      throw new DecodeError(`${typeName}: expected a map, got ${describeMsgValue(value)}`);
    }
    this.fields = value;
    this.typeName = typeName;
  }

  has(name: string): boolean {
    const v = this.fields.get(name);
    return v !== undefined && v !== null;
  }

  private fail(name: string, what: string, v: MsgValue): never {
    throw new DecodeError(`${this.typeName}.${name}: expected ${what}, got ${describeMsgValue(v)}`);
  }

  /** A Go `string`. */
  str(name: string): string {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return "";
    if (v instanceof Uint8Array) return utf8Decode(v);
    return this.fail(name, "a string", v);
  }

  /** A Go `[]byte` (`null` for nil). */
  bytesOrNull(name: string): Uint8Array | null {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return null;
    if (v instanceof Uint8Array) return v;
    if (Array.isArray(v)) {
      const out = new Uint8Array(v.length);
      v.forEach((x, i) => {
        if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 255) {
          this.fail(name, "a byte array", v);
        }
        out[i] = x;
      });
      return out;
    }
    return this.fail(name, "bytes", v);
  }

  /** A Go `[]byte`, nil read as empty. */
  bytes(name: string): Uint8Array {
    return this.bytesOrNull(name) ?? new Uint8Array(0);
  }

  /** An unsigned Go integer no larger than `max` (default: uint32). */
  uint(name: string, max: number = 0xffffffff): number {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return 0;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max) return v;
    if (typeof v === "bigint" && max === Number.MAX_SAFE_INTEGER) {
      throw new DecodeError(`${this.typeName}.${name}: ${v} is beyond 2^53`);
    }
    return this.fail(name, `an unsigned integer <= ${max}`, v);
  }

  /** A Go uint64 that must stay within 2^53 (Lamport times, IDs). */
  uint64(name: string): number {
    return this.uint(name, Number.MAX_SAFE_INTEGER);
  }

  /** A signed Go integer (int, int32, int64) within the safe integer range. */
  int(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return 0;
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v;
    return this.fail(name, `an integer in [${min}, ${max}]`, v);
  }

  /** A Go `float64` (integers accepted). */
  float(name: string): number {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return 0;
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    return this.fail(name, "a number", v);
  }

  /** A Go `bool` (0/1 accepted). */
  bool(name: string): boolean {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return false;
    if (typeof v === "boolean") return v;
    if (v === 0 || v === 1) return v === 1;
    return this.fail(name, "a bool", v);
  }

  /** A nested struct, or `undefined` when absent or nil. */
  struct(name: string, typeName: string): StructReader | undefined {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return undefined;
    return new StructReader(v, `${this.typeName}.${typeName}`);
  }

  /** A Go slice (`[]` when absent or nil). */
  array(name: string): MsgValue[] {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    return this.fail(name, "an array", v);
  }

  /** A Go `[]string` (`[]` when absent or nil). */
  stringArray(name: string): string[] {
    return this.array(name).map((x) => {
      if (x instanceof Uint8Array) return utf8Decode(x);
      return this.fail(name, "an array of strings", x);
    });
  }

  /** A Go `[]float64`. */
  floatArray(name: string): number[] {
    return this.array(name).map((x) => {
      if (typeof x === "number") return x;
      return this.fail(name, "an array of numbers", x);
    });
  }

  /** A Go `map[string]string` as a `Map` in wire order (empty when absent or nil). */
  stringMap(name: string): Map<string, string> {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return new Map();
    if (!(v instanceof Map)) return this.fail(name, "a map", v);
    const out = new Map<string, string>();
    for (const [k, x] of v) {
      if (x === null) out.set(k, "");
      else if (x instanceof Uint8Array) out.set(k, utf8Decode(x));
      else this.fail(name, "a map of strings", v);
    }
    return out;
  }

  /** A raw map value (for maps of non-string values). */
  map(name: string): MsgMap {
    const v = this.fields.get(name);
    if (v === undefined || v === null) return new Map();
    if (v instanceof Map) return v;
    return this.fail(name, "a map", v);
  }
}
