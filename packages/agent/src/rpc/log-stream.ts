/**
 * `monitor`: streams agent log lines to one client (Go `logStream`). At most one per
 * connection; lines pass a logutils level filter; each line is sent as a `{Log}` record with
 * the monitor's Seq.
 */

import { encodeRecordFrame, unknownLogLevelError } from "@serf-ts/wire/rpc";
import { LOG_LEVELS, type LogLevel, passesLevel } from "../logging/log-level.ts";
import type { FrameSink, StreamFailure } from "./frame-sink.ts";

/**
 * Go's `strings.ToUpper`: one-to-one per code point (a code point whose upper case is longer,
 * such as `ß`, stays as it is).
 */
function goToUpper(s: string): string {
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += [...up].length === 1 ? up : ch;
  }
  return out;
}

/**
 * The level of a `monitor` request (any case), or the error Go answers:
 * `Unknown log level: <UPPERCASED>`.
 */
export function parseMonitorLevel(
  text: string,
): { readonly level: LogLevel } | { readonly error: string } {
  const upper = goToUpper(text);
  const level = LOG_LEVELS.find((l) => l === upper);
  return level === undefined ? { error: unknownLogLevelError(text) } : { level };
}

/** One `monitor` subscription. */
export class LogStream {
  readonly seq: number;
  readonly level: LogLevel;
  private readonly sink: FrameSink;
  private readonly fail: StreamFailure;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(seq: number, level: LogLevel, sink: FrameSink, fail: StreamFailure) {
    this.seq = seq;
    this.level = level;
    this.sink = sink;
    this.fail = fail;
  }

  /**
   * Subscribes through `subscribe` (the backend's `subscribeLogs`), which replays the ring
   * first. Call after the success header was sent, as Go does.
   */
  start(subscribe: (level: LogLevel, handler: (line: string) => void) => () => void): void {
    if (this.stopped || this.unsubscribe !== undefined) return;
    const unsubscribe = subscribe(this.level, (line) => this.handle(line));
    if (this.stopped) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  /** A log line; sends it if it passes the level filter. */
  handle(line: string): void {
    if (this.stopped || !passesLevel(line, this.level)) return;
    let frame: Uint8Array;
    try {
      frame = encodeRecordFrame("monitor", this.seq, { log: line });
    } catch (err) {
      this.fail("log", err);
      return;
    }
    if (!this.sink(frame)) this.stop();
  }

  /** Stops streaming (idempotent). No record is sent afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    unsubscribe?.();
  }

  get active(): boolean {
    return !this.stopped;
  }
}
