import { describe, expect, it } from "vitest";
import {
  decodeGoJsonStream,
  formatGoValue,
  GoJsonError,
  goKindName,
  goTypeName,
  unmarshalGoJson,
} from "./json.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("decodeGoJsonStream (json.Decoder)", () => {
  it("decodes values as Go's interface{} does", () => {
    const value = decodeGoJsonStream(bytes('{"a": [1, "x", true, null], "b": {"c": -2.5e3}}'));
    expect(value).toEqual(
      new Map<string, unknown>([
        ["a", [1, "x", true, null]],
        ["b", new Map([["c", -2500]])],
      ]),
    );
  });

  it("reads only the first value", () => {
    expect(decodeGoJsonStream(bytes('{"a": "x"} garbage'))).toEqual(new Map([["a", "x"]]));
    expect(decodeGoJsonStream(bytes("5x"))).toBe(5);
    expect(decodeGoJsonStream(bytes("01"))).toBe(0);
    expect(decodeGoJsonStream(bytes(" null "))).toBe(null);
  });

  it("unquotes strings like Go", () => {
    expect(decodeGoJsonStream(bytes('"a\\u00e9\\ud83d\\ude00\\n\\/"'))).toBe("a\u00e9\u{1f600}\n/");
    expect(decodeGoJsonStream(bytes('"\\ud83d x"'))).toBe("\ufffd x");
    expect(decodeGoJsonStream(Uint8Array.from([0x22, 0x61, 0xff, 0xe2, 0x82, 0x22]))).toBe(
      "a\ufffd\ufffd\ufffd",
    );
    expect(decodeGoJsonStream(bytes('{"k": 1, "k": 2}'))).toEqual(new Map([["k", 2]]));
  });

  // Messages captured from serf 0.9.4 (`==> Error decoding 'F': MESSAGE`).
  it.each([
    ["", "EOF"],
    ["   ", "EOF"],
    ['{"node_name": "a"', "unexpected EOF"],
    ['{"node_name": x}', "invalid character 'x' looking for beginning of value"],
    ['{"node_name" "x"}', "invalid character '\"' after object key"],
    ['{"node_name": "x" "y"}', "invalid character '\"' after object key:value pair"],
    ['{"start_join": ["a" "b"]}', "invalid character '\"' after array element"],
    ['{node_name: "x"}', "invalid character 'n' looking for beginning of object key string"],
    ['{"node_name": "a\u0001b"}', "invalid character '\\x01' in string literal"],
    ['{"node_name": "a\\qb"}', "invalid character 'q' in string escape code"],
    ['{"replay_on_join": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"protocol": 1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"protocol": -}', "invalid character '}' in numeric literal"],
    ['{"protocol": 01}', "invalid character '1' after object key:value pair"],
    ['{"protocol": 1e400}', "json: cannot unmarshal number 1e400 into Go value of type float64"],
    ['{"node_name": "a\\u00zz"}', "invalid character 'z' in \\u hexadecimal character escape"],
    ['{"a": 1e+}', "invalid character '}' in exponent of numeric literal"],
    ['{"a": nul', "unexpected EOF"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ["\ufeff{}", "invalid character '\u00ef' looking for beginning of value"],
    ["'x'", "invalid character '\\'' looking for beginning of value"],
  ])("rejects %j", (text, message) => {
    expect(() => decodeGoJsonStream(bytes(text))).toThrow(GoJsonError);
    expect(() => decodeGoJsonStream(bytes(text))).toThrow(message);
  });

  it("quotes non-ASCII bytes as the rune of the same value", () => {
    expect(() => decodeGoJsonStream(Uint8Array.from([0x80]))).toThrow(
      "invalid character '\\u0080' looking for beginning of value",
    );
  });

  it("limits nesting like Go", () => {
    expect(decodeGoJsonStream(bytes(`${"[".repeat(10000)}${"]".repeat(10000)}`))).toBeDefined();
    expect(() => decodeGoJsonStream(bytes("[".repeat(10001)))).toThrow(
      "invalid character '[' exceeded max depth",
    );
  });
});

describe("unmarshalGoJson (json.Unmarshal)", () => {
  it.each([
    ["", "unexpected end of JSON input"],
    ["  ", "unexpected end of JSON input"],
    ["[1", "unexpected end of JSON input"],
    ['{"a": 1} x', "invalid character 'x' after top-level value"],
    ["01", "invalid character '1' after top-level value"],
  ])("rejects %j", (text, message) => {
    expect(() => unmarshalGoJson(bytes(text))).toThrow(message);
  });

  it("accepts one value with spaces around it", () => {
    expect(unmarshalGoJson(bytes(' ["a", "b"]\n'))).toEqual(["a", "b"]);
  });
});

describe("Go %v and type names", () => {
  it("prints values like fmt", () => {
    expect(formatGoValue([1, "x"])).toBe("[1 x]");
    expect(formatGoValue(new Map([["x", 1]]))).toBe("map[x:1]");
    expect(
      formatGoValue(
        new Map<string, never>([
          ["b", [null, true] as never],
          ["a", 1234567 as never],
        ]),
      ),
    ).toBe("map[a:1.234567e+06 b:[<nil> true]]");
  });

  it("names types and kinds", () => {
    expect([1, "s", true, [], new Map()].map((v) => goTypeName(v))).toEqual([
      "float64",
      "string",
      "bool",
      "[]interface {}",
      "map[string]interface {}",
    ]);
    expect([1, "s", true, [], new Map()].map((v) => goKindName(v))).toEqual([
      "float64",
      "string",
      "bool",
      "slice",
      "map",
    ]);
  });
});
