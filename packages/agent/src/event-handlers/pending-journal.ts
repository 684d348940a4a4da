/**
 * The pending-event journal (`<snapshot>.pending`): what the agent accepted for its event
 * handlers and has not yet handled, so that a crash (SIGKILL, OOM, power loss after the last
 * fsync) loses no event. Go's snapshot records an event's clock when it arrives; a restarted
 * agent then ignores that event when gossip offers it again, so an event still queued for the
 * handlers at the crash is lost. The journal closes that gap without touching the snapshot
 * file, which stays readable and writable by Go.
 *
 * Format: one record per line, `CRC32 JSON\n`, the CRC (8 hex digits, IEEE) taken over the
 * JSON text. A line that is torn (crash mid-write) or damaged fails its CRC and is skipped,
 * and counted; the lines after it are still read. Records:
 *
 * - `{"k":"a","s":SEQ,"c":CLASS,"e":EVENT}`: event SEQ accepted. CLASS `u` (user event that
 *   may be coalesced) and `m` (member event) go through a coalescer; `p` (any other user
 *   event) is handed to the handlers as it is.
 * - `{"k":"f","c":CLASS,"t":SEQ,"o":[[SEQ,EVENT],…]}`: the coalescer of CLASS flushed: every
 *   accepted event of that class up to SEQ `t` is replaced by the outputs `o`, each pending
 *   under its own SEQ (a coalesced event, or nothing for suppressed ones); `x`: keys of user
 *   events coalesced away (they count as handled).
 * - `{"k":"r","s":SEQ,"c":CLASS,"e":EVENT}`: a coalescer output still pending, as a rewrite
 *   of the file writes it.
 * - `{"k":"d","s":SEQ,"u":KEY}`: the handlers finished event SEQ (`u`: its user-event key).
 * - `{"k":"h","u":[KEY,…]}`: keys of user events already handled (see `userEventKey`), kept so
 *   that a restarted agent does not handle again an event that gossip offers once more.
 *
 * Writes are synchronous (`writeSync`), so an accepted event is on its way to disk before the
 * snapshot records its clock (the snapshot writer appends later, asynchronously), and a
 * handler's completion is written before the next event starts. `fdatasync` is batched: at
 * most once per `syncIntervalMs` (500 ms, Go's snapshot flush interval) while records were
 * written, and at close. The file is rewritten with only the live records (temporary file,
 * fsync, rename) at open and whenever it grows past 4 × the live size (at least 1 MiB).
 *
 * The cap: live records are bounded by `maxBytes` (default 16 MiB). An event that does not
 * fit is not journaled (`append` returns false); the caller still handles it, without the
 * crash guarantee, and logs it.
 */

import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "@serf-ts/wire/codec";

/** Journal class of an accepted event. */
export type JournalClass = "u" | "m" | "p";

/** A record of the journal (see the module documentation). */
export type JournalRecord =
  | { readonly k: "a"; readonly s: number; readonly c: JournalClass; readonly e: unknown }
  | {
      readonly k: "f";
      readonly c: JournalClass;
      readonly t: number;
      readonly o: ReadonlyArray<readonly [number, unknown]>;
      readonly x?: readonly string[];
    }
  | { readonly k: "r"; readonly s: number; readonly c: JournalClass; readonly e: unknown }
  | { readonly k: "d"; readonly s: number; readonly u?: string }
  | { readonly k: "h"; readonly u: readonly string[] };

/** A live entry: an accepted event waiting for its coalescer, or an event waiting for handlers. */
export interface PendingEntry {
  readonly seq: number;
  /** `raw`: accepted, still in a coalescer (classes `u`, `m`). `ready`: waiting for handlers. */
  readonly stage: "raw" | "ready";
  readonly cls: JournalClass;
  /** The event as `encode` produced it. */
  readonly event: unknown;
}

