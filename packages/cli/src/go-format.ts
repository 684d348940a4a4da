/**
 * Pure re-implementations of the Go formatting the `serf` CLI output depends on: `strconv.Quote`
 * (`%q`), `encoding/json.MarshalIndent`, `ryanuber/columnize`, `%.Nf`, `net.IP.String`, and
 * `%#v` of values decoded by go-msgpack into `interface{}` (what `serf monitor` prints).
 */

import { goQuote, utf8Bytes } from "@serf-ts/wire/gocompat";

// ---------------------------------------------------------------------------------------------
// UTF-8 and strconv.Quote: shared with the agent (`@serf-ts/wire/gocompat`)

export { decodeUtf8Go as goDecodeUtf8, goQuote, utf8Bytes as utf8 } from "@serf-ts/wire/gocompat";

/** Byte length of `s` in UTF-8 (Go's `len(s)`). */
function byteLength(s: string): number {
  return utf8Bytes(s).length;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

// ---------------------------------------------------------------------------------------------
// encoding/json

/**
 * A value for `goJson`: a `Map` is a Go map (keys sorted on output), a plain object a Go struct
 * (fields in insertion order), `null` a nil slice/map/pointer.
 */
export type GoJsonValue =
  | null
  | boolean
  | number
  | string
  | readonly GoJsonValue[]
  | ReadonlyMap<string, GoJsonValue>
  | { readonly [field: string]: GoJsonValue };

/** A JSON string as Go's encoder writes it (HTML-safe escaping, U+2028/9 escaped). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || ch === "<" || ch === ">" || ch === "&") out += `\\u00${hex(cp, 2)}`;
    else if (cp === 0x2028 || cp === 0x2029) out += `\\u${hex(cp, 4)}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}

/** Go's byte-wise string order (`sort.Strings`). */
export function goCompare(a: string, b: string): number {
  const x = utf8Bytes(a);
  const y = utf8Bytes(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** `json.MarshalIndent(v, "", "  ")`. */
export function goJson(value: GoJsonValue, indent = ""): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return goJsonString(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v: GoJsonValue) => `${inner}${goJson(v, inner)}`);
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  const entries: [string, GoJsonValue][] =
    value instanceof Map
      ? [...(value as ReadonlyMap<string, GoJsonValue>)].sort(([a], [b]) => goCompare(a, b))
      : Object.entries(value as { readonly [field: string]: GoJsonValue });
  if (entries.length === 0) return "{}";
  const items = entries.map(([k, v]) => `${inner}${goJsonString(k)}: ${goJson(v, inner)}`);
  return `{\n${items.join(",\n")}\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------
// columnize

/**
 * `columnize.SimpleFormat`: cells separated by `|`, trimmed; every column but a line's last is
 * left-justified to the widest cell of that column (width in bytes, padding in runes, as Go's
 * `%-Ns`), joined by two spaces; the result has no final newline. `decorate` may wrap a cell's
 * text (not its padding), e.g. in colour codes.
 */
export function columnize(
  lines: readonly string[],
  decorate?: (line: number, column: number, text: string) => string,
): string {
  const rows = lines.map((l) => l.split("|").map((c) => c.trim()));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, j) => {
      widths[j] = Math.max(widths[j] ?? 0, byteLength(cell));
    });
  }
  const out: string[] = [];
  rows.forEach((row, i) => {
    let line = "";
    for (let j = 0; j < row.length && j < widths.length; j++) {
      const cell = row[j]!;
      const shown = decorate === undefined ? cell : decorate(i, j, cell);
      if (j === row.length - 1) {
        line += shown;
      } else {
        const pad = Math.max(0, widths[j]! - [...cell].length);
        line += `${shown}${" ".repeat(pad)}  `;
      }
    }
    out.push(line);
  });
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Numbers

/**
 * Go's `%.Nf`: like `toFixed`, but an exact tie rounds half to even (Go formats the exact
 * binary value; a tie at N decimals exists only when `x * 2^(N+1)` is an odd integer).
 */
export function goFixed(x: number, digits: number): string {
  const twice = x * 2 ** (digits + 1);
  if (Number.isFinite(x) && Number.isInteger(twice) && Math.abs(twice % 2) === 1) {
    let n = Math.floor(x * 10 ** digits);
    if (n % 2 !== 0) n += 1;
    return (n / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

// ---------------------------------------------------------------------------------------------
// %#v of go-msgpack's interface{} values

/**
 * A value as go-msgpack decodes it into `interface{}` (RawToString): str → string, bin →
 * []byte, positive fixint and signed ints → int64, uint8..uint64 → uint64, maps →
 * map[interface{}]interface{}, arrays → []interface{}.
 */
export type GoValue =
  | { readonly t: "nil" }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "int"; readonly v: number | bigint }
  | { readonly t: "uint"; readonly v: number | bigint }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "bytes"; readonly v: Uint8Array }
  | { readonly t: "array"; readonly v: readonly GoValue[] }
  | { readonly t: "map"; readonly v: readonly (readonly [string, GoValue])[] };

export const goNil: GoValue = { t: "nil" };
export const goString = (v: string): GoValue => ({ t: "string", v });
export const goBool = (v: boolean): GoValue => ({ t: "bool", v });
export const goBytesOrNil = (v: Uint8Array | null): GoValue =>
  v === null ? goNil : { t: "bytes", v };
/**
 * A non-negative integer as the Go agent encodes it (smallest encoding) and Go decodes it:
 * up to 127 a positive fixint (int64), above that uint8..uint64 (uint64).
 */
export const goUint = (v: number): GoValue => (v <= 127 ? { t: "int", v } : { t: "uint", v });
export const goMap = (entries: readonly (readonly [string, GoValue])[]): GoValue => ({
  t: "map",
  v: entries,
});
export const goArray = (v: readonly GoValue[]): GoValue => ({ t: "array", v });

function bytesLiteral(type: string, b: Uint8Array): string {
  return `${type}{${[...b].map((x) => `0x${x.toString(16)}`).join(", ")}}`;
}

function nested(value: GoValue): string {
  switch (value.t) {
    case "nil":
      return "interface {}(nil)";
    case "bytes":
      return bytesLiteral("[]uint8", value.v);
    default:
      return goSharpV(value, true);
  }
}

/** `fmt.Sprintf("%#v", v)` for a value held in an `interface{}`. */
export function goSharpV(value: GoValue, inner = false): string {
  switch (value.t) {
    case "nil":
      return "<nil>";
    case "bool":
      return value.v ? "true" : "false";
    case "int":
      return value.v.toString();
    case "uint":
      return `0x${value.v.toString(16)}`;
    case "string":
      return goQuote(value.v);
    case "bytes":
      return bytesLiteral(inner ? "[]uint8" : "[]byte", value.v);
    case "array":
      return `[]interface {}{${value.v.map(nested).join(", ")}}`;
    case "map": {
      const sorted = [...value.v].sort(([a], [b]) => goCompare(a, b));
      const items = sorted.map(([k, v]) => `${goQuote(k)}:${nested(v)}`);
      return `map[interface {}]interface {}{${items.join(", ")}}`;
    }
  }
}
