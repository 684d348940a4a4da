/**
 * The HTTP API's filter regexps (`?status=`, `?name=`, `?tag.<key>=`): RE2 syntax and
 * linear-time matching through the same engine as queries and RPC filters (serf's
 * `compileGoRegexp`, re2js with a bounded DFA cache), anchored the way Go serf's
 * `members -status/-name/-tag` anchors them (`^` + expr + `$`, so `a|b` is `^a|b$`).
 */

import { compileGoRegexp } from "@serf-ts/serf/core";

/** A filter regexp that does not compile. */
export class FilterRegexpError extends Error {
  readonly expr: string;
  constructor(expr: string, message: string) {
    super(message);
    this.name = "FilterRegexpError";
    this.expr = expr;
  }
}

/** Longest filter expression accepted (characters). */
export const MAX_FILTER_LENGTH = 1024;

/** A compiled filter: `test(text)` says whether `text` passes. */
export interface FilterRegexp {
  test(text: string): boolean;
}

/** Compiles `expr` anchored as `^expr$`. @throws FilterRegexpError */
export function compileFilterRegexp(expr: string): FilterRegexp {
  if (expr.length > MAX_FILTER_LENGTH) {
    throw new FilterRegexpError(expr, `regexp longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const compiled = compileGoRegexp(`^${expr}$`);
  if (!compiled.ok) {
    throw new FilterRegexpError(
      expr,
      `invalid regexp ${JSON.stringify(expr)}: ${compiled.message}`,
    );
  }
  const re = compiled.regexp;
  return { test: (text) => re.test(text) };
}
