import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decodeJournalLine,
  encodeJournalLine,
  journalPathFor,
  openEventJournal,
  PendingJournal,
} from "./pending-journal.ts";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-journal-"));
  path = journalPathFor(join(dir, "snap"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const open = (options = {}) => PendingJournal.open(path, options);
const ev = (i: number) => ({ t: "user", n: `e${i}`, p: "", l: i, c: false });

describe("PendingJournal", () => {
  it("sits beside the snapshot as <snapshot>.pending", () => {
    expect(journalPathFor("/var/serf/snap")).toBe("/var/serf/snap.pending");
  });

  it("lines carry a CRC: a changed byte makes the line unreadable", () => {
    const line = encodeJournalLine({ k: "d", s: 7 }).slice(0, -1);
    expect(decodeJournalLine(line)).toEqual({ k: "d", s: 7 });
    expect(decodeJournalLine(line.replace('"s":7', '"s":8'))).toBeUndefined();
    expect(decodeJournalLine(`00000000 ${line.slice(9)}`)).toBeUndefined();
    expect(decodeJournalLine("garbage")).toBeUndefined();
  });

  it("after a crash (no close) only events whose handlers did not finish are pending", () => {
    const { journal } = open();
    const seqs = [0, 1, 2, 3].map((i) => journal.accept("p", ev(i)));
    journal.done(seqs[1] as number, "k1");
    journal.done(seqs[3] as number, "k3");
    // No close(): the process died; writes were synchronous.
    const { report, journal: again } = open();
    expect(report.skippedLines).toBe(0);
    expect(report.pending.map((p) => (p.event as { n: string }).n)).toEqual(["e0", "e2"]);
    expect(report.pending.every((p) => p.stage === "ready")).toBe(true);
    expect([...again.handledKeys]).toEqual(["k1", "k3"]);
    // New sequence numbers do not collide with the old ones.
    expect(again.accept("p", ev(9))).toBeGreaterThan(seqs[3] as number);
    again.close();
  });

  it("a torn last line and a damaged middle line are skipped; the rest is kept", () => {
    const { journal } = open();
    journal.accept("p", ev(0));
    journal.accept("p", ev(1));
    journal.accept("p", ev(2));
    journal.close();
    const lines = readFileSync(path, "utf8").split("\n");
    // Damage the middle record, then add half a record (a crash mid-write).
    lines[1] = (lines[1] as string).replace('"e1"', '"eX"');
    const torn = encodeJournalLine({ k: "a", s: 3, c: "p", e: ev(3) }).slice(0, 20);
    writeFileSync(path, lines.join("\n") + torn);
    const { report, journal: again } = open();
    expect(report.skippedLines).toBe(2);
    expect(report.pending.map((p) => (p.event as { n: string }).n)).toEqual(["e0", "e2"]);
    again.close();
    // The rewrite at open dropped the damage: a third open reads it cleanly.
    expect(open().report.skippedLines).toBe(0);
  });

  it("a truncated file (cut inside a record) loses only that record", () => {
    const { journal } = open();
    for (let i = 0; i < 5; i++) journal.accept("p", ev(i));
    journal.close();
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.length - 10));
    const { report } = open();
    expect(report.skippedLines).toBe(1);
    expect(report.pending).toHaveLength(4);
  });

  it("the cap: an event that does not fit is refused until handled ones free space", () => {
    const line = encodeJournalLine({ k: "a", s: 0, c: "p", e: ev(0) }).length;
    const { journal } = open({ maxBytes: line * 3 + 2 });
    const seqs = [0, 1, 2].map((i) => journal.accept("p", ev(i)));
    expect(seqs.every((s) => s !== undefined)).toBe(true);
    expect(journal.accept("p", ev(3))).toBeUndefined();
    journal.done(seqs[0] as number);
    expect(journal.accept("p", ev(4))).toBeDefined();
    journal.close();
    expect(open().report.pending.map((p) => (p.event as { n: string }).n)).toEqual([
      "e1",
      "e2",
      "e4",
    ]);
  });

  it("the file is compacted: it stays bounded however many events pass", () => {
    const { journal } = open({ minCompactBytes: 64 * 1024, maxHandledKeys: 100 });
    const payload = "x".repeat(200);
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      const seq = journal.accept("p", { ...ev(i), p: payload }) as number;
      journal.done(seq, `key${i}`);
      largest = Math.max(largest, statSync(path).size);
    }
    // 3000 events wrote about 1 MB of records; the file never held more than the threshold
    // plus one accept and one done.
    expect(largest).toBeLessThanOrEqual(64 * 1024 + 600);
    journal.close();
  });

  it("handled keys are bounded and survive a rewrite", () => {
    const { journal } = open({ maxHandledKeys: 3, minCompactBytes: 1 });
    for (let i = 0; i < 5; i++) journal.done(journal.accept("p", ev(i)) as number, `k${i}`);
    expect([...journal.handledKeys]).toEqual(["k2", "k3", "k4"]);
    journal.close();
    expect([...open({ maxHandledKeys: 3 }).journal.handledKeys]).toEqual(["k2", "k3", "k4"]);
  });

  it("a coalescer flush retires accepted events of its class and makes its outputs pending", () => {
    const { journal } = open();
    const m0 = journal.accept("m", { t: "member-join" }) as number;
    const u0 = journal.accept("u", ev(0)) as number;
    const u1 = journal.accept("u", ev(1)) as number;
    const [out] = journal.flush("u", u1, [ev(1)], ["key-u0"]);
    journal.close();
    const { report, journal: again } = open();
    expect(report.pending.map((p) => [p.seq, p.stage, p.cls])).toEqual([
      [m0, "raw", "m"],
      [out, "ready", "u"],
    ]);
    expect(report.pending.some((p) => p.seq === u0)).toBe(false);
    expect([...again.handledKeys]).toEqual(["key-u0"]);
    again.close();
    // The rewrite keeps the same meaning.
    expect(open().report.pending.map((p) => [p.seq, p.stage])).toEqual([
      [m0, "raw"],
      [out, "ready"],
    ]);
  });

  it("fsync is batched: one timer per interval however many records are written", () => {
    let timers = 0;
    const fire: Array<() => void> = [];
    const { journal } = open({
      setTimer: (fn: () => void) => {
        timers++;
        fire.push(fn);
        return {};
      },
    });
    for (let i = 0; i < 50; i++) journal.accept("p", ev(i));
    expect(timers).toBe(1);
    fire.shift()?.();
    journal.accept("p", ev(99));
    expect(timers).toBe(2);
    journal.close();
  });

  it("openEventJournal runs without a journal (and says so) when the file cannot be opened", () => {
    const logged: string[] = [];
    const logger = {
      info: (m: string) => logged.push(m),
      warn: (m: string) => logged.push(m),
      error: (m: string) => logged.push(m),
    };
    expect(openEventJournal(join(dir, "missing-dir", "snap"), logger)).toBeUndefined();
    expect(logged.join("\n")).toMatch(/Failed to open event journal .*not protected/);
    appendFileSync(path, "torn");
    const j = openEventJournal(join(dir, "snap"), logger);
    expect(logged.join("\n")).toMatch(/skipped 1 damaged line/);
    j?.close();
  });
});
