/**
 * Go's `flag` package (Go 1.19, `ContinueOnError`), as every serf subcommand uses it:
 * `-name=value`, `-name value`, `--name value`, `--name=value`; booleans only as `-flag` or
 * `-flag=value`; parsing stops at the first non-flag argument, at `-` and after `--`. Errors go
 * to stderr (`flag provided but not defined: -x`) followed by the command's usage on stdout.
 *
 * The parsing itself is `parseGoFlags` from `@serf-ts/wire/gocompat`, shared with the agent;
 * this is the `flag.FlagSet`-shaped front the commands declare their flags on.
 */

import {
  type FlagKind,
  GoFlagError,
  type GoFlagResult,
  parseGoFlags,
} from "@serf-ts/wire/gocompat";

/** A parsed flag value. */
export interface FlagRef<T> {
  value: T;
}

/** A `flag.FlagSet` with `ContinueOnError`. */
export class FlagSet {
  private readonly defs: Record<string, FlagKind> = {};
  private readonly assign: ((parsed: GoFlagResult) => void)[] = [];
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

  private define<T>(
    name: string,
    kind: FlagKind,
    def: T,
    read: (p: GoFlagResult) => T | undefined,
  ): FlagRef<T> {
    const ref = { value: def };
    this.defs[name] = kind;
    this.assign.push((parsed) => {
      const v = read(parsed);
      if (v !== undefined) ref.value = v;
    });
    return ref;
  }

  string(name: string, def: string): FlagRef<string> {
    return this.define(name, "string", def, (p) => p.strings.get(name));
  }

  bool(name: string, def: boolean): FlagRef<boolean> {
    return this.define(name, "bool", def, (p) => p.bools.get(name));
  }

  /** An `int` flag (64-bit in Go; kept as a double here). */
  int(name: string, def: number): FlagRef<number> {
    return this.define(name, "int", def, (p) => p.ints.get(name));
  }

  /** A `time.Duration` flag, in nanoseconds. */
  duration(name: string, defNs: number): FlagRef<number> {
    return this.define(name, "duration", defNs, (p) => {
      const ns = p.durations.get(name);
      return ns === undefined ? undefined : Number(ns);
    });
  }

  /** A repeatable string flag (serf's `AppendSliceValue`). */
  list(name: string): FlagRef<string[]> {
    return this.define<string[]>(name, "list", [], (p) => p.lists.get(name));
  }

  /** Arguments after the flags. */
  args(): string[] {
    return this.rest;
  }

  /** Parses `args`; on an error prints it (and the usage) and returns false. */
  parse(args: readonly string[]): boolean {
    let parsed: GoFlagResult;
    try {
      parsed = parseGoFlags(args, this.defs);
    } catch (err) {
      if (!(err instanceof GoFlagError)) throw err;
      if (!err.help) this.stderr(`${err.message}\n`);
      this.usage();
      return false;
    }
    for (const assign of this.assign) assign(parsed);
    this.rest = parsed.args;
    return true;
  }
}
