/**
 * `statsite_addr`: go-metrics' `StatsiteSink`: the statsd line format over one TCP connection,
 * flushed every 100 ms. Lines are dropped (never blocking the agent) while more than 4096 are
 * queued or 1 MiB is unsent; a connection or write error drops metrics for 5 s, then the sink
 * reconnects, as Go does.
 */

import { connect, type Socket } from "node:net";
import { splitHostPort } from "@serf-ts/wire";
import {
  STATS_FLUSH_INTERVAL_MS,
  STATS_QUEUE_CAPACITY,
  STATS_RETRY_MS,
  type StatsErrorLog,
} from "./statsd-sink.ts";
import { StatsLineSink } from "./stats-line.ts";

const MAX_UNSENT_BYTES = 1024 * 1024;

/** Options of {@link StatsiteSink}. */
export interface StatsiteSinkOptions {
  /** `host:port` (Go `net.Dial("tcp", addr)`). */
  readonly address: string;
  readonly logError?: StatsErrorLog | undefined;
  /** @default 100 */
  readonly flushIntervalMs?: number | undefined;
}

/** Sends go-metrics lines over TCP. */
export class StatsiteSink extends StatsLineSink {
  readonly #address: string;
  readonly #log: StatsErrorLog;
  readonly #queue: string[] = [];
  readonly #flushIntervalMs: number;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #socket: Socket | undefined;
  #connected = false;
  #pausedUntil = 0;
  #closed = false;

  constructor(options: StatsiteSinkOptions) {
    super();
    this.#address = options.address;
    this.#log = options.logError ?? (() => {});
    this.#flushIntervalMs = options.flushIntervalMs ?? STATS_FLUSH_INTERVAL_MS;
    this.#connect();
  }

  protected push(line: string): void {
    if (this.#closed || Date.now() < this.#pausedUntil) return;
    if (this.#queue.length >= STATS_QUEUE_CAPACITY) return;
    this.#queue.push(line);
    // Armed only while lines wait: an agent that emits nothing does not wake up for us.
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flush();
      }, this.#flushIntervalMs);
      this.#flushTimer.unref();
    }
  }

  /** Sends what is queued and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  #connect(): void {
    let host: string;
    let port: string;
    try {
      ({ host, port } = splitHostPort(this.#address));
    } catch (err) {
      this.#fail(`Error connecting to statsite! Err: ${errorText(err)}`);
      return;
    }
    const socket = connect({ host: host === "" ? "localhost" : host, port: Number(port) });
    socket.unref();
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#connected = false;
    socket.once("connect", () => {
      this.#connected = true;
    });
    socket.on("error", (err) => {
      const what = this.#connected ? "flushing to" : "connecting to";
      this.#fail(`Error ${what} statsite! Err: ${err.message}`);
    });
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
    });
  }

  #flush(): void {
    if (this.#closed) return;
    const socket = this.#socket;
    if (socket === undefined) {
      if (Date.now() >= this.#pausedUntil) this.#connect();
      return;
    }
    if (!this.#connected || this.#queue.length === 0) return;
    const text = this.#queue.splice(0).join("");
    if (socket.writableLength > MAX_UNSENT_BYTES) return;
    socket.write(text);
  }

  #fail(message: string): void {
    if (this.#closed) return;
    this.#log(message);
    this.#queue.length = 0;
    this.#pausedUntil = Date.now() + STATS_RETRY_MS;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
