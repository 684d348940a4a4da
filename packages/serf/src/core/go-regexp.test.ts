import { describe, expect, it } from "vitest";
import { compileGoRegexp, goRegexpMatch } from "./go-regexp.ts";

const match = (expr: string, s: string): boolean => {
  const r = goRegexpMatch(expr, s);
  if (typeof r !== "boolean") throw new Error(`${expr}: ${r.kind}: ${r.message}`);
  return r;
};
const kind = (expr: string): string | undefined => {
  const r = compileGoRegexp(expr);
  return r.ok ? undefined : r.kind;
};

describe("compileGoRegexp: Go regexp.MatchString semantics", () => {
  it("searches unanchored, like Go", () => {
    expect(match("web", "web")).toBe(true);
    expect(match("web", "webserver")).toBe(true);
    expect(match("web", "my-web-1")).toBe(true);
    expect(match("^web$", "webserver")).toBe(false);
    expect(match("^web$", "web")).toBe(true);
    expect(match("", "")).toBe(true);
    expect(match("x", "")).toBe(false);
    expect(match("^(web|db)-[0-9]+$", "db-12")).toBe(true);
    expect(match("^(web|db)-[0-9]+$", "db-")).toBe(false);
  });

  it("`.` excludes only \\n; `$` is end of text without (?m)", () => {
    expect(match("^a.b$", "a\rb")).toBe(true); // JS `.` would not match \r
    expect(match("^a.b$", "a\u2028b")).toBe(true);
    expect(match("^a.b$", "a\nb")).toBe(false);
    expect(match("(?s)^a.b$", "a\nb")).toBe(true);
    expect(match("a$", "a\n")).toBe(false); // Go `$` is \z without (?m)
    expect(match("(?m)a$", "a\nb")).toBe(true);
    expect(match("(?m)^b", "a\nb")).toBe(true);
    expect(match("(?m)^b", "a\rb")).toBe(false); // only \n breaks lines in Go
    expect(match("\\Aa", "ba")).toBe(false);
    expect(match("a\\z", "ab")).toBe(false);
  });

  it("uses Go's ASCII \\s (no \\v, no Unicode spaces) and \\d, \\w", () => {
    expect(match("^\\s$", " ")).toBe(true);
    expect(match("^\\s$", "\u000b")).toBe(false);
    expect(match("^\\s$", "\u00a0")).toBe(false);
    expect(match("^\\S$", "\u00a0")).toBe(true);
    expect(match("^\\d+$", "0123")).toBe(true);
    expect(match("^\\w+$", "a_Z9")).toBe(true);
    expect(match("^[\\s]$", "\u000b")).toBe(false);
    expect(match("^[^\\d]$", "x")).toBe(true);
  });

  it("accepts Go syntax that JavaScript reads differently", () => {
    expect(match("a{", "a{")).toBe(true); // literal brace
    expect(match("a{,3}", "a{,3}")).toBe(true);
    expect(match("a{01}", "a{01}")).toBe(true); // leading zero: literal
    expect(match("^a{2,3}$", "aaa")).toBe(true);
    expect(match("^a{2,3}$", "aaaa")).toBe(false);
    expect(match("^a{2,}$", "aaaaa")).toBe(true);
    expect(match("}", "}")).toBe(true);
    expect(match("]", "]")).toBe(true);
    expect(match("\\Q.*+\\E", "x.*+")).toBe(true);
    expect(match("\\Q.*+\\E", "xx")).toBe(false);
    expect(match("\\x{263a}", "☺")).toBe(true);
    expect(match("\\x41", "A")).toBe(true);
    expect(match("\\101", "A")).toBe(true); // octal
    expect(match("\\0", "\0")).toBe(true);
    expect(match("\\a", "\u0007")).toBe(true);
    expect(match("\\-\\!\\#\\ ", "-!# ")).toBe(true); // escaped punctuation
    expect(match("^[[:alpha:]]+$", "abcXYZ")).toBe(true);
    expect(match("^[[:^digit:]]+$", "abc")).toBe(true);
    expect(match("^[[:^digit:]]+$", "a1")).toBe(false);
    expect(match("^\\pL+$", "héllo")).toBe(true);
    expect(match("^\\p{Greek}+$", "αβγ")).toBe(true);
    expect(match("^\\P{Greek}+$", "αβγ")).toBe(false);
    expect(match("^\\p{^Greek}$", "a")).toBe(true);
    expect(match("^[\\p{Lu}0-9]+$", "AB12")).toBe(true);
    // Unassigned code points: not in Go 1.19's C, but in re2js's (a documented difference).
    expect(match("^\\pC$", "\u0378")).toBe(true);
    expect(match("^\\pC$", "\u0007")).toBe(true);
    expect(match("(?P<role>web)", "web")).toBe(true);
    expect(match("^*a", "a")).toBe(true); // Go allows repeating an assertion
    expect(match("[]a]", "]")).toBe(true);
    expect(match("[a-]", "-")).toBe(true);
    expect(match("^[a-c-e]+$", "a-e")).toBe(true);
    expect(match("^.$", "😀")).toBe(true); // one rune, not two UTF-16 units
  });

  it("honours leading flags, including U (ungreedy)", () => {
    expect(match("(?i)WEB", "web")).toBe(true);
    expect(match("WEB", "web")).toBe(false);
    expect(match("(?i)(?s)^a.B$", "A\nb")).toBe(true);
    expect(match("(?U)^a+?$", "aaa")).toBe(true);
    expect(match("(?U)^a+b", "aab")).toBe(true);
    expect(match("(?i-i)WEB", "web")).toBe(false);
    // A flag group that changes nothing is fine anywhere.
    expect(match("a(?:b)c", "abc")).toBe(true);
    expect(match("(?i)a(?i:b)c", "ABC")).toBe(true);
  });

  it("rejects what Go rejects (the query is then not processed)", () => {
    for (const expr of [
      "(",
      ")",
      "[a",
      "a**",
      "a*??",
      "*a",
      "a|*",
      "a{1001}",
      "a{2,1}",
      "\\1",
      "(a)\\1",
      "(?=a)",
      "(?!a)",
      "(?<=a)b",
      "(?<n>a)",
      "(?P<>a)",
      "(?P<a>x)(?P<a>y)",
      "\\e",
      "\\cA",
      "\\u0041",
      "\\k<a>",
      "\\C",
      "[\\b]",
      "[z-a]",
      "[a-\\d]",
      "\\p{Nope}",
      "\\x{110000}",
      "\\xZ",
      "(?-)",
      "(?x)",
    ]) {
      expect([expr, kind(expr)]).toEqual([expr, "invalid"]);
    }
  });

  it("accepts mid-pattern flag changes, like Go", () => {
    expect(match("^a(?i)b$", "aB")).toBe(true);
    expect(match("^a(?i:b)c$", "aBc")).toBe(true);
    expect(match("^a(?i:b)c$", "aBC")).toBe(false);
    expect(match("(a(?s).)", "a\n")).toBe(true);
  });

  it("gives Go's error text", () => {
    const r = compileGoRegexp("(");
    expect(!r.ok && r.message).toBe("error parsing regexp: missing closing ): `(`");
    // Go 1.19 reads `(?<` as a flag group with the invalid flag `<` (Go >= 1.22 accepts it).
    const named = compileGoRegexp("(?<n>a)");
    expect(!named.ok && named.message).toBe(
      "error parsing regexp: invalid or unsupported Perl syntax: `(?<`",
    );
    // ... but not when it is quoted, escaped, or in a class.
    expect(match("\\Q(?<n>\\E", "(?<n>")).toBe(true);
    expect(match("\\(?<", "(<")).toBe(true);
    expect(match("[(?<]", "<")).toBe(true);
    expect(match("[](?<]", "<")).toBe(true);
  });

  it("reads bytes as Go reads a string: UTF-8, an invalid byte is one U+FFFD", () => {
    expect(match("^.$", "\u00ff")).toBe(true);
    const ff = goRegexpMatch("^.$", new Uint8Array([0xff]));
    expect(ff).toBe(true);
    expect(goRegexpMatch("^\\x{fffd}$", new Uint8Array([0xff]))).toBe(true);
    expect(goRegexpMatch("^..$", new Uint8Array([0xc3, 0xbf]))).toBe(false); // one rune
    // A raw byte kept in a string (wire's lone-surrogate mapping) matches as Go's U+FFFD.
    expect(match("^a\\x{fffd}b$", "a\udcffb")).toBe(true);
    expect(match("^a.b$", "a\udcffb")).toBe(true);
    expect(match("^a..b$", "a\udcff\udcfeb")).toBe(true);
  });

  it("matches hostile patterns in linear time (no backtracking)", () => {
    // With a backtracking engine each of these takes seconds to centuries.
    const long = "a".repeat(5000);
    expect(match("(a+)+$", `${long}!`)).toBe(false);
    expect(match("^(a+)+$", `${long}!`)).toBe(false);
    expect(match("role=(.*.*)*!", "role=".padEnd(5000, "x"))).toBe(false);
    expect(match("(x+x+)+y", "x".repeat(5000))).toBe(false);
    expect(match("^(a|a)*$", `${long}b`)).toBe(false);
  });
});
