/**
 * `statsd_addr`: go-metrics' `StatsdSink`. Lines are queued (at most 4096; more are dropped,
 * never blocking the agent), packed into UDP datagrams of at most 1400 bytes and sent when a
 * datagram is full or every 100 ms. A send error drops the queue for 5 s, then the sink
 * reconnects, as Go does.
 */

import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { splitHostPort } from "@serf-ts/wire";
import { StatsLineSink } from "./stats-line.ts";

/** go-metrics `statsdMaxLen`. */
export const STATSD_MAX_PACKET = 1400;
/** go-metrics' flush interval. */
export const STATS_FLUSH_INTERVAL_MS = 100;
/** go-metrics' metric queue capacity. */
export const STATS_QUEUE_CAPACITY = 4096;
/** go-metrics' pause after a connection or write error. */
export const STATS_RETRY_MS = 5000;

/** Where a stats sink logs its errors (Go's `log.Printf("[ERR] …")`). */
export type StatsErrorLog = (message: string) => void;

/** Options of {@link StatsdSink}. */
export interface StatsdSinkOptions {
  /** `host:port` (Go `net.Dial("udp", addr)`). */
  readonly address: string;
  readonly logError?: StatsErrorLog | undefined;
  /** @default 100 */
  readonly flushIntervalMs?: number | undefined;
}

/** Sends go-metrics lines over UDP. */
export class StatsdSink extends StatsLineSink {
  readonly #address: string;
  readonly #log: StatsErrorLog;
  readonly #queue: string[] = [];
  readonly #flushIntervalMs: number;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #socket: Socket | undefined;
  #connecting: Promise<void> | undefined;
  #pausedUntil = 0;
  #closed = false;

  constructor(options: StatsdSinkOptions) {
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

  /** Sends what is queued and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#connecting;
    this.#flush();
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #connect(): void {
    this.#connecting = this.#open().then(
      (socket) => {
        this.#connecting = undefined;
        if (this.#closed) socket.close();
        else this.#socket = socket;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        this.#fail(`Error connecting to statsd! Err: ${errorText(err)}`);
      },
    );
  }

  async #open(): Promise<Socket> {
    const { host, port } = splitHostPort(this.#address);
    const portNumber = Number(port);
    if (!/^\d+$/.test(port) || portNumber > 65535) throw new Error(`invalid port ${port}`);
    const ip = isIP(host) !== 0 ? host : (await lookup(host === "" ? "localhost" : host)).address;
    const socket = createSocket(isIP(ip) === 6 ? "udp6" : "udp4");
    socket.unref();
    socket.on("error", (err) => this.#fail(`Error writing to statsd! Err: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(portNumber, ip, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket;
  }

  #flush(): void {
    const socket = this.#socket;
    if (socket === undefined) {
      if (this.#connecting === undefined && !this.#closed && Date.now() >= this.#pausedUntil) {
        this.#connect();
      }
      return;
    }
    let packet = "";
    for (const line of this.#queue.splice(0)) {
      if (packet.length + line.length > STATSD_MAX_PACKET) {
        this.#send(socket, packet);
        packet = "";
      }
      packet += line;
    }
    if (packet !== "") this.#send(socket, packet);
  }

  #send(socket: Socket, packet: string): void {
    socket.send(packet, (err) => {
      if (err) this.#fail(`Error flushing to statsd! Err: ${err.message}`);
    });
  }

  /** Go's WAIT state: drop metrics for 5 s, then reconnect. */
  #fail(message: string): void {
    if (this.#closed) return;
    this.#log(message);
    this.#queue.length = 0;
    this.#pausedUntil = Date.now() + STATS_RETRY_MS;
    this.#socket?.close();
    this.#socket = undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
