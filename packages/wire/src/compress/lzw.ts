import { DecodeError } from "../errors.ts";

/**
 * LZW as memberlist uses it (compress message type 9, `Algo` 0): the variable-width, GIF-style
 * flavour of Go's `compress/lzw` with least-significant-bit-first packing and 8-bit literals.
 *
 * - Codes 0-255 are literal bytes, 256 clears the dictionary, 257 ends the data; dictionary
 *   entries are numbered from 258 up to at most 4095 (12-bit codes).
 * - Codes start 9 bits wide. Both sides count `hi`, starting at 257 and going up by one after
 *   every code other than clear; the width grows by one bit when `hi` reaches `1 << width`.
 * - The writer starts with a clear code (Go >= 1.17 does), clears again whenever `hi` reaches
 *   4095, and ends with the pending code, the end code and zero padding to a byte.
 *
 * The output is byte-identical to Go's writer, and the reader accepts everything Go's reader
 * accepts (with or without the leading clear code) and rejects what it rejects.
 */

const LITERAL_WIDTH = 8;
const CLEAR = 1 << LITERAL_WIDTH; // 256
const EOF = CLEAR + 1; // 257
const MIN_WIDTH = LITERAL_WIDTH + 1; // 9
const MAX_WIDTH = 12;
const TABLE_SIZE = 1 << MAX_WIDTH; // 4096
/** The writer clears the dictionary when `hi` gets here (it never assigns code 4095). */
const WRITER_LIMIT = TABLE_SIZE - 1;

// Writer dictionary: open-addressing hash map from (prefix code << 8 | byte) to code. A slot is
// in use only when its generation stamp equals the current one, so starting a new dictionary
// (every call, every clear) is one increment instead of clearing the table.
const HASH_BITS = 14; // 16384 slots for at most 3838 entries: probes stay short
const HASH_SIZE = 1 << HASH_BITS;
const HASH_MASK = HASH_SIZE - 1;
const HASH_SHIFT = 32 - HASH_BITS;
const hashKeys = new Int32Array(HASH_SIZE);
const hashCodes = new Uint16Array(HASH_SIZE);
const hashStamps = new Uint32Array(HASH_SIZE);
let generation = 0;

function nextGeneration(): number {
  generation = (generation + 1) >>> 0;
  if (generation === 0) {
    hashStamps.fill(0);
    generation = 1;
  }
  return generation;
}

// Reader dictionary, indexed by code: the entry is `prefix` code followed by `suffix` byte, its
// expansion is `lengths` bytes long and starts with byte `firsts`. Literals are preset.
const prefixes = new Uint16Array(TABLE_SIZE);
const suffixes = new Uint8Array(TABLE_SIZE);
const lengths = new Uint16Array(TABLE_SIZE);
const firsts = new Uint8Array(TABLE_SIZE);
for (let c = 0; c < CLEAR; c++) {
  lengths[c] = 1;
  firsts[c] = c;
  suffixes[c] = c;
}

// Both directions build their output in a reused scratch buffer and return an exact-size copy,
// so a call allocates once. Buffers above this size are not kept between calls.
const SCRATCH_KEEP_LIMIT = 1 << 20;
let scratch = new Uint8Array(4096);

function scratchOfAtLeast(size: number): Uint8Array {
  if (size <= scratch.length) return scratch;
  let cap = scratch.length;
  while (cap < size) cap *= 2;
  if (cap > SCRATCH_KEEP_LIMIT) return new Uint8Array(size);
  scratch = new Uint8Array(cap);
  return scratch;
}

/** An upper bound of the compressed size of `n` bytes: every code is at most 12 bits. */
function maxCompressedLength(n: number): number {
  // One code per input byte at most, the leading clear, the end code, and a clear per 3838
  // codes (plus one, for the close).
  const codes = n + 3 + Math.floor(n / (WRITER_LIMIT - EOF));
  return Math.ceil((codes * MAX_WIDTH) / 8) + 1;
}

/** LZW-compresses `data` exactly as Go's `lzw.NewWriter(w, lzw.LSB, 8)` + `Write` + `Close`. */
export function lzwCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  const out = scratchOfAtLeast(maxCompressedLength(n));
  const keys = hashKeys;
  const codes = hashCodes;
  const stamps = hashStamps;
  let o = 0;
  let bits = 0; // pending bits, least significant first
  let nBits = 0;
  let width = MIN_WIDTH;
  let hi = EOF;
  let overflow = 1 << MIN_WIDTH;

  // The leading clear code (written even for empty input).
  bits |= CLEAR << nBits;
  nBits += width;
  while (nBits >= 8) {
    out[o++] = bits;
    bits >>>= 8;
    nBits -= 8;
  }

  if (n > 0) {
    let stamp = nextGeneration();
    let code = data[0]!; // the longest dictionary string matched so far
    for (let i = 1; i < n; i++) {
      const b = data[i]!;
      const key = (code << 8) | b;
      let h = Math.imul(key, 0x9e3779b1) >>> HASH_SHIFT;
      let found = -1;
      while (stamps[h] === stamp) {
        if (keys[h] === key) {
          found = codes[h]!;
          break;
        }
        h = (h + 1) & HASH_MASK;
      }
      if (found >= 0) {
        code = found;
        continue;
      }

      bits |= code << nBits;
      nBits += width;
      while (nBits >= 8) {
        out[o++] = bits;
        bits >>>= 8;
        nBits -= 8;
      }
      code = b;
      hi++;
      if (hi === overflow) {
        width++;
        overflow <<= 1;
      }
      if (hi === WRITER_LIMIT) {
        bits |= CLEAR << nBits;
        nBits += width;
        while (nBits >= 8) {
          out[o++] = bits;
          bits >>>= 8;
          nBits -= 8;
        }
        width = MIN_WIDTH;
        hi = EOF;
        overflow = 1 << MIN_WIDTH;
        stamp = nextGeneration();
        continue;
      }
      // `h` is the free slot the probe stopped at.
      stamps[h] = stamp;
      keys[h] = key;
      codes[h] = hi;
    }

    // Close: the pending code, then `hi` moves on as after any code (maybe clearing).
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      out[o++] = bits;
      bits >>>= 8;
      nBits -= 8;
    }
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === WRITER_LIMIT) {
      bits |= CLEAR << nBits;
      nBits += width;
      while (nBits >= 8) {
        out[o++] = bits;
        bits >>>= 8;
        nBits -= 8;
      }
      width = MIN_WIDTH;
    }
  }

  bits |= EOF << nBits;
  nBits += width;
  while (nBits > 0) {
    out[o++] = bits;
    bits >>>= 8;
    nBits -= 8;
  }
  return out.slice(0, o);
}

