/**
 * JSON decoding with Go `encoding/json` semantics and error texts, as seen through
 * `json.Decoder.Decode` (config files: only the first value is read, trailing bytes ignored,
 * `EOF` / `unexpected EOF`) and `json.Unmarshal` (tags and keyring files: the whole input must
 * be one value, `unexpected end of JSON input`).
 *
 * Values decode as Go's `interface{}` does: objects to maps, arrays to slices, every number to
 * float64, strings with invalid UTF-8 repaired byte by byte.
 */

import { quoteJsonByte } from "./quote.ts";
import { formatGoFloat } from "./strconv.ts";
import { decodeRune, RUNE_ERROR } from "./utf8.ts";

/** A decoded JSON value: Go's `interface{}` after `json.Unmarshal`. Objects keep key order. */
export type GoJsonValue = null | boolean | number | string | GoJsonValue[] | GoJsonObject;
/** A JSON object (`map[string]interface{}`); duplicate keys: the last one wins. */
export type GoJsonObject = Map<string, GoJsonValue>;

/** A JSON input Go would reject; `message` is Go's error text. */
export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoJsonError";
  }
}

/** Go's `maxNestingDepth`. */
const MAX_DEPTH = 10000;

const EOF_MARK = Symbol("eof");

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isDigit(c: number | undefined): c is number {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return (
    c !== undefined &&
    ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))
  );
}

class Parser {
  private pos = 0;
  /** First conversion error (Go's `saveError`); syntax errors win over it. */
  numberError: string | undefined;

  private readonly buf: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  peek(): number | undefined {
    return this.buf[this.pos];
  }

  skipSpace(): void {
    while (isSpace(this.buf[this.pos])) this.pos++;
  }

  private syntax(c: number, context: string): GoJsonError {
    return new GoJsonError(`invalid character ${quoteJsonByte(c)} ${context}`);
  }

  /** The next byte, or throws the end-of-input marker. */
  private next(): number {
    const c = this.buf[this.pos];
    if (c === undefined) throw EOF_MARK;
    this.pos++;
    return c;
  }

  private expect(pred: (c: number) => boolean, context: string): number {
    const c = this.next();
    if (!pred(c)) throw this.syntax(c, context);
    return c;
  }

  /** Parses one value iteratively (deep nesting must not exhaust the JS stack). */
  parseValue(): GoJsonValue {
    const stack: Array<{ container: GoJsonObject | GoJsonValue[]; key: string }> = [];
    for (;;) {
      // Parse the start of a value.
      let done: GoJsonValue | undefined;
      this.skipSpace();
      const c = this.next();
      if (c === 0x7b) {
        this.push(c, stack.length);
        this.skipSpace();
        const k = this.next();
        if (k === 0x7d) {
          done = new Map();
        } else {
          stack.push({ container: new Map(), key: this.objectKey(k) });
          continue;
        }
      } else if (c === 0x5b) {
        this.push(c, stack.length);
        this.skipSpace();
        if (this.peek() === 0x5d) {
          this.pos++;
          done = [];
        } else {
          stack.push({ container: [], key: "" });
          continue;
        }
      } else {
        done = this.scalar(c);
      }
      // Close containers the finished value completes.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return done;
        const after = this.afterValue();
        if (Array.isArray(top.container)) {
          top.container.push(done);
          if (after === 0x2c) break;
          if (after !== 0x5d) throw this.syntax(after, "after array element");
        } else {
          top.container.set(top.key, done);
          if (after === 0x2c) {
            this.skipSpace();
            top.key = this.objectKey(this.next());
            break;
          }
          if (after !== 0x7d) throw this.syntax(after, "after object key:value pair");
        }
        stack.pop();
        done = top.container;
      }
    }
  }

  /** Reads `"key"` and the `:` after it; `first` is the byte where the key should start. */
  private objectKey(first: number): string {
    if (first !== 0x22) throw this.syntax(first, "looking for beginning of object key string");
    const key = this.parseStringBody();
    const colon = this.afterValue();
    if (colon !== 0x3a) throw this.syntax(colon, "after object key");
    return key;
  }

  private scalar(c: number): GoJsonValue {
    switch (c) {
      case 0x22:
        return this.parseStringBody();
      case 0x74:
        this.literal("true");
        return true;
      case 0x66:
        this.literal("false");
        return false;
      case 0x6e:
        this.literal("null");
        return null;
      default:
        if (c === 0x2d || isDigit(c)) return this.parseNumber(c);
        throw this.syntax(c, "looking for beginning of value");
    }
  }

  /** Go's nesting limit: `depth` containers are already open. */
  private push(c: number, depth: number): void {
    if (depth + 1 > MAX_DEPTH) throw this.syntax(c, "exceeded max depth");
  }

  private literal(word: string): void {
    for (let k = 1; k < word.length; k++) {
      const want = word.charCodeAt(k);
      this.expect((c) => c === want, `in literal ${word} (expecting '${word[k]}')`);
    }
  }

  /** After a value or key inside a container: the next non-space byte. */
  private afterValue(): number {
    this.skipSpace();
    return this.next();
  }

  /** Parses a string whose opening quote was consumed; unquotes it like Go's `unquote`. */
  private parseStringBody(): string {
    let out = "";
    for (;;) {
      const c = this.next();
      if (c === 0x22) return out;
      if (c === 0x5c) {
        const e = this.next();
        switch (e) {
          case 0x22:
          case 0x5c:
          case 0x2f:
            out += String.fromCharCode(e);
            break;
          case 0x62:
            out += "\b";
            break;
          case 0x66:
            out += "\f";
            break;
          case 0x6e:
            out += "\n";
            break;
          case 0x72:
            out += "\r";
            break;
          case 0x74:
            out += "\t";
            break;
          case 0x75:
            out += this.parseUnicodeEscape();
            break;
          default:
            throw this.syntax(e, "in string escape code");
        }
        continue;
      }
      if (c < 0x20) throw this.syntax(c, "in string literal");
      if (c < 0x80) {
        out += String.fromCharCode(c);
        continue;
      }
      const [rune, size] = decodeRune(this.buf, this.pos - 1);
      // A truncated sequence at the very end is still inside an unterminated string.
      out += String.fromCodePoint(rune);
      this.pos += size - 1;
    }
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.expect(isHex, "in \\u hexadecimal character escape");
      v = v * 16 + Number.parseInt(String.fromCharCode(c), 16);
    }
    return v;
  }

  private parseUnicodeEscape(): string {
    const r = this.hex4();
    if (r < 0xd800 || r > 0xdfff) return String.fromCharCode(r);
    // A surrogate: Go combines it with an immediately following \uXXXX low surrogate, otherwise
    // it becomes U+FFFD and the next escape is read on its own.
    if (r <= 0xdbff && this.buf[this.pos] === 0x5c && this.buf[this.pos + 1] === 0x75) {
      const save = this.pos;
      this.pos += 2;
      const lo = this.hex4();
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        return String.fromCodePoint(0x10000 + (r - 0xd800) * 0x400 + (lo - 0xdc00));
      }
      this.pos = save;
    }
    return String.fromCodePoint(RUNE_ERROR);
  }

  private parseNumber(first: number): number {
    const start = this.pos - 1;
    let c: number | undefined = first;
    if (c === 0x2d) {
      c = this.next();
      if (!isDigit(c)) throw this.syntax(c, "in numeric literal");
    }
    if (c !== 0x30) {
      while (isDigit(this.peek())) this.pos++;
    }
    if (this.peek() === 0x2e) {
      this.pos++;
      this.expect(isDigit, "after decimal point in numeric literal");
      while (isDigit(this.peek())) this.pos++;
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = this.next();
      if (sign !== 0x2b && sign !== 0x2d) this.pos--;
      this.expect(isDigit, "in exponent of numeric literal");
      while (isDigit(this.peek())) this.pos++;
    }
    const text = new TextDecoder().decode(this.buf.subarray(start, this.pos));
    const value = Number(text);
    if (!Number.isFinite(value)) {
      this.numberError ??= `json: cannot unmarshal number ${text} into Go value of type float64`;
    }
    return value;
  }
}

