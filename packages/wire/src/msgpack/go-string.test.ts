import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goStringFromBytes, goStringToBytes, hasRawBytes } from "./go-string.ts";
import { decodeMsgpack } from "./reader.ts";
import { MsgpackWriter } from "./writer.ts";

const bytes = (...b: number[]) => Uint8Array.from(b);

describe("Go strings as bytes (issue 11 item 9)", () => {
  it("keeps invalid UTF-8 bytes instead of U+FFFD", () => {
    const s = goStringFromBytes(bytes(0xff, 0x61, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xc3));
    expect(s).toBe("\udcffaé\udced\udca0\udc80\udcc3");
    expect(hasRawBytes(s)).toBe(true);
    expect(goStringToBytes(s)).toEqual(bytes(0xff, 0x61, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xc3));
    // Valid text is untouched, a BOM kept, a real surrogate pair is not a raw byte.
    expect(goStringFromBytes(bytes(0xef, 0xbb, 0xbf, 0x61))).toBe("\ufeffa");
    expect(hasRawBytes("\ud800\udc80")).toBe(false);
    expect(goStringToBytes("\ud800\udc80")).toEqual(bytes(0xf0, 0x90, 0x82, 0x80));
    expect(goStringToBytes("\ud800")).toEqual(bytes(0xef, 0xbf, 0xbd));
  });

  it("round-trips any bytes, and msgpack str values with them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = goStringFromBytes(b);
        expect(goStringToBytes(s)).toEqual(b);
        const encoded = new MsgpackWriter("gossip").str(s).finish();
        expect(decodeMsgpack(encoded)).toEqual(b);
      }),
    );
  });
});
