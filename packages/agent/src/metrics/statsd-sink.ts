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
import { errorText, QueuedStatsSink, type QueuedStatsSinkOptions } from "./queued-stats-sink.ts";

/** go-metrics `statsdMaxLen`. */
export const STATSD_MAX_PACKET = 1400;

/** Options of {@link StatsdSink}. */
export interface StatsdSinkOptions extends QueuedStatsSinkOptions {
  /** `host:port` (Go `net.Dial("udp", addr)`). */
  readonly address: string;
}

/** Sends go-metrics lines over UDP. */
export class StatsdSink extends QueuedStatsSink {
  readonly #address: string;
  #socket: Socket | undefined;
  #connecting: Promise<void> | undefined;

  constructor(options: StatsdSinkOptions) {
    super(options);
    this.#address = options.address;
    this.#connect();
  }

  /** Sends what is queued and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.#connecting;
    this.flush();
    this.stopFlushing();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #connect(): void {
    this.#connecting = this.#open().then(
      (socket) => {
        this.#connecting = undefined;
        if (this.closed) socket.close();
        else this.#socket = socket;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        this.pause(`Error connecting to statsd! Err: ${errorText(err)}`);
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
    socket.on("error", (err) => this.pause(`Error writing to statsd! Err: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(portNumber, ip, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket;
  }

  protected flush(): void {
    const socket = this.#socket;
    if (socket === undefined) {
      if (this.#connecting === undefined && !this.closed && Date.now() >= this.pausedUntil) {
        this.#connect();
      }
      return;
    }
    let packet = "";
    for (const line of this.queue.splice(0)) {
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
      if (err) this.pause(`Error flushing to statsd! Err: ${err.message}`);
    });
  }

  protected dropConnection(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}
