/**
 * Go `regexp` (RE2 syntax, Perl flags) for serf's filters, evaluated by `re2js`, the pure
 * JavaScript port of RE2: linear time in the input, like Go, so a hostile pattern such as
 * `(.*.*)*!` or `(a+)+$` cannot stall the event loop (a backtracking `RegExp` could, for
 * minutes). re2js parses the syntax Go 1.19 accepts and rejects what it rejects, with Go's
 * error text (`error parsing regexp: missing closing ): ...`).
 *
 * Remaining differences from Go 1.19.8 (the Go that built the reference serf 0.9.4):
 * - `(?<name>re)` is a named group in re2js (and in Go >= 1.22) but a syntax error in Go 1.19;
 *   it is rejected here before re2js sees it, with Go 1.19's message.
 * - Unicode tables: re2js carries a newer Unicode version than Go 1.19 (Unicode 13), and its
 *   `\pC` also covers unassigned code points, so class membership of rare code points may
 *   differ.
 *
 * Pure (no I/O, no clock): usable in the sans-I/O core.
 */

import { goStringToBytes, hasRawBytes } from "@serf-ts/wire/codec";
import { RE2JS } from "re2js";

/** A compiled Go regexp: `test` is Go `(*Regexp).Match`/`MatchString`, an unanchored search. */
export interface GoRegexp {
  /** The expression as given. */
  readonly source: string;
  /**
   * Whether the expression matches anywhere in the input. A `Uint8Array` is read as Go reads a
   * string: UTF-8, with each invalid byte as U+FFFD of width one.
   */
  test(input: string | Uint8Array): boolean;
}

/** Result of {@link compileGoRegexp}. */
export type GoRegexpResult =
  | { readonly ok: true; readonly regexp: GoRegexp; readonly source: string }
  | {
      readonly ok: false;
      /** Go rejects the expression too (the only kind: the engine covers Go's syntax). */
      readonly kind: "invalid";
      /** Go's `regexp.Compile` error text, e.g. ``error parsing regexp: missing closing ): `(` ``. */
      readonly message: string;
    };

/**
 * Finds `(?<` outside escapes, `\Q…\E` quotes and character classes: Go 1.19 reads it as a
 * flag group with the invalid flag `<`.
 */
function findAngleGroup(expr: string): boolean {
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === "\\") {
      if (expr[i + 1] === "Q") {
        const end = expr.indexOf("\\E", i + 2);
        if (end < 0) return false;
        i = end + 2;
      } else {
        i += 2;
      }
      continue;
    }
    if (c === "[") {
      i++;
      if (expr[i] === "^") i++;
      if (expr[i] === "]") i++; // a leading `]` is a literal
      while (i < expr.length && expr[i] !== "]") {
        if (expr[i] === "\\") i += 2;
        else if (expr.startsWith("[:", i)) {
          const end = expr.indexOf(":]", i + 2);
          i = end < 0 ? i + 1 : end + 2;
        } else i++;
      }
      i++;
      continue;
    }
    if (c === "(" && expr.startsWith("(?<", i)) return true;
    i++;
  }
  return false;
}

/**
 * DFA cache a compiled regexp may keep between evaluations. re2js's lazy DFA may grow to 8 MiB
 * per regexp; kept by a cache of compiled filters (64 entries), hostile queries could make
 * an agent hold half a gigabyte. Above this, the DFA is dropped after each evaluation (rebuilt
 * on the next one: slower, bounded memory).
 */
export const MAX_RETAINED_DFA_BYTES = 256 * 1024;

/** The fields of re2js's lazy DFA read here (re2js 2.x; guarded in case they change). */
interface LazyDfaHolder {
  lazyDFA: { readonly maxMem?: unknown; readonly memBudget?: unknown } | null;
}

class Re2GoRegexp implements GoRegexp {
  readonly source: string;
  readonly #re: RE2JS;
  constructor(source: string, re: RE2JS) {
    this.source = source;
    this.#re = re;
  }
  test(input: string | Uint8Array): boolean {
    // A string holding raw bytes of a Go string (see @serf-ts/wire goStringFromBytes) is
    // matched as those bytes, as Go matches them: each invalid byte is one U+FFFD.
    const subject =
      typeof input === "string" && hasRawBytes(input) ? goStringToBytes(input) : input;
    const matched = this.#re.test(subject);
    this.#trimDfa();
    return matched;
  }
  /** Drops a large lazy DFA (see `MAX_RETAINED_DFA_BYTES`). */
  #trimDfa(): void {
    const holder = this.#re.re2() as unknown as LazyDfaHolder;
    const dfa = holder.lazyDFA;
    if (dfa === null || dfa === undefined) return;
    const used =
      typeof dfa.maxMem === "number" && typeof dfa.memBudget === "number"
        ? dfa.maxMem - dfa.memBudget
        : Number.POSITIVE_INFINITY;
    if (used > MAX_RETAINED_DFA_BYTES) holder.lazyDFA = null;
  }
}

/** Compiles a Go regular expression (Go `regexp.Compile`), or returns Go's error. */
export function compileGoRegexp(expr: string): GoRegexpResult {
  if (findAngleGroup(expr)) {
    return {
      ok: false,
      kind: "invalid",
      message: "error parsing regexp: invalid or unsupported Perl syntax: `(?<`",
    };
  }
  try {
    return { ok: true, regexp: new Re2GoRegexp(expr, RE2JS.compile(expr)), source: expr };
  } catch (err) {
    return { ok: false, kind: "invalid", message: (err as Error).message };
  }
}

/**
 * Go `regexp.MatchString(expr, s)`: true/false, or the compile failure (Go then refuses to
 * process the query).
 */
export function goRegexpMatch(
  expr: string,
  s: string | Uint8Array,
): boolean | Extract<GoRegexpResult, { ok: false }> {
  const r = compileGoRegexp(expr);
  return r.ok ? r.regexp.test(s) : r;
}
