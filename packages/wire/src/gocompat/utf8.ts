/**
 * UTF-8 handling the way Go's `unicode/utf8` does it: invalid sequences decode one byte at a
 * time as U+FFFD, overlong forms and surrogates are rejected.
 */

import { goStringToBytes } from "../msgpack/go-string.ts";

/** U+FFFD, what Go's decoder yields for an invalid byte. */
export const RUNE_ERROR = 0xfffd;

/**
 * UTF-8 bytes of a Go string held in a JavaScript string: raw (non-UTF-8) bytes kept by
 * `utf8Decode` as U+DC80..U+DCFF come back as those bytes (see `msgpack/go-string.ts`); other
 * lone surrogates become U+FFFD, as in Go.
 */
export function utf8Bytes(text: string): Uint8Array {
  return goStringToBytes(text);
}

/**
 * Decodes the rune starting at `i` (Go `utf8.DecodeRune`). Returns the code point and the number
 * of bytes used; an invalid or truncated sequence yields `[RUNE_ERROR, 1]`.
 */
export function decodeRune(bytes: Uint8Array, i: number): [rune: number, size: number] {
  const b0 = bytes[i];
  if (b0 === undefined) return [RUNE_ERROR, 0];
  if (b0 < 0x80) return [b0, 1];
  let size: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    size = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else {
    return [RUNE_ERROR, 1];
  }
  const b1 = bytes[i + 1];
  if (b1 === undefined || b1 < lo || b1 > hi) return [RUNE_ERROR, 1];
  let rune = (b0 & (0xff >> (size + 1))) * 64 + (b1 & 0x3f);
  for (let k = 2; k < size; k++) {
    const b = bytes[i + k];
    if (b === undefined || b < 0x80 || b > 0xbf) return [RUNE_ERROR, 1];
    rune = rune * 64 + (b & 0x3f);
  }
  return [rune, size];
}

/** Decodes bytes to a string, replacing each invalid byte with U+FFFD as Go's `range` does. */
export function decodeUtf8Go(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const [rune, size] = decodeRune(bytes, i);
    out += String.fromCodePoint(rune);
    i += size;
  }
  return out;
}
