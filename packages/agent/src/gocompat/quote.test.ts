import { describe, expect, it } from "vitest";
import { goQuote, quoteJsonByte, timeQuote } from "./quote.ts";

describe("Go quoting", () => {
  it("strconv.Quote", () => {
    expect(goQuote("abc")).toBe('"abc"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote("\n\t\u0001\u007f")).toBe('"\\n\\t\\x01\\x7f"');
    expect(goQuote("\u00e9\u00a0\u{1f600}")).toBe('"\u00e9\\u00a0\u{1f600}"');
    expect(goQuote("\u{e0001}")).toBe('"\\U000e0001"');
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
