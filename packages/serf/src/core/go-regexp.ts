/**
 * Go `regexp` (RE2 syntax, Perl flags) translated to an equivalent JavaScript `RegExp`, for
 * serf's tag filters (`regexp.MatchString(expr, value)`: an **unanchored** search).
 *
 * The translator parses the RE2 pattern itself, rejects what Go rejects, and emits a `u`-mode
 * JavaScript pattern whose *match/no-match* answer equals Go's (captures are not needed and are
 * all turned into non-capturing groups). What differs between the two dialects and how it is
 * handled:
 *
 * - syntax Go rejects but JS accepts (backreferences `\1`, lookarounds `(?=`, `(?<=`, `(?<name>`
 *   in Go 1.19, `\e`, `\cX`, `\u…`, `\k<…>`, `[\b]`, `\pCn`…) → `invalid`, like Go;
 * - syntax Go accepts but JS (`u` mode) rejects or reads differently (literal `{`/`}`/`]`,
 *   `a{,3}`, `\Q…\E`, `\x{…}`, octal `\012`, `\a`, escaped punctuation, POSIX `[[:alpha:]]`,
 *   `\pL`, script names `\p{Greek}`, quantified assertions `^*`) → rewritten;
 * - semantic differences: `.` is `[^\n]` (JS would also exclude `\r`, U+2028/9), `\s` is
 *   `[\t\n\f\r ]` (JS adds `\v` and Unicode spaces), `\pC` excludes unassigned code points (JS
 *   includes them), multi-line `^`/`$` only break at `\n` → rewritten to Go's meaning;
 * - flags: `(?imsU)` at the very start of the pattern becomes JS flags (`U` swaps greediness
 *   of every quantifier); a flag group anywhere else that changes a flag is `unsupported`
 *   (Node 20 has no inline modifiers), so the query is not processed although Go would;
 * - performance: Go matches in linear time; JS backtracks, so a hostile pattern such as
 *   `(a+)+$` can take exponential time on a long tag value. Tag values are bounded by the
 *   512-byte Meta limit, which bounds but does not remove the risk;
 * - Unicode tables: Go 1.19 knows Unicode 13, Node 20 a newer version, so script and category
 *   membership of recently assigned code points may differ; repeat counts over 1000 are
 *   rejected like Go, Go's program-size limit is not reproduced.
 */

/** Result of {@link compileGoRegexp}. */
export type GoRegexpResult =
  | { readonly ok: true; readonly regexp: RegExp; readonly source: string }
  | {
      readonly ok: false;
      /** `invalid`: Go rejects it too. `unsupported`: Go accepts it, this translator cannot. */
      readonly kind: "invalid" | "unsupported";
      readonly message: string;
    };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

class TranslateError extends Error {
  readonly kind: "invalid" | "unsupported";
  constructor(kind: "invalid" | "unsupported", message: string) {
    super(message);
    this.kind = kind;
  }
}

const invalid = (msg: string): TranslateError => new TranslateError("invalid", msg);
const unsupported = (msg: string): TranslateError => new TranslateError("unsupported", msg);

/** Go 1.19 `unicode.Categories` names. */
const GO_CATEGORIES = new Set([
  "C",
  "Cc",
  "Cf",
  "Co",
  "Cs",
  "L",
  "Ll",
  "Lm",
  "Lo",
  "Lt",
  "Lu",
  "M",
  "Mc",
  "Me",
  "Mn",
  "N",
  "Nd",
  "Nl",
  "No",
  "P",
  "Pc",
  "Pd",
  "Pe",
  "Pf",
  "Pi",
  "Po",
  "Ps",
  "S",
  "Sc",
  "Sk",
  "Sm",
  "So",
  "Z",
  "Zl",
  "Zp",
  "Zs",
]);

type Range = readonly [number, number];
const MAX_RUNE = 0x10ffff;

const POSIX_CLASSES: Readonly<Record<string, readonly Range[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

/** Perl classes as Go defines them (ASCII only). */
const PERL_CLASSES: Readonly<Record<string, readonly Range[]>> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: POSIX_CLASSES.word as readonly Range[],
};

