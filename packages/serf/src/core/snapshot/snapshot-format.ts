/**
 * The serf snapshot file (`-snapshot=PATH`, Go `Snapshotter`): plain text, one record per
 * line, each terminated by a single `\n`. This module parses and serializes it; what a replay
 * means is in `snapshot-replay.ts`.
 *
 * | line                      | record                                                |
 * |---------------------------|-------------------------------------------------------|
 * | `alive: <name> <addr>`    | member joined; name = everything before the last space |
 * | `not-alive: <name>`       | member left or failed                                 |
 * | `clock: <n>`              | member clock − 1                                      |
 * | `event-clock: <n>`        | newest user-event LTime                               |
 * | `query-clock: <n>`        | newest query LTime                                    |
 * | `coordinate: …`           | legacy, ignored on replay                             |
 * | `leave`                   | the local agent left gracefully                       |
 * | `#…`                      | comment                                               |
 *
 * Anything else, and clock lines whose number does not parse, are kept as `unrecognized`
 * records (Go logs a warning and goes on). Go reads with `ReadString('\n')` and stops at the
 * first read without a newline, so a torn last line (a crash mid-write) is dropped: the parser
 * reports it as `tornTail` and does not turn it into a record.
 */

import { joinHostPort, utf8Decode, utf8Encode } from "@serf-ts/wire";

/** One line of a snapshot. */
export type SnapshotRecord =
  | { readonly kind: "alive"; readonly name: string; readonly addr: string }
  | { readonly kind: "not-alive"; readonly name: string }
  | { readonly kind: "clock"; readonly value: number }
  | { readonly kind: "event-clock"; readonly value: number }
  | { readonly kind: "query-clock"; readonly value: number }
  | { readonly kind: "coordinate"; readonly text: string }
  | { readonly kind: "leave" }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "unrecognized"; readonly line: string; readonly problem: string };

/** Clock record kinds. */
export type ClockRecordKind = "clock" | "event-clock" | "query-clock";

/** Bounds of {@link parseSnapshot}. */
export interface SnapshotParseLimits {
  /** Reject inputs larger than this many bytes (UTF-8). @default 64 MiB */
  readonly maxBytes: number;
  /**
   * Lines longer than this many characters become `unrecognized` without being interpreted
   * (and without keeping their text beyond this length). @default 64 KiB
   */
  readonly maxLineLength: number;
}

export const DEFAULT_SNAPSHOT_PARSE_LIMITS: SnapshotParseLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxLineLength: 64 * 1024,
};

/** Result of {@link parseSnapshot}. */
export interface ParsedSnapshot {
  readonly records: SnapshotRecord[];
  /** Text after the last `\n` (a line Go would not read), or `undefined` if none. */
  readonly tornTail: string | undefined;
}

/** Thrown when a snapshot exceeds {@link SnapshotParseLimits.maxBytes}. */
export class SnapshotTooLargeError extends RangeError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(`snapshot is ${size} bytes, over the limit of ${limit}`);
    this.name = "SnapshotTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

const CLOCK_PREFIXES: readonly [string, ClockRecordKind][] = [
  ["clock: ", "clock"],
  ["event-clock: ", "event-clock"],
  ["query-clock: ", "query-clock"],
];

/**
 * Go `strconv.ParseUint(s, 10, 64)`: ASCII digits only (no sign, no spaces, no underscores),
 * at most 2^64 − 1. Values above 2^53 − 1 parse in Go but cannot be represented here; they
 * are reported as a problem instead.
 */
function parseLamport(text: string): number | string {
  if (!/^[0-9]+$/.test(text)) return `invalid syntax: ${JSON.stringify(text)}`;
  const big = BigInt(text);
  if (big > 0xffff_ffff_ffff_ffffn) return `value out of range: ${text}`;
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) return `value beyond 2^53 - 1: ${text}`;
  return Number(big);
}

