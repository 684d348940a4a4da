/**
 * Go's quoting helpers, reproduced because their output ends up in error messages users see:
 * `strconv.Quote` (used by `%q`), the JSON scanner's `quoteChar`, and the `time` package's
 * private `quote`.
 */

import { decodeRune, RUNE_ERROR, utf8Bytes } from "./utf8.ts";

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isGoPrint(rune: number): boolean {
  if (rune === 0x20) return true;
  if (rune < 0x20 || rune === 0x7f) return false;
  return PRINTABLE.test(String.fromCodePoint(rune));
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  7: "\\a",
  8: "\\b",
  12: "\\f",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

function quoteRuneInto(rune: number, quote: number): string {
  if (rune === quote || rune === 0x5c) return `\\${String.fromCodePoint(rune)}`;
  if (isGoPrint(rune)) return String.fromCodePoint(rune);
  const named = NAMED_ESCAPES[rune];
  if (named !== undefined) return named;
  if (rune < 0x20 || rune === 0x7f) return `\\x${hex(rune, 2)}`;
  if (rune < 0x10000) return `\\u${hex(rune, 4)}`;
  return `\\U${hex(rune, 8)}`;
}

/**
 * Go `strconv.Quote`: a double-quoted Go string literal. Given bytes (a Go string need not be
 * UTF-8), each byte of an invalid sequence is written `\xNN`, as Go does; a JS string is its
 * UTF-8 bytes, so a lone surrogate is U+FFFD.
 */
export function goQuote(text: string | Uint8Array): string {
  const bytes = typeof text === "string" ? utf8Bytes(text) : text;
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const [rune, size] = decodeRune(bytes, i);
    out +=
      rune === RUNE_ERROR && size === 1 ? `\\x${hex(bytes[i] ?? 0, 2)}` : quoteRuneInto(rune, 0x22);
    i += size;
  }
  return `${out}"`;
}

/**
 * The JSON scanner's `quoteChar`: one *byte* shown in single quotes (`'x'`, `'\''`, `'"'`,
 * `'\x01'`). Bytes >= 0x80 are shown as the rune of the same value, as Go does.
 */
export function quoteJsonByte(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return "'\"'";
  return `'${quoteRuneInto(byte, 0x22)}'`;
}

/**
 * The `time` package's private `quote`, used in duration errors: ASCII kept (with `"` and `\`
 * escaped), every byte of a non-ASCII or control character written as `\xNN`.
 */
export function timeQuote(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? utf8Bytes(input) : input;
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const [rune, size] = decodeRune(bytes, i);
    if (rune >= 0x80 || rune < 0x20) {
      for (let k = 0; k < size; k++) out += `\\x${hex(bytes[i + k] ?? 0, 2)}`;
    } else {
      if (rune === 0x22 || rune === 0x5c) out += "\\";
      out += String.fromCharCode(rune);
    }
    i += size;
  }
  return `${out}"`;
}
