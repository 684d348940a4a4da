/**
 * The parts of Go's `strconv` whose exact behaviour is visible to users: integer and boolean
 * parsing for command-line flags, and float formatting for `%v` in decode errors.
 */

/** Why a Go number parse failed: `strconv.ErrSyntax` or `strconv.ErrRange`. */
export type GoNumErrorKind = "syntax" | "range";

/** A failed `strconv.ParseInt` / `ParseBool`. */
export class GoNumError extends Error {
  readonly kind: GoNumErrorKind;
  constructor(kind: GoNumErrorKind, input: string) {
    super(
      kind === "syntax"
        ? `parsing ${JSON.stringify(input)}: invalid syntax`
        : `parsing ${JSON.stringify(input)}: value out of range`,
    );
    this.name = "GoNumError";
    this.kind = kind;
  }
}

function lower(c: number): number {
  return c | 0x20;
}

function underscoreOk(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0") {
    const p = lower(s.charCodeAt(1));
    if (p === 0x62 || p === 0x6f || p === 0x78) {
      i = 2;
      saw = "0";
      hex = p === 0x78;
    }
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (hex && lower(c) >= 0x61 && lower(c) <= 0x66)) {
      saw = "0";
      continue;
    }
    if (c === 0x5f) {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

function parseUint(s: string, base: number, bitSize: number): bigint {
  if (s === "") throw new GoNumError("syntax", s);
  const base0 = base === 0;
  const s0 = s;
  if (base0) {
    base = 10;
    if (s[0] === "0") {
      const p = s.length >= 3 ? lower(s.charCodeAt(1)) : 0;
      if (p === 0x62) {
        base = 2;
        s = s.slice(2);
      } else if (p === 0x6f) {
        base = 8;
        s = s.slice(2);
      } else if (p === 0x78) {
        base = 16;
        s = s.slice(2);
      } else {
        base = 8;
        s = s.slice(1);
      }
    }
  }
  const maxVal = (1n << BigInt(bitSize)) - 1n;
  const bigBase = BigInt(base);
  const cutoff = ((1n << 64n) - 1n) / bigBase + 1n;
  let underscores = false;
  let n = 0n;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c === 0x5f && base0) {
      underscores = true;
      continue;
    } else if (c >= 0x30 && c <= 0x39) {
      d = c - 0x30;
    } else if (lower(c) >= 0x61 && lower(c) <= 0x7a) {
      d = lower(c) - 0x61 + 10;
    } else {
      throw new GoNumError("syntax", s0);
    }
    if (d >= base) throw new GoNumError("syntax", s0);
    if (n >= cutoff) throw new GoNumError("range", s0);
    n *= bigBase;
    const n1 = n + BigInt(d);
    if (n1 > maxVal) throw new GoNumError("range", s0);
    n = n1;
  }
  if (underscores && !underscoreOk(s0)) throw new GoNumError("syntax", s0);
  return n;
}

/**
 * Go `strconv.ParseInt(s, base, bitSize)`, including base 0 (prefixes `0x`, `0o`, `0b`, a leading
 * `0` for octal, and `_` digit separators). Throws `GoNumError`.
 */
export function parseGoInt(s: string, base = 0, bitSize = 64): bigint {
  if (s === "") throw new GoNumError("syntax", s);
  const s0 = s;
  let neg = false;
  if (s[0] === "+") {
    s = s.slice(1);
  } else if (s[0] === "-") {
    neg = true;
    s = s.slice(1);
  }
  let un: bigint;
  try {
    un = parseUint(s, base, bitSize);
  } catch (err) {
    if (err instanceof GoNumError) throw new GoNumError(err.kind, s0);
    throw err;
  }
  const cutoff = 1n << BigInt(bitSize - 1);
  if (!neg && un >= cutoff) throw new GoNumError("range", s0);
  if (neg && un > cutoff) throw new GoNumError("range", s0);
  return neg ? -un : un;
}

/** Go `strconv.ParseBool`: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False. */
export function parseGoBool(s: string): boolean {
  switch (s) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
      return false;
    default:
      throw new GoNumError("syntax", s);
  }
}

/**
 * A float64 as Go's `%v` prints it (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits
 * that round-trip, in exponent form when the decimal exponent is below -4 or at least 6.
 * Examples: `1`, `2.5`, `123456.5`, `1e+06`, `1.234567e+06`, `1e-05`.
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  if (abs === 0) return negative ? "-0" : "0";
  const [mantissa = "0", expText = "0"] = abs.toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  let body: string;
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const sign = exp < 0 ? "-" : "+";
    body = `${digits[0]}${frac}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (exp < 0) {
    body = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    body = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${body}` : body;
}