/** Parses one line (without its `\n`). */
export function parseSnapshotLine(line: string): SnapshotRecord {
  if (line.startsWith("alive: ")) {
    const info = line.slice("alive: ".length);
    const idx = info.lastIndexOf(" ");
    if (idx === -1) return { kind: "unrecognized", line, problem: "failed to parse address" };
    return { kind: "alive", name: info.slice(0, idx), addr: info.slice(idx + 1) };
  }
  if (line.startsWith("not-alive: ")) {
    return { kind: "not-alive", name: line.slice("not-alive: ".length) };
  }
  for (const [prefix, kind] of CLOCK_PREFIXES) {
    if (line.startsWith(prefix)) {
      const v = parseLamport(line.slice(prefix.length));
      if (typeof v === "string") return { kind: "unrecognized", line, problem: `${kind}: ${v}` };
      return { kind, value: v };
    }
  }
  if (line.startsWith("coordinate: ")) {
    return { kind: "coordinate", text: line.slice("coordinate: ".length) };
  }
  if (line === "leave") return { kind: "leave" };
  if (line.startsWith("#")) return { kind: "comment", text: line.slice(1) };
  return { kind: "unrecognized", line, problem: "unrecognized snapshot line" };
}

/** UTF-8 length of `s` (exact when it could exceed `limit`; cheap when it cannot). */
function utf8Length(s: string, limit: number): number {
  if (s.length * 3 <= limit) return s.length; // cannot exceed: skip the encode
  return utf8Encode(s).length;
}

/** Parses a whole snapshot (text, or the raw file bytes). */
export function parseSnapshot(
  input: string | Uint8Array,
  limits: Partial<SnapshotParseLimits> = {},
): ParsedSnapshot {
  const { maxBytes, maxLineLength } = { ...DEFAULT_SNAPSHOT_PARSE_LIMITS, ...limits };
  const size = typeof input === "string" ? utf8Length(input, maxBytes) : input.length;
  if (size > maxBytes) throw new SnapshotTooLargeError(size, maxBytes);
  const text = typeof input === "string" ? input : utf8Decode(input);
  const records: SnapshotRecord[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl === -1) break;
    const len = nl - start;
    if (len > maxLineLength) {
      records.push({
        kind: "unrecognized",
        line: text.slice(start, start + maxLineLength),
        problem: `line of ${len} characters exceeds the limit of ${maxLineLength}`,
      });
    } else {
      records.push(parseSnapshotLine(text.slice(start, nl)));
    }
    start = nl + 1;
  }
  return { records, tornTail: start < text.length ? text.slice(start) : undefined };
}

/** The text of one record, without the newline (Go's `fmt.Sprintf` formats). */
export function formatSnapshotRecord(record: SnapshotRecord): string {
  switch (record.kind) {
    case "alive":
      return `alive: ${record.name} ${record.addr}`;
    case "not-alive":
      return `not-alive: ${record.name}`;
    case "clock":
    case "event-clock":
    case "query-clock":
      return `${record.kind}: ${record.value}`;
    case "coordinate":
      return `coordinate: ${record.text}`;
    case "leave":
      return "leave";
    case "comment":
      return `#${record.text}`;
    case "unrecognized":
      return record.line;
  }
}

/** One record as a file line, `\n` included (what the snapshotter appends). */
export function snapshotLine(record: SnapshotRecord): string {
  const text = formatSnapshotRecord(record);
  if (text.includes("\n")) throw new RangeError("snapshot record must not contain a newline");
  return `${text}\n`;
}

/** Serializes records to file text; each line ends with `\n`. */
export function serializeSnapshot(records: readonly SnapshotRecord[]): string {
  let out = "";
  for (const r of records) out += snapshotLine(r);
  return out;
}

/**
 * Go prints member addresses as a TCP address: `ip:port`, IPv6 in brackets (`[::1]:7946`).
 * Takes the textual IP (dotted quad or IPv6, zone allowed).
 */
export function formatSnapshotAddr(ip: string, port: number): string {
  return joinHostPort(ip, port);
}
