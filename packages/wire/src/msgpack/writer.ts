import { EncodeError } from "../errors.ts";
import { goStringToBytes } from "./go-string.ts";

/**
 * How a Go msgpack handle writes strings and byte slices.
 *
 * - `gossip`: go-msgpack 0.5.5 with a default `MsgpackHandle` (memberlist and serf gossip):
 *   Go strings and `[]byte` both use the str family, and str8 (`d9`) is never written.
 * - `rpc`: the agent RPC handle (`RawToString`, `WriteExt`): strings use the str family
 *   including str8; `[]byte` uses the bin family.
 */
export type MsgpackDialect = "gossip" | "rpc";

/** UTF-8 bytes of a Go string (raw bytes kept by `utf8Decode` are restored). */
export function utf8Encode(s: string): Uint8Array {
  return goStringToBytes(s);
}

/** Strings at most this long are cached once encoded (struct field names, states, tags). */
const CACHED_STRING_MAX_LENGTH = 24;
/** Bound of the cache; past it, strings are encoded every time. */
const CACHED_STRINGS_MAX = 4096;
const encodedStrings = new Map<string, Uint8Array>();

/**
 * UTF-8 bytes of `s`, cached for short strings: every struct map repeats its Go field names,
 * and encoding them anew was a measurable share of encode time. The cached arrays are only
 * ever copied from, never handed out.
 */
function shortStringBytes(s: string): Uint8Array {
  if (s.length > CACHED_STRING_MAX_LENGTH) return goStringToBytes(s);
  let bytes = encodedStrings.get(s);
  if (bytes === undefined) {
    bytes = goStringToBytes(s);
    if (encodedStrings.size < CACHED_STRINGS_MAX) encodedStrings.set(s, bytes);
  }
  return bytes;
}

/**
 * A growable msgpack writer that reproduces Go's encodings byte for byte: smallest integer
 * encodings (non-negative values as unsigned), float64 always as `cb`, and string/bytes
 * formats as the chosen dialect writes them. Struct maps are written by the caller, keys in
 * Go's sorted order.
 */
export class MsgpackWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  readonly dialect: MsgpackDialect;

  constructor(dialect: MsgpackDialect = "gossip", initialBytes = 256) {
    this.dialect = dialect;
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Raw bytes, not msgpack-wrapped (type bytes, trailing push/pull user state). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.pos++] = b & 0xff;
    return this;
  }

  nil(): this {
    return this.byte(0xc0);
  }

  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** Any integer, in Go's smallest encoding (non-negative values as unsigned). */
  int(v: number | bigint): this {
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      throw new EncodeError(`not an integer in the safe range: ${v}`);
    }
    const n = BigInt(v);
    if (n >= 0n) return this.uint(n);
    this.ensure(9);
    const x = Number(n);
    if (n >= -32n) {
      this.buf[this.pos++] = x & 0xff;
    } else if (n >= -128n) {
      this.buf[this.pos++] = 0xd0;
      this.view.setInt8(this.pos, x);
      this.pos += 1;
    } else if (n >= -32768n) {
      this.buf[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, x);
      this.pos += 2;
    } else if (n >= -2147483648n) {
      this.buf[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, x);
      this.pos += 4;
    } else if (n >= -(1n << 63n)) {
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, n);
      this.pos += 8;
    } else {
      throw new EncodeError(`integer below int64 range: ${n}`);
    }
    return this;
  }

  /** A non-negative integer in the smallest unsigned encoding. */
  uint(v: number | bigint): this {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new EncodeError(`not a non-negative safe integer: ${v}`);
      }
      this.ensure(9);
      if (v < 0x80) {
        this.buf[this.pos++] = v;
      } else if (v < 0x100) {
        this.buf[this.pos++] = 0xcc;
        this.buf[this.pos++] = v;
      } else if (v < 0x10000) {
        this.buf[this.pos++] = 0xcd;
        this.view.setUint16(this.pos, v);
        this.pos += 2;
      } else if (v < 0x100000000) {
        this.buf[this.pos++] = 0xce;
        this.view.setUint32(this.pos, v);
        this.pos += 4;
      } else {
        this.buf[this.pos++] = 0xcf;
        this.view.setBigUint64(this.pos, BigInt(v));
        this.pos += 8;
      }
      return this;
    }
    if (v < 0n || v >= 1n << 64n) throw new EncodeError(`integer outside uint64 range: ${v}`);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.uint(Number(v));
    this.ensure(9);
    this.buf[this.pos++] = 0xcf;
    this.view.setBigUint64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** A Go float64: always `cb` + 8 bytes, also for integral values. */
  float64(v: number): this {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  private strHeader(n: number, allowStr8: boolean): void {
    this.ensure(5);
    if (n < 32) {
      this.buf[this.pos++] = 0xa0 | n;
    } else if (allowStr8 && n < 0x100) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xda;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n <= 0xffffffff) {
      this.buf[this.pos++] = 0xdb;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      throw new EncodeError(`string of ${n} bytes is too long`);
    }
  }

  private binHeader(n: number): void {
    this.ensure(5);
    if (n < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xc5;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n <= 0xffffffff) {
      this.buf[this.pos++] = 0xc6;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      throw new EncodeError(`byte string of ${n} bytes is too long`);
    }
  }

  /** A Go `string` (str family; str8 only in the rpc dialect). */
  str(s: string | Uint8Array): this {
    const bytes = typeof s === "string" ? shortStringBytes(s) : s;
    this.strHeader(bytes.length, this.dialect === "rpc");
    return this.raw(bytes);
  }

  /**
   * A Go `[]byte`: `null` is a nil slice (`c0`). Gossip writes the str family without str8,
   * rpc writes bin.
   */
  bytes(b: Uint8Array | null): this {
    if (b === null) return this.nil();
    if (this.dialect === "rpc") this.binHeader(b.length);
    else this.strHeader(b.length, false);
    return this.raw(b);
  }

  mapHeader(n: number): this {
    this.ensure(5);
    if (n < 16) {
      this.buf[this.pos++] = 0x80 | n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xde;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdf;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
    return this;
  }

  arrayHeader(n: number): this {
    this.ensure(5);
    if (n < 16) {
      this.buf[this.pos++] = 0x90 | n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xdc;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
    return this;
  }

  /** A Go `map[string]string` (e.g. tags), in the given entry order; `null` is a nil map. */
  stringMap(m: ReadonlyMap<string, string> | Readonly<Record<string, string>> | null): this {
    if (m === null) return this.nil();
    const entries =
      typeof (m as ReadonlyMap<string, string>).entries === "function"
        ? [...(m as ReadonlyMap<string, string>).entries()]
        : Object.entries(m as Readonly<Record<string, string>>);
    this.mapHeader(entries.length);
    for (const [k, v] of entries) this.str(k).str(v);
    return this;
  }

  /** A Go `[]string`; `null` is a nil slice. */
  stringArray(a: readonly string[] | null): this {
    if (a === null) return this.nil();
    this.arrayHeader(a.length);
    for (const s of a) this.str(s);
    return this;
  }
}
