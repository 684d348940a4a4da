import { describe, expect, it } from "vitest";
import { goQuote, quoteJsonByte, timeQuote } from "./quote.ts";

describe("Go quoting", () => {
  it("strconv.Quote", () => {
    expect(goQuote("abc")).toBe('"abc"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote("\n\t\u0001\u007f")).toBe('"\\n\\t\\x01\\x7f"');
    expect(goQuote("\u00e9\u00a0\u{1f600}")).toBe('"\u00e9\\u00a0\u{1f600}"');
    expect(goQuote("\u{e0001}")).toBe('"\\U000e0001"');
    // A lone surrogate has no UTF-8 form: its bytes are U+FFFD's, which Go prints as is.
    expect(goQuote("\ud800")).toBe('"\ufffd"');
    // Bytes that are not UTF-8 are escaped one by one, as Go's Quote does for a Go string.
    expect(goQuote(Uint8Array.of(0x61, 0xff, 0xc3))).toBe('"a\\xff\\xc3"');
    expect(goQuote(Uint8Array.of(0xc3, 0xa9))).toBe('"\u00e9"');
  });

  it("JSON quoteChar", () => {
    expect(quoteJsonByte(0x78)).toBe("'x'");
    expect(quoteJsonByte(0x27)).toBe("'\\''");
    expect(quoteJsonByte(0x22)).toBe("'\"'");
    expect(quoteJsonByte(0x01)).toBe("'\\x01'");
    expect(quoteJsonByte(0xef)).toBe("'\u00ef'");
  });

  it("time quote", () => {
    expect(timeQuote("5\u00b5x")).toBe('"5\\xc2\\xb5x"');
    expect(timeQuote('a"\\')).toBe('"a\\"\\\\"');
    expect(timeQuote("\t")).toBe('"\\x09"');
  });
});

describe("goQuote, as the serf CLI prints names", () => {
  it("escapes like Go", () => {
    expect(goQuote("nobody")).toBe('"nobody"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote("\n\t\x07\x00\x7f")).toBe('"\\n\\t\\a\\x00\\x7f"');
    expect(goQuote("héllo ☃")).toBe('"héllo ☃"');
    expect(goQuote("\u200b")).toBe('"\\u200b"');
  });
});
