import { describe, expect, it } from "vitest";
import { decodeGoBase64, GoBase64Error } from "./base64.ts";

describe("decodeGoBase64", () => {
  it("decodes standard padded base64, ignoring CR/LF", () => {
    expect(Buffer.from(decodeGoBase64("YWJj")).toString()).toBe("abc");
    expect(Buffer.from(decodeGoBase64("YQ==")).toString()).toBe("a");
    expect(Buffer.from(decodeGoBase64("YWI=")).toString()).toBe("ab");
    expect(Buffer.from(decodeGoBase64("YW\nJj")).toString()).toBe("abc");
    expect(Buffer.from(decodeGoBase64("YWJj\r\n")).toString()).toBe("abc");
    expect(decodeGoBase64("")).toEqual(new Uint8Array(0));
    const key = Buffer.alloc(32, 7);
    expect(Buffer.from(decodeGoBase64(key.toString("base64")))).toEqual(key);
  });

  // Offsets captured from serf 0.9.4: `==> Invalid encryption key: illegal base64 data at input
  // byte N`.
  it.each([
    ["abc", 0],
    ["YWJj$", 4],
    ["YW=j", 2],
    ["YQ==YQ==", 4],
    ["YQ=", 3],
    ["YQ", 0],
    ["YQ==x", 4],
    ["Y", 0],
    ["=", 0],
    ["YWJjZA=", 7],
    ["YWJjZA===", 8],
    ["YWJ=ZA==", 4],
    ["YW\nJ$", 4],
    ["abc=\u00e9", 4],
  ])("rejects %j at byte %d", (text, offset) => {
    expect(() => decodeGoBase64(text)).toThrow(new GoBase64Error(offset).message);
  });
});
