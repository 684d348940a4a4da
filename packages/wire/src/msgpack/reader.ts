import { DecodeError } from "../errors.ts";
import { goStringFromBytes } from "./go-string.ts";

/**
 * A decoded msgpack value. Both the str and the bin family decode to `Uint8Array` (Go writes
 * `[]byte` fields as str, so text is only text where the schema says so); maps decode to a
 * `Map` with string keys; integers to `number` when exactly representable, else `bigint`.
 */
export type MsgValue = null | boolean | number | bigint | Uint8Array | MsgValue[] | MsgMap;
export type MsgMap = Map<string, MsgValue>;

/** Bounds applied while decoding untrusted input. */
export interface DecodeLimits {
  /** Maximum nesting of arrays and maps. @default 32 */
  readonly maxDepth: number;
  /** Maximum entries in one array or map. @default 65536 */
  readonly maxItems: number;
  /** Maximum bytes of one str or bin value. @default 16 MiB */
  readonly maxBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxDepth: 32,
  maxItems: 65_536,
  maxBytes: 16 * 1024 * 1024,
};

/**
 * Text of a Go string. Go strings need not be valid UTF-8: invalid bytes are kept, as lone
 * surrogates that `utf8Encode` turns back into the same bytes (see `go-string.ts`); a leading
 * U+FEFF is kept too.
 */
export function utf8Decode(b: Uint8Array): string {
  return goStringFromBytes(b);
}

/**
 * Reads msgpack values from a byte buffer, one at a time, reporting how many bytes each used
 * (push/pull streams hold several values back to back followed by raw bytes). Every size is
 * checked against the bytes actually present before anything is allocated, so a hostile
 * length prefix cannot make the reader allocate more than the input.
 */
export class MsgpackReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos: number;
  private readonly limits: DecodeLimits;

  constructor(bytes: Uint8Array, offset = 0, limits: Partial<DecodeLimits> = {}) {
    // A plain view, so that slices are copies and typed Uint8Array even for a Node Buffer.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = offset;
    this.limits = { ...DEFAULT_DECODE_LIMITS, ...limits };
  }

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Takes `n` raw bytes (a copy). */
  rawBytes(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Decodes the next value. */
  read(): MsgValue {
    return this.value(0);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new DecodeError(
        `unexpected end of msgpack input (need ${n} bytes at offset ${this.pos}, have ${this.remaining})`,
      );
    }
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  private blob(n: number): Uint8Array {
    if (n > this.limits.maxBytes) {
      throw new DecodeError(
        `msgpack string of ${n} bytes exceeds the ${this.limits.maxBytes} limit`,
      );
    }
    return this.rawBytes(n);
  }

  /** `n` entries of `width` values each (2 for maps) must fit the limits and the input. */
  private container(n: number, width: 1 | 2): void {
    if (n > this.limits.maxItems) {
      throw new DecodeError(
        `msgpack container of ${n} items exceeds the ${this.limits.maxItems} limit`,
      );
    }
    // Every value takes at least one byte: a count beyond the input is malformed.
    if (n * width > this.remaining) {
      throw new DecodeError(`msgpack container of ${n} items is longer than the input`);
    }
  }

  private array(n: number, depth: number): MsgValue[] {
    this.container(n, 1);
    const out: MsgValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): MsgMap {
    this.container(n, 2);
    const out: MsgMap = new Map();
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      if (!(key instanceof Uint8Array)) {
        throw new DecodeError(`msgpack map key is not a string (${describe(key)})`);
      }
      out.set(utf8Decode(key), this.value(depth + 1));
    }
    return out;
  }

  private value(depth: number): MsgValue {
    if (depth > this.limits.maxDepth) {
      throw new DecodeError(`msgpack nesting deeper than ${this.limits.maxDepth}`);
    }
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.blob(b & 0x1f);
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f, depth);
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.blob(this.u8());
      case 0xc5:
      case 0xda:
        return this.blob(this.u16());
      case 0xc6:
      case 0xdb:
        return this.blob(this.u32());
      case 0xca: {
        this.need(4);
        const v = this.view.getFloat32(this.pos);
        this.pos += 4;
        return v;
      }
      case 0xcb: {
        this.need(8);
        const v = this.view.getFloat64(this.pos);
        this.pos += 8;
        return v;
      }
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        this.need(8);
        const v = this.view.getBigUint64(this.pos);
        this.pos += 8;
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0xd0: {
        this.need(1);
        return this.view.getInt8(this.pos++);
      }
      case 0xd1: {
        this.need(2);
        const v = this.view.getInt16(this.pos);
        this.pos += 2;
        return v;
      }
      case 0xd2: {
        this.need(4);
        const v = this.view.getInt32(this.pos);
        this.pos += 4;
        return v;
      }
      case 0xd3: {
        this.need(8);
        const v = this.view.getBigInt64(this.pos);
        this.pos += 8;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v;
      }
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        // c1 (never used), ext family c7-c9 and d4-d8: Go's messages never contain them.
        throw new DecodeError(`unsupported msgpack descriptor byte 0x${b.toString(16)}`);
    }
  }
}

