import { loadVector } from "@serf-ts/wire/testing";
import { describe, expect, it } from "vitest";
import {
  formatSnapshotAddr,
  parseSnapshot,
  parseSnapshotLine,
  type SnapshotRecord,
  SnapshotTooLargeError,
  serializeSnapshot,
  snapshotLine,
} from "./snapshot-format.ts";

interface SnapshotVector {
  readonly lines: readonly string[];
}
const vector = loadVector("snapshot-agent-a").data as unknown as SnapshotVector;
const vectorText = vector.lines.map((l) => `${l}\n`).join("");

describe("snapshot format (§13)", () => {
  it("parses the Go agent's snapshot vector and re-serializes it byte for byte", () => {
    const parsed = parseSnapshot(vectorText);
    expect(parsed.tornTail).toBeUndefined();
    expect(parsed.records).toHaveLength(vector.lines.length);
    expect(parsed.records.filter((r) => r.kind === "unrecognized")).toEqual([]);
    expect(serializeSnapshot(parsed.records)).toBe(vectorText);
    // Same from the raw bytes.
    const fromBytes = parseSnapshot(new TextEncoder().encode(vectorText));
    expect(serializeSnapshot(fromBytes.records)).toBe(vectorText);
    expect(parsed.records[0]).toEqual({ kind: "alive", name: "node-a", addr: "127.0.0.1:7946" });
    expect(parsed.records.at(-2)).toEqual({ kind: "leave" });
    expect(parsed.records.at(-1)).toEqual({ kind: "clock", value: 26 });
    expect(parsed.records).toContainEqual({
      kind: "alive",
      name: "ts-node-with-a-rather-long-name-0123456789",
      addr: "127.0.0.9:7946",
    });
  });

  it("parses every record kind", () => {
    const cases: [string, SnapshotRecord][] = [
      ["alive: a 10.0.0.1:7946", { kind: "alive", name: "a", addr: "10.0.0.1:7946" }],
      [
        "alive: name with spaces [::1]:7946",
        { kind: "alive", name: "name with spaces", addr: "[::1]:7946" },
      ],
      ["alive:  x", { kind: "alive", name: "", addr: "x" }],
      ["not-alive: a b", { kind: "not-alive", name: "a b" }],
      ["clock: 0", { kind: "clock", value: 0 }],
      ["event-clock: 18446744", { kind: "event-clock", value: 18446744 }],
      ["query-clock: 9007199254740991", { kind: "query-clock", value: 2 ** 53 - 1 }],
      ['coordinate: {"Vec":[]}', { kind: "coordinate", text: '{"Vec":[]}' }],
      ["leave", { kind: "leave" }],
      ["# a comment", { kind: "comment", text: " a comment" }],
      ["#", { kind: "comment", text: "" }],
    ];
    for (const [line, record] of cases) {
      expect(parseSnapshotLine(line)).toEqual(record);
      expect(snapshotLine(record)).toBe(`${line}\n`);
    }
  });

  it("keeps what Go ignores as unrecognized records, verbatim", () => {
    for (const line of [
      "",
      "bogus",
      "alive: no-address",
      "clock: -1",
      "clock: +5",
      "clock: 1_000",
      "clock:  5",
      "clock: 5 ",
      "clock: 18446744073709551616",
      "clock: 9007199254740992",
      "leave ",
      "Leave",
      "alive:x y",
    ]) {
      const r = parseSnapshotLine(line);
      expect([line, r.kind]).toEqual([line, "unrecognized"]);
      expect(snapshotLine(r)).toBe(`${line}\n`);
    }
    const r = parseSnapshotLine("clock: 9007199254740992");
    expect(r.kind === "unrecognized" && r.problem).toContain("2^53");
  });

  it("drops a torn last line, as Go's ReadString loop does", () => {
    const parsed = parseSnapshot("alive: a 1.2.3.4:7946\nclock: 5\nclock: 6");
    expect(parsed.records).toEqual([
      { kind: "alive", name: "a", addr: "1.2.3.4:7946" },
      { kind: "clock", value: 5 },
    ]);
    expect(parsed.tornTail).toBe("clock: 6");
    expect(parseSnapshot("").records).toEqual([]);
    expect(parseSnapshot("").tornTail).toBeUndefined();
    expect(parseSnapshot("\n").records).toEqual([
      { kind: "unrecognized", line: "", problem: "unrecognized snapshot line" },
    ]);
  });

  it("keeps a leading byte-order mark in the bytes, so that line is unrecognized as in Go", () => {
    const bytes = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode("alive: a 1.2.3.4:7946\nclock: 5\n"),
    ]);
    expect(parseSnapshot(bytes).records).toEqual([
      {
        kind: "unrecognized",
        line: "\uFEFFalive: a 1.2.3.4:7946",
        problem: "unrecognized snapshot line",
      },
      { kind: "clock", value: 5 },
    ]);
  });

  it("keeps \\r as part of the line (Go splits on \\n only)", () => {
    expect(parseSnapshot("clock: 5\r\n").records[0]?.kind).toBe("unrecognized");
    expect(parseSnapshot("alive: a b\r\n").records[0]).toEqual({
      kind: "alive",
      name: "a",
      addr: "b\r",
    });
  });

  it("is bounded", () => {
    expect(() => parseSnapshot("clock: 1\n".repeat(10), { maxBytes: 50 })).toThrow(
      SnapshotTooLargeError,
    );
    const long = `alive: ${"x".repeat(100)} 1.2.3.4:1\nclock: 3\n`;
    const parsed = parseSnapshot(long, { maxLineLength: 20 });
    expect(parsed.records[0]?.kind).toBe("unrecognized");
    expect(parsed.records[1]).toEqual({ kind: "clock", value: 3 });
  });

  it("serializes lines with a single \\n and refuses embedded newlines", () => {
    expect(serializeSnapshot([{ kind: "leave" }, { kind: "clock", value: 26 }])).toBe(
      "leave\nclock: 26\n",
    );
    expect(() => snapshotLine({ kind: "not-alive", name: "a\nb" })).toThrow(RangeError);
  });

  it("formats addresses like Go's net.TCPAddr", () => {
    expect(formatSnapshotAddr("127.0.0.1", 7946)).toBe("127.0.0.1:7946");
    expect(formatSnapshotAddr("::1", 7946)).toBe("[::1]:7946");
    expect(formatSnapshotAddr("fe80::1%eth0", 1)).toBe("[fe80::1%eth0]:1");
  });
});
