/**
 * `statsite_addr`: go-metrics' `StatsiteSink`: the statsd line format over one TCP connection,
 * flushed every 100 ms. Lines are dropped (never blocking the agent) while more than 4096 are
 * queued or 1 MiB is unsent; a connection or write error drops metrics for 5 s, then the sink
 * reconnects, as Go does.
 */

import { connect, type Socket } from "node:net";
import { splitHostPort } from "@serf-ts/wire";
import { errorText, QueuedStatsSink, type QueuedStatsSinkOptions } from "./queued-stats-sink.ts";

const MAX_UNSENT_BYTES = 1024 * 1024;

/** Options of {@link StatsiteSink}. */
export interface StatsiteSinkOptions extends QueuedStatsSinkOptions {
  /** `host:port` (Go `net.Dial("tcp", addr)`). */
  readonly address: string;
}

/** Sends go-metrics lines over TCP. */
export class StatsiteSink extends QueuedStatsSink {
  readonly #address: string;
  #socket: Socket | undefined;
  #connected = false;

  constructor(options: StatsiteSinkOptions) {
    super(options);
    this.#address = options.address;
    this.#connect();
  }

  /** Sends what is queued and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.stopFlushing();
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
      this.pause(`Error connecting to statsite! Err: ${errorText(err)}`);
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
      this.pause(`Error ${what} statsite! Err: ${err.message}`);
    });
    socket.on("close", () => {
      if (this.#socket === socket) this.#socket = undefined;
    });
  }

  protected flush(): void {
    if (this.closed) return;
    const socket = this.#socket;
    if (socket === undefined) {
      if (Date.now() >= this.pausedUntil) this.#connect();
      return;
    }
    if (!this.#connected || this.queue.length === 0) return;
    const text = this.queue.splice(0).join("");
    if (socket.writableLength > MAX_UNSENT_BYTES) return;
    socket.write(text);
  }

  protected dropConnection(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }
}
