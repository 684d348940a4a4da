/**
 * Go `time.Duration` text: `time.ParseDuration` (with its exact error messages) and
 * `Duration.String`. Durations are carried as nanoseconds in a `bigint` here so that overflow
 * checks match Go's int64 arithmetic; the config layer converts to milliseconds.
 */

import { timeQuote } from "./quote.ts";
import { utf8Bytes } from "./utf8.ts";

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SECOND = 1000n * MS;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", NS],
  ["us", US],
  ["\u00b5s", US], // U+00B5 micro sign
  ["\u03bcs", US], // U+03BC Greek letter mu
  ["ms", MS],
  ["s", SECOND],
  ["m", MINUTE],
  ["h", HOUR],
]);

const LIMIT = 1n << 63n;
const MAX_INT64 = LIMIT - 1n;

/** A duration string Go's `time.ParseDuration` rejects; the message is Go's. */
export class GoDurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoDurationError";
  }
}

function isDigit(c: number | undefined): c is number {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * Go `time.ParseDuration`: a possibly signed sequence of decimal numbers, each with an optional
 * fraction and a unit suffix (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), e.g. `"300ms"`, `"-1.5h"`,
 * `"2h45m"`. Returns nanoseconds; throws `GoDurationError` with Go's message
 * (`time: invalid duration "x"`, `time: missing unit in duration "10"`,
 * `time: unknown unit "x" in duration "10x"`).
 */
export function parseGoDuration(text: string): bigint {
  const s = utf8Bytes(text);
  const invalid = () => new GoDurationError(`time: invalid duration ${timeQuote(s)}`);
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s[0] === 0x2d || s[0] === 0x2b)) {
    neg = s[0] === 0x2d;
    i = 1;
  }
  if (s.length - i === 1 && s[i] === 0x30) return 0n;
  if (i === s.length) throw invalid();
  let d = 0n;
  while (i < s.length) {
    const c = s[i];
    if (!(c === 0x2e || isDigit(c))) throw invalid();
    // leadingInt
    const intStart = i;
    let v = 0n;
    while (isDigit(s[i])) {
      if (v > LIMIT / 10n) throw invalid();
      v = v * 10n + BigInt((s[i] as number) - 0x30);
      if (v > LIMIT) throw invalid();
      i++;
    }
    const pre = i !== intStart;
    // leadingFraction
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === 0x2e) {
      i++;
      const fracStart = i;
      let overflow = false;
      while (isDigit(s[i])) {
        if (!overflow) {
          if (f > MAX_INT64 / 10n) {
            overflow = true;
          } else {
            const y = f * 10n + BigInt((s[i] as number) - 0x30);
            if (y > LIMIT) {
              overflow = true;
            } else {
              f = y;
              scale *= 10;
            }
          }
        }
        i++;
      }
      post = i !== fracStart;
    }
    if (!pre && !post) throw invalid();
    // unit
    const unitStart = i;
    while (i < s.length && !(s[i] === 0x2e || isDigit(s[i]))) i++;
    if (i === unitStart) {
      throw new GoDurationError(`time: missing unit in duration ${timeQuote(s)}`);
    }
    const unitBytes = s.subarray(unitStart, i);
    const unit = UNITS.get(new TextDecoder().decode(unitBytes));
    if (unit === undefined) {
      throw new GoDurationError(
        `time: unknown unit ${timeQuote(unitBytes)} in duration ${timeQuote(s)}`,
      );
    }
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64: uint64(float64(f) * (float64(unit) / scale)).
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) throw invalid();
    }
    d += v;
    if (d > LIMIT) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX_INT64) throw invalid();
  return d;
}

/** `parseGoDuration` converted to milliseconds (fractions of a millisecond are kept). */
export function parseGoDurationMs(text: string): number {
  return Number(parseGoDuration(text)) / 1e6;
}

function fmtFrac(v: bigint, prec: number): [text: string, rest: bigint] {
  let text = "";
  let print = false;
  for (let k = 0; k < prec; k++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) text = digit.toString() + text;
    v /= 10n;
  }
  return [print ? `.${text}` : "", v];
}

/**
 * Go `Duration.String` for a nanosecond count: `"0s"`, `"1.5µs"`, `"500ms"`, `"1s"`,
 * `"1m30s"`, `"1h0m0s"`, `"-2s"`.
 */
export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return "0s";
    let prec: number;
    let unit: string;
    if (u < US) {
      prec = 0;
      unit = "ns";
    } else if (u < MS) {
      prec = 3;
      unit = "\u00b5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, rest] = fmtFrac(u, 9);
    u = rest;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `formatGoDuration` for a millisecond value (rounded to whole nanoseconds). */
export function formatGoDurationMs(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms * 1e6)));
}