function finish(parser: Parser, value: GoJsonValue): GoJsonValue {
  if (parser.numberError !== undefined) throw new GoJsonError(parser.numberError);
  return value;
}

/**
 * `json.NewDecoder(r).Decode(&v)` into an `interface{}`: reads the first JSON value and ignores
 * whatever follows it. Empty (or all-space) input: `EOF`; input ending inside a value:
 * `unexpected EOF`; otherwise Go's `invalid character …` messages.
 */
export function decodeGoJsonStream(input: Uint8Array): GoJsonValue {
  const parser = new Parser(input);
  parser.skipSpace();
  if (parser.peek() === undefined) throw new GoJsonError("EOF");
  try {
    return finish(parser, parser.parseValue());
  } catch (err) {
    if (err === EOF_MARK) throw new GoJsonError("unexpected EOF");
    throw err;
  }
}

/**
 * `json.Unmarshal(data, &v)` into an `interface{}`: the input must be exactly one value with
 * optional surrounding space (`unexpected end of JSON input`,
 * `invalid character 'x' after top-level value`).
 */
export function unmarshalGoJson(input: Uint8Array): GoJsonValue {
  const parser = new Parser(input);
  try {
    const value = parser.parseValue();
    parser.skipSpace();
    const trailing = parser.peek();
    if (trailing !== undefined) {
      throw new GoJsonError(`invalid character ${quoteJsonByte(trailing)} after top-level value`);
    }
    return finish(parser, value);
  } catch (err) {
    if (err === EOF_MARK) throw new GoJsonError("unexpected end of JSON input");
    throw err;
  }
}

/** Go's reflect type name of a decoded value, as mapstructure prints it. */
export function goTypeName(value: GoJsonValue): string {
  if (value === null) return "<nil>";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Go's reflect kind name of a decoded value (`slice`, `map`, …). */
export function goKindName(value: GoJsonValue): string {
  if (value === null) return "invalid";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "slice";
  return "map";
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** A decoded value printed with Go's `%v` (`[1 x]`, `map[a:1]`, `<nil>`, `1e+06`). */
export function formatGoValue(value: GoJsonValue): string {
  if (value === null) return "<nil>";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatGoFloat(value);
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(formatGoValue).join(" ")}]`;
  const keys = [...value.keys()].sort(compareBytes);
  return `map[${keys.map((k) => `${k}:${formatGoValue(value.get(k) ?? null)}`).join(" ")}]`;
}
