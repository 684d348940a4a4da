/**
 * Go strings are byte strings: a node name, tag or event name may hold bytes that are not
 * valid UTF-8, and Go passes them on unchanged (to peers, RPC clients, handler environments).
 * JavaScript strings are UTF-16, so the bytes are mapped losslessly, as Python's
 * `surrogateescape` does: valid UTF-8 decodes as usual, and each byte of an invalid sequence
 * becomes the lone low surrogate U+DC80..U+DCFF (byte 0x80..0xFF; ASCII is always valid).
 * Encoding reverses it, so bytes -> string -> bytes is exact. A string that JavaScript code
 * builds with such a lone surrogate encodes to that raw byte (other lone surrogates encode as
 * U+FFFD, as `TextEncoder` does).
 */

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const textEncoder = new TextEncoder();

/** A lone low surrogate in U+DC80..U+DCFF: a raw byte of a Go string. */
const RAW_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Length of the valid UTF-8 sequence at `i` (Go `utf8.DecodeRune` rules), or 0 if invalid. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c0 = b[i] as number;
  if (c0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = b[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) return cont(1) ? 2 : 0;
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const lo = c0 === 0xe0 ? 0xa0 : 0x80;
    const hi = c0 === 0xed ? 0x9f : 0xbf; // no surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80;
    const hi = c0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The JavaScript string of a Go string's bytes (lossless, see the module comment). */
export function goStringFromBytes(b: Uint8Array): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    // Invalid UTF-8 somewhere: decode piecewise.
  }
  let out = "";
  let i = 0;
  while (i < b.length) {
    const n = validSequenceLength(b, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + (b[i] as number));
      i++;
    } else {
      out += strictDecoder.decode(b.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** True if `s` holds raw (non-UTF-8) bytes of a Go string. */
export function hasRawBytes(s: string): boolean {
  return RAW_BYTE.test(s);
}

/** The bytes of a Go string held in `s` (UTF-8, raw bytes restored). */
export function goStringToBytes(s: string): Uint8Array {
  if (!hasRawBytes(s)) return textEncoder.encode(s);
  const parts: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    const prevHigh = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (u >= 0xdc80 && u <= 0xdcff && !prevHigh) {
      parts.push(u - 0xdc00);
      continue;
    }
    // Everything else, one code point at a time (a pair stays together).
    let end = i + 1;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) end = i + 2;
    }
    for (const byte of textEncoder.encode(s.slice(i, end))) parts.push(byte);
    i = end - 1;
  }
  return Uint8Array.from(parts);
}
