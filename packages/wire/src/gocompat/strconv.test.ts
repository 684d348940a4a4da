import { describe, expect, it } from "vitest";
import { formatGoFloat, GoNumError, parseGoBool, parseGoInt } from "./strconv.ts";

describe("parseGoInt (base 0, 64 bits)", () => {
  it.each([
    ["5", 5n],
    ["-5", -5n],
    ["+5", 5n],
    ["0x10", 16n],
    ["0X1f", 31n],
    ["010", 8n],
    ["0o17", 15n],
    ["0b101", 5n],
    ["1_000", 1000n],
    ["0x_1F", 31n],
    ["9223372036854775807", 9223372036854775807n],
    ["-9223372036854775808", -9223372036854775808n],
  ])("%s", (text, value) => {
    expect(parseGoInt(text)).toBe(value);
  });

  it.each([
    ["", "syntax"],
    ["abc", "syntax"],
    ["0x", "syntax"],
    ["08", "syntax"],
    ["1__0", "syntax"],
    ["_1", "syntax"],
    ["1_", "syntax"],
    ["- 1", "syntax"],
    ["9223372036854775808", "range"],
    ["99999999999999999999", "range"],
    ["-9223372036854775809", "range"],
  ])("rejects %j (%s)", (text, kind) => {
    try {
      parseGoInt(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GoNumError);
      expect((err as GoNumError).kind).toBe(kind);
    }
  });
});

describe("parseGoBool", () => {
  it("accepts Go's spellings", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) expect(parseGoBool(t)).toBe(true);
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) expect(parseGoBool(f)).toBe(false);
  });
  it("rejects others", () => {
    for (const bad of ["", "yes", "maybe", "tRUE", "2"]) {
      expect(() => parseGoBool(bad)).toThrow(GoNumError);
    }
  });
});

describe("formatGoFloat (%v)", () => {
  // Values seen in serf 0.9.4 decode errors: '1', '2.5', '1e+21', '1e+06', '123456.5', '1e-05',
  // '1.234567e+06'.
  it.each([
    [1, "1"],
    [2.5, "2.5"],
    [1e21, "1e+21"],
    [1_000_000, "1e+06"],
    [123456.5, "123456.5"],
    [1e-5, "1e-05"],
    [1234567, "1.234567e+06"],
    [999999, "999999"],
    [0.0001, "0.0001"],
    [0.1, "0.1"],
    [-3, "-3"],
    [0, "0"],
    [-0, "-0"],
    [1e100, "1e+100"],
    [123.456, "123.456"],
  ])("%s", (value, text) => {
    expect(formatGoFloat(value)).toBe(text);
  });
});

describe("strconv.ParseInt(s, 0, 64) as the serf CLI's int flags use it", () => {
  it("takes base prefixes, leading-0 octal and _ separators; rejects bad syntax and range", () => {
    expect(parseGoInt("255")).toBe(255n);
    expect(parseGoInt("-1")).toBe(-1n);
    expect(parseGoInt("010")).toBe(8n);
    expect(parseGoInt("0b11")).toBe(3n);
    expect(parseGoInt("0o17")).toBe(15n);
    expect(parseGoInt("1_000")).toBe(1000n);
    expect(parseGoInt("0x_1F")).toBe(31n);
    for (const bad of ["1__0", "_1", ""]) {
      expect(() => parseGoInt(bad), bad).toThrow(expect.objectContaining({ kind: "syntax" }));
    }
    expect(() => parseGoInt("9223372036854775808")).toThrow(
      expect.objectContaining({ kind: "range" }),
    );
  });
});