function complement(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

const cp = (c: number): string =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    ? String.fromCodePoint(c)
    : `\\u{${c.toString(16)}}`;

const rangesToClassBody = (ranges: readonly Range[]): string =>
  ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join("");

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "7";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** One item of a bracket class: code point ranges, or a JS class fragment (`\p{…}`). */
type ClassItem = { ranges: Range[] } | { js: string };

class Translator {
  readonly #chars: string[];
  #pos = 0;
  readonly flags: Flags = { i: false, m: false, s: false, U: false };
  readonly #names = new Set<string>();

  constructor(expr: string) {
    this.#chars = Array.from(expr);
  }

  #peek(offset = 0): string | undefined {
    return this.#chars[this.#pos + offset];
  }

  #next(): string {
    const c = this.#chars[this.#pos];
    if (c === undefined) throw invalid("unexpected end of pattern");
    this.#pos++;
    return c;
  }

  #rest(): string {
    return this.#chars.slice(this.#pos).join("");
  }

  translate(): string {
    this.#leadingFlags();
    const out = this.#alternation(0);
    if (this.#pos < this.#chars.length) throw invalid("unexpected ): missing (");
    return out;
  }

  /** `(?flags)` groups before anything else become JS flags. */
  #leadingFlags(): void {
    for (;;) {
      const m = /^\(\?([imsU]*)(?:-([imsU]*))?\)/.exec(this.#rest());
      if (m === null) return;
      if (m[2] === "") throw invalid(`invalid or unsupported Perl syntax: ${m[0]}`);
      for (const f of m[1] ?? "") this.flags[f as keyof Flags] = true;
      for (const f of m[2] ?? "") this.flags[f as keyof Flags] = false;
      this.#pos += Array.from(m[0]).length;
    }
  }

  #alternation(depth: number): string {
    let out = "";
    // Whether the last item can take a quantifier, and whether it already has one.
    let canRepeat = false;
    let repeated = false;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) {
        if (depth > 0) throw invalid("missing closing )");
        return out;
      }
      if (c === ")") {
        if (depth === 0) throw invalid("unexpected ): missing (");
        return out;
      }
      if (c === "|") {
        this.#pos++;
        out += "|";
        canRepeat = false;
        repeated = false;
        continue;
      }
      const quant = this.#quantifier();
      if (quant !== undefined) {
        if (repeated) throw invalid(`invalid nested repetition operator: ${quant.text}`);
        if (!canRepeat) throw invalid(`missing argument to repetition operator: ${quant.text}`);
        out += quant.js;
        repeated = true;
        continue;
      }
      out += this.#atom(depth);
      canRepeat = true;
      repeated = false;
    }
  }

  /** Parses a quantifier at the cursor, if any (Go `parseRepeat` rules for `{…}`). */
  #quantifier(): { text: string; js: string } | undefined {
    const start = this.#pos;
    const c = this.#peek();
    let base: string;
    let len: number;
    if (c === "*" || c === "+" || c === "?") {
      base = c;
      len = 1;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#rest());
      if (m === null) return undefined;
      const minText = m[1] as string;
      const maxText = m[3];
      // Go's parseInt refuses leading zeros; the brace is then a literal.
      if (/^0\d/.test(minText) || (maxText !== undefined && /^0\d/.test(maxText))) {
        return undefined;
      }
      const min = Number(minText);
      const max = m[2] === undefined ? min : maxText === "" ? -1 : Number(maxText);
      if (min > 1000 || max > 1000 || (max >= 0 && min > max)) {
        throw invalid(`invalid repeat count: ${m[0]}`);
      }
      base = m[2] === undefined ? `{${min}}` : max < 0 ? `{${min},}` : `{${min},${max}}`;
      len = m[0].length;
    } else {
      return undefined;
    }
    this.#pos += len;
    let lazy = false;
    if (this.#peek() === "?") {
      this.#pos++;
      lazy = true;
    }
    if (this.flags.U) lazy = !lazy;
    const text = this.#chars.slice(start, this.#pos).join("");
    return { text, js: lazy ? `${base}?` : base };
  }

  #atom(depth: number): string {
    const c = this.#next();
    switch (c) {
      case "(":
        return this.#group(depth);
      case "[":
        return this.#bracket();
      case ".":
        return this.flags.s ? "[^]" : "[^\\n]";
      case "^":
        return this.flags.m ? "(?<![^\\n])" : "(?:^)";
      case "$":
        return this.flags.m ? "(?![^\\n])" : "(?:$)";
      case "\\":
        return this.#escape();
      default:
        return cp(c.codePointAt(0) as number);
    }
  }

  #group(depth: number): string {
    if (this.#peek() === "?") {
      const rest = this.#rest();
      const named = /^\?P<([^>]*)>/.exec(rest);
      if (named !== null) {
        const name = named[1] as string;
        if (name === "" || !/^\w+$/.test(name)) {
          throw invalid(`invalid named capture: (${named[0]}`);
        }
        if (this.#names.has(name)) throw invalid(`duplicate capture group name: ${name}`);
        this.#names.add(name);
        this.#pos += Array.from(named[0]).length;
        return this.#groupBody(depth);
      }
      const flags = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
      if (flags === null || flags[2] === "") {
        throw invalid(`invalid or unsupported Perl syntax: (${rest.slice(0, 3)}`);
      }
      const changes =
        [...(flags[1] ?? "")].some((f) => !this.flags[f as keyof Flags]) ||
        [...(flags[2] ?? "")].some((f) => this.flags[f as keyof Flags]);
      if (changes) {
        throw unsupported(`flag group (${flags[0]} not at the start of the pattern`);
      }
      this.#pos += flags[0].length;
      if (flags[3] === ")") return "";
      return this.#groupBody(depth);
    }
    return this.#groupBody(depth);
  }

  #groupBody(depth: number): string {
    const inner = this.#alternation(depth + 1);
    this.#next(); // the ")"
    return `(?:${inner})`;
  }

  #escape(): string {
    const c = this.#next();
    switch (c) {
      case "A":
        return "(?:^)";
      case "z":
        return "(?:$)";
      case "b":
        return "(?:\\b)";
      case "B":
        return "(?:\\B)";
      case "C":
        throw invalid("invalid escape sequence: \\C");
      case "Q": {
        let lit = "";
        while (this.#pos < this.#chars.length) {
          if (this.#peek() === "\\" && this.#peek(1) === "E") {
            this.#pos += 2;
            break;
          }
          lit += cp(this.#next().codePointAt(0) as number);
        }
        return `(?:${lit})`;
      }
      case "p":
      case "P":
        return this.#unicodeClass(c === "P", false);
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W": {
        const ranges = PERL_CLASSES[c.toLowerCase()] as readonly Range[];
        const neg = c !== c.toLowerCase();
        return `[${rangesToClassBody(neg ? complement(ranges) : ranges)}]`;
      }
      default:
        return cp(this.#escapedRune(c));
    }
  }

  /** Go `parseEscape` for single-rune escapes; `c` is the character after the backslash. */
  #escapedRune(c: string): number {
    const code = c.codePointAt(0) as number;
    if (code < 0x80 && !isAlnum(c)) return code;
    switch (c) {
      case "1":
      case "2":
      case "3":
      case "4":
      case "5":
      case "6":
      case "7":
        if (!isOctal(this.#peek())) throw invalid(`invalid escape sequence: \\${c}`);
        return this.#octal(c);
      case "0":
        return this.#octal(c);
      case "x": {
        if (this.#peek() === "{") {
          this.#pos++;
          let hex = "";
          while (isHex(this.#peek())) hex += this.#next();
          if (this.#peek() !== "}" || hex === "") throw invalid("invalid escape sequence: \\x{");
          this.#pos++;
          const v = Number.parseInt(hex, 16);
          if (hex.length > 8 || v > MAX_RUNE) throw invalid(`invalid escape sequence: \\x{${hex}}`);
          return v;
        }
        const h1 = this.#peek();
        const h2 = this.#peek(1);
        if (!isHex(h1) || !isHex(h2)) throw invalid("invalid escape sequence: \\x");
        this.#pos += 2;
        return Number.parseInt(`${h1}${h2}`, 16);
      }
      case "a":
        return 7;
      case "f":
        return 12;
      case "n":
        return 10;
      case "r":
        return 13;
      case "t":
        return 9;
      case "v":
        return 11;
      default:
        throw invalid(`invalid escape sequence: \\${c}`);
    }
  }

  #octal(first: string): number {
    let digits = first;
    for (let i = 0; i < 2 && isOctal(this.#peek()); i++) digits += this.#next();
    return Number.parseInt(digits, 8);
  }

  /** `\pX`, `\p{Name}`, `\p{^Name}` (and `\P…`), after the `p`/`P`. */
  #unicodeClass(negated: boolean, inClass: boolean): string {
    let name: string;
    if (this.#peek() === "{") {
      this.#pos++;
      name = "";
      while (this.#peek() !== "}") {
        if (this.#peek() === undefined) throw invalid("invalid character class range: \\p{");
        name += this.#next();
      }
      this.#pos++;
    } else {
      name = this.#next();
    }
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
    let positive: string;
    if (name === "Any") {
      positive = "\\p{Any}";
    } else if (name === "C") {
      // Go's C is Cc|Cf|Co|Cs; JavaScript's also includes unassigned code points (Cn).
      if (inClass && negated) throw unsupported("negated \\pC inside a character class");
      positive = "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}";
      if (!inClass) return negated ? `[^${positive}]` : `[${positive}]`;
      return positive;
    } else if (GO_CATEGORIES.has(name)) {
      positive = `\\p{${name}}`;
    } else if (/^[A-Z][A-Za-z_]*$/.test(name)) {
      positive = `\\p{Script=${name}}`;
    } else {
      throw invalid(`invalid character class range: \\p{${name}}`);
    }
    return negated ? positive.replace("\\p", "\\P") : positive;
  }

  /** A bracket class, after the `[`. */
  #bracket(): string {
    let negated = false;
    if (this.#peek() === "^") {
      this.#pos++;
      negated = true;
    }
    const items: ClassItem[] = [];
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw invalid("missing closing ]");
      if (c === "]" && !first) {
        this.#pos++;
        break;
      }
      first = false;
      // POSIX class.
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.#rest());
      if (posix !== null) {
        const ranges = POSIX_CLASSES[posix[2] as string];
        if (ranges === undefined) throw invalid(`invalid character class range: ${posix[0]}`);
        items.push({ ranges: posix[1] === "^" ? complement(ranges) : [...ranges] });
        this.#pos += posix[0].length;
        continue;
      }
      const lo = this.#classAtom();
      if (typeof lo !== "number") {
        items.push(lo);
        continue;
      }
      if (this.#peek() === "-" && this.#peek(1) !== "]" && this.#peek(1) !== undefined) {
        this.#pos++;
        const hi = this.#classAtom();
        if (typeof hi !== "number") throw invalid("invalid character class range");
        if (hi < lo) throw invalid("invalid character class range");
        items.push({ ranges: [[lo, hi]] });
        continue;
      }
      items.push({ ranges: [[lo, lo]] });
    }
    const body = items.map((it) => ("js" in it ? it.js : rangesToClassBody(it.ranges))).join("");
    if (body === "") return negated ? "[^]" : "[]";
    return `[${negated ? "^" : ""}${body}]`;
  }

  /** One class member: a rune, or a Perl/Unicode class. */
  #classAtom(): number | ClassItem {
    const c = this.#next();
    if (c !== "\\") return c.codePointAt(0) as number;
    const e = this.#next();
    switch (e) {
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W": {
        const ranges = PERL_CLASSES[e.toLowerCase()] as readonly Range[];
        return { ranges: e !== e.toLowerCase() ? complement(ranges) : [...ranges] };
      }
      case "p":
      case "P":
        return { js: this.#unicodeClass(e === "P", true) };
      default:
        return this.#escapedRune(e);
    }
  }
}

/**
 * Compiles a Go regular expression into a JavaScript `RegExp` with the same match/no-match
 * answer for unanchored search (see the module comment for the differences).
 */
export function compileGoRegexp(expr: string): GoRegexpResult {
  const t = new Translator(expr);
  let source: string;
  try {
    source = t.translate();
  } catch (err) {
    if (err instanceof TranslateError) return { ok: false, kind: err.kind, message: err.message };
    throw err;
  }
  const flags = `u${t.flags.i ? "i" : ""}`;
  try {
    return { ok: true, regexp: new RegExp(source, flags), source };
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
  s: string,
): boolean | Extract<GoRegexpResult, { ok: false }> {
  const r = compileGoRegexp(expr);
  return r.ok ? r.regexp.test(s) : r;
}