/** Options of {@link PendingJournal.open}. */
export interface PendingJournalOptions {
  /** Bytes of live records at most. @default 16 MiB */
  readonly maxBytes?: number | undefined;
  /** Handled user-event keys kept for dedup at most. @default 4096 */
  readonly maxHandledKeys?: number | undefined;
  /** The file is rewritten once it exceeds 4 × the live size and this. @default 1 MiB */
  readonly minCompactBytes?: number | undefined;
  /** fdatasync at most this often while records are written. @default 500 */
  readonly syncIntervalMs?: number | undefined;
  /** Timers (tests). @default setTimeout */
  readonly setTimer?: ((fn: () => void, ms: number) => { unref?(): unknown }) | undefined;
}

/** What {@link PendingJournal.open} found in an existing file. */
export interface JournalLoadReport {
  /** Lines skipped: bad CRC, bad JSON, unknown record, or a torn last line. */
  readonly skippedLines: number;
  readonly pending: readonly PendingEntry[];
}

export const DEFAULT_JOURNAL_MAX_BYTES = 16 * 1024 * 1024;
const MIN_COMPACT_BYTES = 1024 * 1024;
const encoder = new TextEncoder();

/** The file name of the journal beside a snapshot. */
export function journalPathFor(snapshotPath: string): string {
  return `${snapshotPath}.pending`;
}

/** One line: `CRC32 JSON\n`. */
export function encodeJournalLine(record: JournalRecord): string {
  const json = JSON.stringify(record);
  const crc = (crc32(encoder.encode(json)) >>> 0).toString(16).padStart(8, "0");
  return `${crc} ${json}\n`;
}

