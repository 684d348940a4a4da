import { describe, expect, it } from "vitest";
import { decodeUtf8Go } from "./utf8.ts";

describe("decodeUtf8Go", () => {
  it("replaces each invalid byte with one U+FFFD, as Go's range loop", () => {
    expect(decodeUtf8Go(new Uint8Array([0x61, 0xe2, 0x82, 0x62]))).toBe("a\ufffd\ufffdb");
    expect(decodeUtf8Go(new Uint8Array([0xed, 0xa0, 0x80]))).toBe("\ufffd\ufffd\ufffd");
    expect(decodeUtf8Go(new Uint8Array([0xe2, 0x98, 0x83]))).toBe("☃");
    expect(decodeUtf8Go(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]))).toBe("😀");
  });
});