/**
 * Decompresses LZW data as Go's `lzw.NewReader(r, lzw.LSB, 8)` read to the end does. Bytes after
 * the end code are ignored.
 *
 * @param maxOutputBytes bound of the decompressed size (a non-negative integer or `Infinity`);
 *   nothing larger is ever allocated.
 * @throws DecodeError when the input ends before the end code, holds a code that is not yet
 *   defined, or decompresses to more than `maxOutputBytes` bytes.
 * @throws RangeError when `maxOutputBytes` itself is not a valid size (a caller bug, not input).
 */
export function lzwDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (!(Number.isInteger(maxOutputBytes) && maxOutputBytes >= 0) && maxOutputBytes !== Infinity) {
    throw new RangeError("lzwDecompress: maxOutputBytes must be a non-negative integer");
  }
  const n = data.length;
  const pre = prefixes;
  const suf = suffixes;
  const len = lengths;
  const fst = firsts;
  let out = scratchOfAtLeast(Math.min(maxOutputBytes, 4 * n + 64));
  let limit = Math.min(out.length, maxOutputBytes); // room before growing or failing
  let o = 0;
  let pos = 0;
  let bits = 0;
  let nBits = 0;
  let width = MIN_WIDTH;
  let mask = (1 << width) - 1;
  let hi = EOF; // the code the next dictionary entry gets
  let overflow = 1 << MIN_WIDTH;
  let last = -1; // the previous code, or -1 when the next code starts no entry

  for (;;) {
    while (nBits < width) {
      if (pos >= n) {
        throw new DecodeError("lzw: unexpected end of compressed data (no end code)");
      }
      bits |= data[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & mask;
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      if (o >= limit) {
        out = grow(out, o, o + 1, maxOutputBytes);
        limit = Math.min(out.length, maxOutputBytes);
      }
      out[o++] = code;
      if (last >= 0) {
        pre[hi] = last;
        suf[hi] = code;
        len[hi] = len[last]! + 1;
        fst[hi] = fst[last]!;
      }
    } else if (code === CLEAR) {
      width = MIN_WIDTH;
      mask = (1 << width) - 1;
      hi = EOF;
      overflow = 1 << MIN_WIDTH;
      last = -1;
      continue;
    } else if (code === EOF) {
      break;
    } else if (code <= hi) {
      // `code === hi` (with a previous code) is the entry about to be defined: the previous
      // string followed by its own first byte.
      const pending = code === hi && last >= 0;
      const base = pending ? last : code;
      const baseLen = len[base]!;
      const total = pending ? baseLen + 1 : baseLen;
      if (o + total > limit) {
        out = grow(out, o, o + total, maxOutputBytes);
        limit = Math.min(out.length, maxOutputBytes);
      }
      let c = base;
      for (let i = o + baseLen - 1; i > o; i--) {
        out[i] = suf[c]!;
        c = pre[c]!;
      }
      out[o] = c;
      if (pending) out[o + baseLen] = c;
      o += total;
      if (last >= 0) {
        pre[hi] = last;
        suf[hi] = c;
        len[hi] = len[last]! + 1;
        fst[hi] = fst[last]!;
      }
    } else {
      throw new DecodeError(`lzw: invalid code ${code} (highest defined is ${hi})`);
    }

    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        // Table full: no more entries until a clear code.
        last = -1;
        hi--;
      } else {
        width++;
        mask = (1 << width) - 1;
        overflow <<= 1;
      }
    }
  }
  return out.slice(0, o);
}

/** A copy of `out[0, used)` in a buffer of at least `needed` bytes, within `max`. */
function grow(out: Uint8Array, used: number, needed: number, max: number): Uint8Array {
  if (needed > max) {
    throw new DecodeError(`lzw: decompressed data exceeds ${max} bytes`);
  }
  let cap = Math.max(out.length, 256);
  while (cap < needed) cap *= 2;
  if (cap > max) cap = max;
  const next = new Uint8Array(cap);
  next.set(out.subarray(0, used));
  if (cap <= SCRATCH_KEEP_LIMIT) scratch = next;
  return next;
}
