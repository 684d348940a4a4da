/**
 * Go's `flag` package (Go 1.19, `ContinueOnError`), as every serf subcommand uses it:
 * `-name=value`, `-name value`, `--name value`, `--name=value`; booleans only as `-flag` or
 * `-flag=value`; parsing stops at the first non-flag argument, at `-` and after `--`. Errors go
 * to stderr (`flag provided but not defined: -x`) followed by the command's usage on stdout.
 */

import { goQuote } from "./go-format.ts";

type FlagKind = "string" | "bool" | "int" | "duration" | "list";

/** A parsed flag value. */
export interface FlagRef<T> {
  value: T;
}

interface FlagDef {
  readonly kind: FlagKind;
  readonly set: (text: string) => string | null;
}

const PARSE_ERROR = "parse error";
const RANGE_ERROR = "value out of range";

/** `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
}

/** `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-0 octal, `_` separators. */
export function parseGoInt(s: string): number | bigint | "syntax" | "range" {
  let rest = s;
  let negative = false;
  if (rest.startsWith("+") || rest.startsWith("-")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest.includes("_")) {
    // Go allows `_` between digits (a base prefix counts as a digit) when the base is 0.
    const prefixed = /^0[xXbBoO]/.test(rest);
    const body = prefixed ? rest.slice(2) : rest;
    const ok = (
      prefixed ? /^_?[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/ : /^[0-9a-zA-Z]+(_[0-9a-zA-Z]+)*$/
    ).test(body);
    if (!ok) return "syntax";
    rest = rest.replaceAll("_", "");
  }
  let base = 10;
  let digits = rest;
  const lower = rest.toLowerCase();
  if (lower.startsWith("0x")) {
    base = 16;
    digits = rest.slice(2);
  } else if (lower.startsWith("0b")) {
    base = 2;
    digits = rest.slice(2);
  } else if (lower.startsWith("0o")) {
    base = 8;
    digits = rest.slice(2);
  } else if (rest.length > 1 && rest.startsWith("0")) {
    base = 8;
    digits = rest.slice(1);
  }
  if (digits === "") return "syntax";
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base];
  if (valid === undefined || !valid.test(digits)) return "syntax";
  const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
  let n = BigInt(`${prefix}${digits}`);
  if (negative) n = -n;
  if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n) return "range";
  return Number.isSafeInteger(Number(n)) ? Number(n) : n;
}

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  "\u03bcs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** `time.ParseDuration`, in nanoseconds; `null` when invalid. */
export function parseGoDuration(s: string): number | null {
  let rest = s;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return null;
  let total = 0;
  while (rest !== "") {
    const m = /^([0-9]*)(\.[0-9]*)?([^0-9.]+)/.exec(rest);
    if (m === null) return null;
    const [whole, intPart = "", fracPart = "", unitText = ""] = m;
    if (intPart === "" && (fracPart === "" || fracPart === ".")) return null;
    const unitMatch = /^(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/.exec(unitText);
    if (unitMatch === null || unitMatch[0] !== unitText) return null;
    const unit = UNITS[unitText]!;
    total += Number(`${intPart === "" ? "0" : intPart}${fracPart === "." ? "" : fracPart}`) * unit;
    rest = rest.slice(whole.length);
  }
  if (total > 2 ** 63 - 1) return null;
  return negative ? -Math.round(total) : Math.round(total);
}

/** A `flag.FlagSet` with `ContinueOnError`. */
export class FlagSet {
  private readonly defs = new Map<string, FlagDef>();
  private readonly stderr: (text: string) => void;
  private readonly usage: () => void;
  private rest: string[] = [];

  /**
   * @param stderr where parse errors go (Go's `f.Output()`)
   * @param usage prints the command help (serf commands print it on stdout)
   */
  constructor(stderr: (text: string) => void, usage: () => void) {
    this.stderr = stderr;
    this.usage = usage;
  }

  string(name: string, def: string): FlagRef<string> {
    const ref = { value: def };
    this.defs.set(name, {
      kind: "string",
      set: (t) => {
        ref.value = t;
        return null;
      },
    });
    return ref;
  }

  bool(name: string, def: boolean): FlagRef<boolean> {
    const ref = { value: def };
    this.defs.set(name, {
      kind: "bool",
      set: (t) => {
        const v = parseGoBool(t);
        if (v === null) return PARSE_ERROR;
        ref.value = v;
        return null;
      },
    });
    return ref;
  }

  /** An `int` flag (64-bit; values beyond 2^53 are kept as bigint). */
  int(name: string, def: number): FlagRef<number | bigint> {
    const ref: FlagRef<number | bigint> = { value: def };
    this.defs.set(name, {
      kind: "int",
      set: (t) => {
        const v = parseGoInt(t);
        if (v === "syntax") return PARSE_ERROR;
        if (v === "range") return RANGE_ERROR;
        ref.value = v;
        return null;
      },
    });
    return ref;
  }

  /** A `time.Duration` flag, in nanoseconds. */
  duration(name: string, defNs: number): FlagRef<number> {
    const ref = { value: defNs };
    this.defs.set(name, {
      kind: "duration",
      set: (t) => {
        const v = parseGoDuration(t);
        if (v === null) return PARSE_ERROR;
        ref.value = v;
        return null;
      },
    });
    return ref;
  }

  /** A repeatable string flag (serf's `AppendSliceValue`). */
  list(name: string): FlagRef<string[]> {
    const ref: FlagRef<string[]> = { value: [] };
    this.defs.set(name, {
      kind: "list",
      set: (t) => {
        ref.value.push(t);
        return null;
      },
    });
    return ref;
  }

  /** Arguments after the flags. */
  args(): string[] {
    return this.rest;
  }

  private fail(message: string): false {
    this.stderr(`${message}\n`);
    this.usage();
    return false;
  }

  /** Parses `args`; on an error prints it (and the usage) and returns false. */
  parse(args: readonly string[]): boolean {
    const queue = [...args];
    for (;;) {
      const s = queue[0];
      if (s === undefined || s.length < 2 || s[0] !== "-") break;
      let minuses = 1;
      if (s[1] === "-") {
        minuses = 2;
        if (s.length === 2) {
          queue.shift();
          break;
        }
      }
      let name = s.slice(minuses);
      if (name === "" || name[0] === "-" || name[0] === "=") {
        return this.fail(`bad flag syntax: ${s}`);
      }
      queue.shift();
      let value = "";
      let hasValue = false;
      const eq = name.indexOf("=", 1);
      if (eq > 0) {
        value = name.slice(eq + 1);
        hasValue = true;
        name = name.slice(0, eq);
      }
      const def = this.defs.get(name);
      if (def === undefined) {
        if (name === "help" || name === "h") {
          this.usage();
          return false;
        }
        return this.fail(`flag provided but not defined: -${name}`);
      }
      if (def.kind === "bool") {
        if (hasValue) {
          const err = def.set(value);
          if (err !== null) {
            return this.fail(`invalid boolean value ${goQuote(value)} for -${name}: ${err}`);
          }
        } else {
          def.set("true");
        }
        continue;
      }
      if (!hasValue && queue.length > 0) {
        value = queue.shift()!;
        hasValue = true;
      }
      if (!hasValue) return this.fail(`flag needs an argument: -${name}`);
      const err = def.set(value);
      if (err !== null)
        return this.fail(`invalid value ${goQuote(value)} for flag -${name}: ${err}`);
    }
    this.rest = queue;
    return true;
  }
}
