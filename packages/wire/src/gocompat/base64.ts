/**
 * Go `base64.StdEncoding.DecodeString`: standard alphabet with `=` padding, CR and LF ignored
 * anywhere, and Go's error text `illegal base64 data at input byte N` (N counts bytes of the
 * UTF-8 input) for everything else.
 */

import { utf8Bytes } from "./utf8.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE_MAP = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE_MAP[ALPHABET.charCodeAt(i)] = i;

const PAD = 0x3d;

/** Input Go's base64 decoder rejects; `offset` is the byte Go reports. */
export class GoBase64Error extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
    this.name = "GoBase64Error";
    this.offset = offset;
  }
}

function isNewline(c: number | undefined): boolean {
  return c === 0x0a || c === 0x0d;
}

/** Decodes standard padded base64 exactly as Go does, or throws `GoBase64Error`. */
export function decodeGoBase64(text: string): Uint8Array {
  const src = utf8Bytes(text);
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    // One quantum (Go `decodeQuantum`).
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        // Padding is required, so any incomplete quantum is an error at its start.
        throw new GoBase64Error(si - j);
      }
      const c = src[si] as number;
      si++;
      const v = DECODE_MAP[c] ?? -1;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== PAD) throw new GoBase64Error(si - 1);
      // Padding reached.
      if (j === 0 || j === 1) throw new GoBase64Error(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) throw new GoBase64Error(src.length);
        if (src[si] !== PAD) throw new GoBase64Error(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) throw new GoBase64Error(si);
      dlen = j;
      break;
    }
    const val =
      (dbuf[0] ?? 0) * 262144 + (dbuf[1] ?? 0) * 4096 + (dbuf[2] ?? 0) * 64 + (dbuf[3] ?? 0);
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
  }
  return Uint8Array.from(out);
}
