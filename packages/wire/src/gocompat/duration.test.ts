import { describe, expect, it } from "vitest";
import {
  formatGoDuration,
  formatGoDurationMs,
  GoDurationError,
  parseGoDuration,
  parseGoDurationMs,
} from "./duration.ts";

describe("parseGoDuration", () => {
  it.each([
    ["0", 0n],
    ["-0", 0n],
    ["+0", 0n],
    ["0s", 0n],
    ["10s", 10_000_000_000n],
    ["500ms", 500_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1m30s", 90_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    ["-1.5h", -5_400_000_000_000n],
    ["+5s", 5_000_000_000n],
    [".5s", 500_000_000n],
    ["5.s", 5_000_000_000n],
    ["1h1h", 7_200_000_000_000n],
    ["3us", 3000n],
    ["3\u00b5s", 3000n],
    ["3\u03bcs", 3000n],
    ["7ns", 7n],
    ["1.0000000001s", 1_000_000_000n],
    ["9223372036854775807ns", 9223372036854775807n],
    ["-9223372036854775808ns", -9223372036854775808n],
    ["0.3333333333333333333h", 1_200_000_000_000n],
  ])("%s", (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  // Messages captured from serf 0.9.4 (`-retry-interval=…`, `"retry_interval": …`).
  it.each([
    ["abc", 'time: invalid duration "abc"'],
    ["", 'time: invalid duration ""'],
    ["-", 'time: invalid duration "-"'],
    [".s", 'time: invalid duration ".s"'],
    ["10", 'time: missing unit in duration "10"'],
    ["1x", 'time: unknown unit "x" in duration "1x"'],
    ["10x", 'time: unknown unit "x" in duration "10x"'],
    ["5\u00b5x", 'time: unknown unit "\\xc2\\xb5x" in duration "5\\xc2\\xb5x"'],
    ["99999999999h", 'time: invalid duration "99999999999h"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
    ['1s"', 'time: unknown unit "s\\"" in duration "1s\\""'],
  ])("rejects %j", (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(GoDurationError);
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it("converts to milliseconds", () => {
    expect(parseGoDurationMs("1m30s")).toBe(90_000);
    expect(parseGoDurationMs("500us")).toBe(0.5);
  });
});

describe("formatGoDuration", () => {
  it.each([
    [0n, "0s"],
    [1n, "1ns"],
    [1500n, "1.5\u00b5s"],
    [500_000_000n, "500ms"],
    [1_000_000_000n, "1s"],
    [1_500_000_000n, "1.5s"],
    [90_000_000_000n, "1m30s"],
    [3_600_000_000_000n, "1h0m0s"],
    [-2_000_000_000n, "-2s"],
    [9223372036854775807n, "2562047h47m16.854775807s"],
  ])("%s ns", (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
  });

  it("formats milliseconds", () => {
    expect(formatGoDurationMs(1000)).toBe("1s");
    expect(formatGoDurationMs(30_000)).toBe("30s");
  });
});

describe("time.ParseDuration as the serf CLI's duration flags use it", () => {
  it("parses every unit, fractions and signs; rejects what Go rejects", () => {
    expect(parseGoDuration("2s")).toBe(2_000_000_000n);
    expect(parseGoDuration("1.5h")).toBe(5_400_000_000_000n);
    expect(parseGoDuration("300ms")).toBe(300_000_000n);
    expect(parseGoDuration("1h2m3s4ms5us6ns")).toBe(3_723_004_005_006n);
    expect(parseGoDuration("10\u00b5s")).toBe(10_000n);
    expect(parseGoDuration(".5s")).toBe(500_000_000n);
    expect(parseGoDuration("-2s")).toBe(-2_000_000_000n);
    expect(parseGoDuration("0")).toBe(0n);
    expect(parseGoDuration("9223372036854775807ns")).toBe(9_223_372_036_854_775_807n);
    for (const bad of ["5", "5x", "", "9223372036854775808ns"]) {
      expect(() => parseGoDuration(bad), bad).toThrow(GoDurationError);
    }
  });
});
