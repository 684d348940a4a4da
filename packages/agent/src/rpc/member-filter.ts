/**
 * `members-filtered` (Go `AgentIPC.filterMembers`): every non-empty filter is a Go (RE2)
 * regexp wrapped as `^` + expr + `$` (not a full-match: `a|b` becomes `^a|b$`); filters are
 * ANDed; a missing tag matches as the empty string.
 */

import { compileGoRegexp, type GoRegexp } from "@serf-ts/serf/core";
import type { Member, StringMap } from "@serf-ts/wire/rpc";

/** A filter regexp that does not compile; Go then drops the connection without a reply. */
export class MemberFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MemberFilterError";
  }
}

/** Go `regexp.Compile("^" + expr + "$")`, linear-time (re2js). */
function compileAnchored(expr: string): GoRegexp {
  const result = compileGoRegexp(`^${expr}$`);
  if (!result.ok) throw new MemberFilterError(`Failed to compile regex: ${result.message}`);
  return result.regexp;
}

/**
 * The members that pass the filters, in their original order. Throws `MemberFilterError` if a
 * regexp does not compile (every regexp is compiled, including empty ones, as Go does).
 */
export function filterMembers(
  members: readonly Member[],
  tags: StringMap,
  status: string,
  name: string,
): Member[] {
  const tagRes: Array<[string, GoRegexp]> = [];
  for (const [tag, expr] of tags) tagRes.push([tag, compileAnchored(expr)]);
  const statusRe = compileAnchored(status);
  const nameRe = compileAnchored(name);
  return members.filter((m) => {
    for (const [tag, re] of tagRes) {
      if (!re.test(m.tags.get(tag) ?? "")) return false;
    }
    if (status !== "" && !statusRe.test(m.status)) return false;
    if (name !== "" && !nameRe.test(m.name)) return false;
    return true;
  });
}
