/**
 * Command-line parsing with Go's `flag` package semantics (what `serf agent` uses):
 *
 * - `-name=value`, `-name value`, `--name=value`, `--name value` are all the same;
 * - boolean flags take `-name` or `-name=VALUE` (Go `ParseBool`), never a separate argument;
 * - a flag given twice: the last value wins, except list flags, which append;
 * - parsing stops at the first non-flag argument (or `-`), and after `--`;
 * - `-h` / `-help` (when not defined) ask for help.
 *
 * Errors carry Go's text: `flag provided but not defined: -x`, `flag needs an argument: -x`,
 * `bad flag syntax: ---x`, `invalid value "v" for flag -x: parse error`,
 * `invalid boolean value "v" for -x: parse error`.
 */

import { GoDurationError, parseGoDuration } from "./duration.ts";
import { goQuote } from "./quote.ts";
import { GoNumError, parseGoBool, parseGoInt } from "./strconv.ts";

/**
 * Value kinds: `int` is a Go `int` (64-bit, base-0 syntax such as `0x10`), `duration` a
 * `time.Duration` (`time.ParseDuration` syntax), `list` a repeatable string (serf's
 * `AppendSliceValue`).
 */
export type FlagKind = "string" | "bool" | "int" | "duration" | "list";

/** Why parsing stopped: help requested, or a bad command line. */
export class GoFlagError extends Error {
  readonly help: boolean;
  constructor(message: string, help = false) {
    super(message);
    this.name = "GoFlagError";
    this.help = help;
  }
}

/** Parsed values by flag name (only flags that were given), and the remaining arguments. */
export interface GoFlagResult {
  readonly strings: Map<string, string>;
  readonly bools: Map<string, boolean>;
  /** `int` flags; a value beyond 2^53 is rounded to the nearest double (Go keeps 64 bits). */
  readonly ints: Map<string, number>;
  /** `duration` flags, in nanoseconds (Go's int64 `time.Duration`). */
  readonly durations: Map<string, bigint>;
  readonly lists: Map<string, string[]>;
  /** Arguments from the first non-flag on (`--` itself removed). */
  readonly args: string[];
}

function numErrorText(err: unknown): string {
  if (err instanceof GoNumError) return err.kind === "range" ? "value out of range" : "parse error";
  // Go's flag package reports every time.ParseDuration failure as errParse.
  if (err instanceof GoDurationError) return "parse error";
  throw err;
}

/**
 * Parses `argv` against `defs` (flag name → kind). List flags listed under the same name in
 * `listAlias` share one list (Go binds `-config-file` and `-config-dir` to one slice).
 */
export function parseGoFlags(
  argv: readonly string[],
  defs: Readonly<Record<string, FlagKind>>,
  listAlias: Readonly<Record<string, string>> = {},
): GoFlagResult {
  const result: GoFlagResult = {
    strings: new Map(),
    bools: new Map(),
    ints: new Map(),
    durations: new Map(),
    lists: new Map(),
    args: [],
  };
  let i = 0;
  while (i < argv.length) {
    const s = argv[i] as string;
    if (s.length < 2 || s[0] !== "-") break;
    let minuses = 1;
    if (s[1] === "-") {
      minuses = 2;
      if (s.length === 2) {
        i++;
        break;
      }
    }
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === "-" || name[0] === "=") {
      throw new GoFlagError(`bad flag syntax: ${s}`);
    }
    i++;
    let value = "";
    let hasValue = false;
    const eq = name.indexOf("=", 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      hasValue = true;
      name = name.slice(0, eq);
    }
    const kind = Object.hasOwn(defs, name) ? defs[name] : undefined;
    if (kind === undefined) {
      if (name === "help" || name === "h") throw new GoFlagError("flag: help requested", true);
      throw new GoFlagError(`flag provided but not defined: -${name}`);
    }
    if (kind === "bool") {
      if (!hasValue) {
        result.bools.set(name, true);
        continue;
      }
      try {
        result.bools.set(name, parseGoBool(value));
      } catch (err) {
        throw new GoFlagError(
          `invalid boolean value ${goQuote(value)} for -${name}: ${numErrorText(err)}`,
        );
      }
      continue;
    }
    if (!hasValue && i < argv.length) {
      value = argv[i] as string;
      hasValue = true;
      i++;
    }
    if (!hasValue) throw new GoFlagError(`flag needs an argument: -${name}`);
    switch (kind) {
      case "string":
        result.strings.set(name, value);
        break;
      case "int":
        try {
          result.ints.set(name, Number(parseGoInt(value, 0, 64)));
        } catch (err) {
          throw new GoFlagError(
            `invalid value ${goQuote(value)} for flag -${name}: ${numErrorText(err)}`,
          );
        }
        break;
      case "duration":
        try {
          result.durations.set(name, parseGoDuration(value));
        } catch (err) {
          throw new GoFlagError(
            `invalid value ${goQuote(value)} for flag -${name}: ${numErrorText(err)}`,
          );
        }
        break;
      case "list": {
        const key = listAlias[name] ?? name;
        const list = result.lists.get(key) ?? [];
        list.push(value);
        result.lists.set(key, list);
        break;
      }
    }
  }
  result.args.push(...argv.slice(i));
  return result;
}