/** Decodes exactly one value that must fill `bytes` completely. */
export function decodeMsgpack(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): MsgValue {
  const r = new MsgpackReader(bytes, 0, limits);
  const v = r.read();
  if (r.remaining !== 0) {
    throw new DecodeError(`${r.remaining} trailing bytes after msgpack value`);
  }
  return v;
}

/**
 * Where the msgpack value starting at `offset` ends, or -1 if `bytes` does not hold all of it
 * yet (incremental framing of RPC streams). Throws `DecodeError` on malformed input.
 */
export function msgpackValueEnd(bytes: Uint8Array, offset = 0, maxDepth = 32): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  // Values still to skip at each open nesting level.
  const pending: number[] = [1];
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    pending[top]!--;
    if (pos >= bytes.length) return -1;
    const b = bytes[pos++]!;
    let skip = 0;
    let items = -1;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) skip = 0;
    else if ((b & 0xe0) === 0xa0) skip = b & 0x1f;
    else if ((b & 0xf0) === 0x90) items = b & 0x0f;
    else if ((b & 0xf0) === 0x80) items = (b & 0x0f) * 2;
    else {
      switch (b) {
        case 0xc4:
        case 0xd9:
          if (pos + 1 > bytes.length) return -1;
          skip = bytes[pos]!;
          pos += 1;
          break;
        case 0xc5:
        case 0xda:
          if (pos + 2 > bytes.length) return -1;
          skip = view.getUint16(pos);
          pos += 2;
          break;
        case 0xc6:
        case 0xdb:
          if (pos + 4 > bytes.length) return -1;
          skip = view.getUint32(pos);
          pos += 4;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xdc:
        case 0xde:
          if (pos + 2 > bytes.length) return -1;
          items = view.getUint16(pos) * (b === 0xde ? 2 : 1);
          pos += 2;
          break;
        case 0xdd:
        case 0xdf:
          if (pos + 4 > bytes.length) return -1;
          items = view.getUint32(pos) * (b === 0xdf ? 2 : 1);
          pos += 4;
          break;
        default:
          throw new DecodeError(`unsupported msgpack descriptor byte 0x${b.toString(16)}`);
      }
    }
    if (items >= 0) {
      if (pending.length > maxDepth + 1) {
        throw new DecodeError(`msgpack nesting deeper than ${maxDepth}`);
      }
      pending.push(items);
    } else {
      pos += skip;
      if (pos > bytes.length) return -1;
    }
  }
  return pos;
}

function describe(v: MsgValue): string {
  if (v === null) return "nil";
  if (v instanceof Uint8Array) return "string";
  if (Array.isArray(v)) return "array";
  if (v instanceof Map) return "map";
  return typeof v;
}

export { describe as describeMsgValue };