/** Parses one line (without `\n`); `undefined` when it is damaged. */
export function decodeJournalLine(line: string): JournalRecord | undefined {
  if (line.length < 10 || line[8] !== " ") return undefined;
  const json = line.slice(9);
  const crc = (crc32(encoder.encode(json)) >>> 0).toString(16).padStart(8, "0");
  if (crc !== line.slice(0, 8)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isRecord(value) ? value : undefined;
}

function isSeq(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function isClass(v: unknown): v is JournalClass {
  return v === "u" || v === "m" || v === "p";
}

function isRecord(v: unknown): v is JournalRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  switch (r.k) {
    case "a":
    case "r":
      return isSeq(r.s) && isClass(r.c) && r.e !== undefined;
    case "f":
      return (
        isClass(r.c) &&
        isSeq(r.t) &&
        Array.isArray(r.o) &&
        r.o.every((o) => Array.isArray(o) && o.length === 2 && isSeq(o[0]) && o[1] !== undefined) &&
        (r.x === undefined || (Array.isArray(r.x) && r.x.every((k) => typeof k === "string")))
      );
    case "d":
      return isSeq(r.s) && (r.u === undefined || typeof r.u === "string");
    case "h":
      return Array.isArray(r.u) && r.u.every((k) => typeof k === "string");
    default:
      return false;
  }
}

interface LiveEntry extends PendingEntry {
  /** Length of the record line that keeps it alive. */
  readonly bytes: number;
}

/** The journal file; see the module documentation. */
export class PendingJournal {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #maxHandledKeys: number;
  readonly #syncIntervalMs: number;
  readonly #minCompactBytes: number;
  readonly #setTimer: NonNullable<PendingJournalOptions["setTimer"]>;
  #fd: number | undefined;
  readonly #live = new Map<number, LiveEntry>();
  #liveBytes = 0;
  /** Bytes the handled keys take in a rewritten file (about). */
  #handledBytes = 0;
  #fileBytes = 0;
  #nextSeq = 0;
  /** Handled user-event keys, oldest first. */
  readonly #handled = new Set<string>();
  #dirty = false;
  #syncArmed = false;

  private constructor(path: string, options: PendingJournalOptions) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
    this.#maxHandledKeys = options.maxHandledKeys ?? 4096;
    this.#syncIntervalMs = options.syncIntervalMs ?? 500;
    this.#minCompactBytes = options.minCompactBytes ?? MIN_COMPACT_BYTES;
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  }

  /**
   * Opens (creating if needed) the journal, reads what it holds and rewrites it with only the
   * live records. Throws only on I/O errors (e.g. the directory is not writable).
   */
  static open(
    path: string,
    options: PendingJournalOptions = {},
  ): { journal: PendingJournal; report: JournalLoadReport } {
    const journal = new PendingJournal(path, options);
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    let skipped = 0;
    const lines = text.split("\n");
    // The text after the last newline is a torn write (or empty).
    const tail = lines.pop() ?? "";
    if (tail.length > 0) skipped++;
    for (const line of lines) {
      if (line.length === 0) continue;
      const record = decodeJournalLine(line);
      if (record === undefined) {
        skipped++;
        continue;
      }
      journal.#apply(record, line.length + 1);
    }
    journal.#rewrite();
    return { journal, report: { skippedLines: skipped, pending: journal.pending() } };
  }

  /** Live entries in sequence order. */
  pending(): PendingEntry[] {
    return [...this.#live.values()]
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq, stage, cls, event }) => ({ seq, stage, cls, event }));
  }

  /** Bytes of live records (what the cap applies to). */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Bytes in the file. */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  /** Handled user-event keys retained (oldest first). */
  get handledKeys(): ReadonlySet<string> {
    return this.#handled;
  }

  /**
   * Journals an accepted event. Returns its sequence number, or `undefined` when it does not
   * fit under the cap (nothing is written).
   */
  accept(cls: JournalClass, event: unknown): number | undefined {
    const seq = this.#nextSeq;
    const line = encodeJournalLine({ k: "a", s: seq, c: cls, e: event });
    if (this.#liveBytes + line.length > this.#maxBytes) return undefined;
    this.#nextSeq++;
    this.#write(line);
    this.#addLive({ seq, stage: cls === "p" ? "ready" : "raw", cls, event, bytes: line.length });
    return seq;
  }

  /**
   * A coalescer of `cls` flushed: accepted events of that class up to `upTo` are replaced by
   * `outputs`, which get sequence numbers (returned in order). `retiredKeys`: user-event keys
   * of accepted events that were coalesced away (they count as handled).
   */
  flush(
    cls: JournalClass,
    upTo: number,
    outputs: readonly unknown[],
    retiredKeys: readonly string[] = [],
  ): number[] {
    const seqs = outputs.map(() => this.#nextSeq++);
    const record: JournalRecord = {
      k: "f",
      c: cls,
      t: upTo,
      o: outputs.map((e, i) => [seqs[i] as number, e] as const),
      ...(retiredKeys.length > 0 ? { x: retiredKeys } : {}),
    };
    const line = encodeJournalLine(record);
    this.#write(line);
    this.#applyFlush(record, line.length);
    return seqs;
  }

  /** The handlers finished event `seq`; `userKey` marks a user event as handled. */
  done(seq: number, userKey?: string): void {
    if (!this.#live.has(seq)) return;
    const line = encodeJournalLine(
      userKey === undefined ? { k: "d", s: seq } : { k: "d", s: seq, u: userKey },
    );
    this.#write(line);
    this.#dropLive(seq);
    if (userKey !== undefined) this.#rememberHandled([userKey]);
    this.#maybeCompact();
  }

  /** Writes outstanding data to disk and closes the file. Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      if (this.#dirty) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #apply(record: JournalRecord, bytes: number): void {
    this.#fileBytes += bytes;
    switch (record.k) {
      case "a":
        this.#nextSeq = Math.max(this.#nextSeq, record.s + 1);
        this.#addLive({
          seq: record.s,
          stage: record.c === "p" ? "ready" : "raw",
          cls: record.c,
          event: record.e,
          bytes,
        });
        break;
      case "r":
        this.#nextSeq = Math.max(this.#nextSeq, record.s + 1);
        this.#addLive({ seq: record.s, stage: "ready", cls: record.c, event: record.e, bytes });
        break;
      case "f":
        for (const [s] of record.o) this.#nextSeq = Math.max(this.#nextSeq, s + 1);
        this.#applyFlush(record, bytes);
        break;
      case "d":
        if (this.#live.has(record.s) && record.u !== undefined) this.#rememberHandled([record.u]);
        this.#dropLive(record.s);
        break;
      case "h":
        this.#rememberHandled(record.u);
        break;
    }
  }

  #applyFlush(record: Extract<JournalRecord, { k: "f" }>, bytes: number): void {
    if (record.x !== undefined) this.#rememberHandled(record.x);
    for (const entry of [...this.#live.values()]) {
      if (entry.stage === "raw" && entry.cls === record.c && entry.seq <= record.t) {
        this.#dropLive(entry.seq);
      }
    }
    // Each output keeps the flush line alive; count it once per output (an upper bound).
    const share = record.o.length === 0 ? 0 : Math.ceil(bytes / record.o.length);
    for (const [seq, event] of record.o) {
      this.#addLive({ seq, stage: "ready", cls: record.c, event, bytes: share });
    }
  }

  #addLive(entry: LiveEntry): void {
    this.#live.set(entry.seq, entry);
    this.#liveBytes += entry.bytes;
  }

  #dropLive(seq: number): void {
    const entry = this.#live.get(seq);
    if (entry === undefined) return;
    this.#live.delete(seq);
    this.#liveBytes -= entry.bytes;
  }

  #rememberHandled(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.#handled.delete(key)) this.#handledBytes -= key.length + 3;
      this.#handled.add(key);
      this.#handledBytes += key.length + 3;
    }
    while (this.#handled.size > this.#maxHandledKeys) {
      const oldest = this.#handled.values().next().value as string;
      this.#handled.delete(oldest);
      this.#handledBytes -= oldest.length + 3;
    }
  }

  #write(line: string): void {
    if (this.#fd === undefined) throw new Error(`event journal ${this.path} is closed`);
    const bytes = encoder.encode(line);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.#fd, bytes, off, bytes.length - off);
    this.#fileBytes += bytes.length;
    this.#dirty = true;
    this.#armSync();
  }

  #armSync(): void {
    if (this.#syncArmed) return;
    this.#syncArmed = true;
    const timer = this.#setTimer(() => {
      this.#syncArmed = false;
      const fd = this.#fd;
      if (fd === undefined || !this.#dirty) return;
      this.#dirty = false;
      try {
        fdatasyncSync(fd);
      } catch {
        // The next write or close retries; a failing disk shows up in those errors.
        this.#dirty = true;
      }
    }, this.#syncIntervalMs);
    timer.unref?.();
  }

  #maybeCompact(): void {
    const kept = this.#liveBytes + this.#handledBytes;
    if (this.#fileBytes > Math.max(this.#minCompactBytes, 4 * kept)) this.#rewrite();
  }

  /** Rewrites the file with the live records only (temporary file, fsync, rename). */
  #rewrite(): void {
    const lines: string[] = [];
    if (this.#handled.size > 0) lines.push(encodeJournalLine({ k: "h", u: [...this.#handled] }));
    const entries = [...this.#live.values()].sort((a, b) => a.seq - b.seq);
    this.#liveBytes = 0;
    for (const entry of entries) {
      const line = encodeJournalLine(
        entry.stage === "raw" || entry.cls === "p"
          ? { k: "a", s: entry.seq, c: entry.cls, e: entry.event }
          : { k: "r", s: entry.seq, c: entry.cls, e: entry.event },
      );
      lines.push(line);
      this.#live.set(entry.seq, { ...entry, bytes: line.length });
      this.#liveBytes += line.length;
    }
    const text = lines.join("");
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w", 0o644);
    try {
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDirectory(dirname(this.path));
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = openSync(this.path, "a", 0o644);
    this.#fileBytes = encoder.encode(text).length;
    this.#dirty = false;
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Not supported everywhere; the rename already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Opens the journal beside `snapshotPath` for the agent and logs what it found. When the file
 * cannot be opened the agent runs without it (logged as an error), as it would without
 * `-snapshot`.
 */
export function openEventJournal(
  snapshotPath: string,
  logger: {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  },
  options: PendingJournalOptions = {},
): PendingJournal | undefined {
  const path = journalPathFor(snapshotPath);
  try {
    const { journal, report } = PendingJournal.open(path, options);
    if (report.skippedLines > 0) {
      logger.warn(`Event journal ${path}: skipped ${report.skippedLines} damaged line(s)`);
    }
    if (report.pending.length > 0) {
      logger.info(`Event journal ${path}: ${report.pending.length} event(s) not yet handled`);
    }
    return journal;
  } catch (err) {
    logger.error(
      `Failed to open event journal ${path}: ${err instanceof Error ? err.message : String(err)}; events are not protected across crashes`,
    );
    return undefined;
  }
}
