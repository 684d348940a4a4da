/**
 * The real network: UDP datagrams (`node:dgram`) for the packet plane and TCP connections
 * (`node:net`) for the stream plane, both on the **same port number** like Go memberlist's
 * `NetTransport`.
 *
 * Binding follows Go: TCP is bound first; with port 0 the kernel picks a port for TCP and UDP
 * is then bound to the same number, retrying with a fresh port if that UDP port is taken.
 * Outbound UDP leaves from the bound socket (so the source port is the bind port); outbound
 * TCP connections are dialled without binding a local address.
 */

import * as dgram from "node:dgram";
import * as dns from "node:dns";
import * as net from "node:net";
import { networkInterfaces } from "node:os";
import { isIPv4, isIPv6 } from "@serf-ts/wire";
import { type Clock, systemClock } from "./clock.ts";
import { type Logger, noopLogger } from "./logger.ts";
import { getPrivateIP, NO_PRIVATE_IP_MESSAGE } from "./private-ip.ts";
import { ChunkQueue, closedStreamError, iterateReads } from "./stream-queue.ts";
import {
  type Address,
  type DialOptions,
  type DuplexStream,
  formatAddress,
  normalizeAddress,
  type PacketHandler,
  parseAddress,
  type StreamHandler,
  type Transport,
  TransportError,
  TransportErrorCode,
} from "./transport.ts";

/** Options of `NetTransport.create`. */
export interface NetTransportOptions {
  /**
   * IP address to bind both sockets to. `"0.0.0.0"` / `"::"` listen on every interface.
   * @default "0.0.0.0"
   */
  readonly bindAddress?: string;
  /**
   * Port for both UDP and TCP; 0 lets the kernel choose (read it back from `port`).
   * @default 7946
   */
  readonly bindPort?: number;
  /**
   * IP address peers should use. Defaults to the bind address; for `0.0.0.0`, to a private
   * address of this host chosen as Go does (go-sockaddr `GetPrivateIP`, see `private-ip.ts`),
   * and `create` fails (`ADVERTISE`) when there is none; for `::`, to the first non-internal
   * IPv4 address (127.0.0.1 if there is none).
   */
  readonly advertiseAddress?: string;
  /** Finds the private address for a `0.0.0.0` bind (tests inject it). @default getPrivateIP */
  readonly privateIP?: () => string | undefined;
  /** Port peers should use. @default the bound port */
  readonly advertisePort?: number;
  /**
   * Receive buffer requested for the UDP socket; smaller sizes are tried if the OS refuses.
   * @default 2 MiB (Go memberlist's `udpRecvBufSize`)
   */
  readonly udpReceiveBufferBytes?: number;
  /** Clock used for `receivedAtMs`. @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
}

/** Go's attempts at finding a port free for both TCP and UDP when binding port 0. */
const BIND_ATTEMPTS = 10;
const DEFAULT_PORT = 7946;
const DEFAULT_UDP_RECV_BUFFER = 2 * 1024 * 1024;

function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "0:0:0:0:0:0:0:0";
}

function pickAdvertiseIP(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === "IPv4" && !info.internal) return info.address;
    }
  }
  return "127.0.0.1";
}

function isAddrInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}

function toUint8(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function listenTcp(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const addr = server.address();
      resolve(typeof addr === "object" && addr !== null ? addr.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/**
 * The UDP socket's `lookup`: an IP literal is answered at once, so `send` hands the datagram to
 * the kernel before it returns (Node's default `dns.lookup` answers even an IP literal on the
 * next tick, which delayed every probe and inflated round-trip times). Names still go to DNS.
 */
const ipLiteralLookup: NonNullable<dgram.SocketOptions["lookup"]> = (host, options, callback) => {
  const family = net.isIP(host);
  if (family !== 0) callback(null, host, family);
  else dns.lookup(host, options, callback);
};

function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      socket.off("error", onError);
      resolve();
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ address: host, port, exclusive: true });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // not running
    }
  });
}

/** A TCP socket as a `DuplexStream`. */
class SocketStream implements DuplexStream {
  readonly remoteAddress: Address;
  readonly #socket: net.Socket;
  readonly #queue = new ChunkQueue();
  readonly #onClosed: (s: SocketStream) => void;
  #closed = false;

  constructor(socket: net.Socket, onClosed: (s: SocketStream) => void) {
    this.#socket = socket;
    this.#onClosed = onClosed;
    const host = socket.remoteAddress ?? "0.0.0.0";
    const port = socket.remotePort ?? 0;
    this.remoteAddress = normalizeAddress(formatAddress(host, port));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#queue.push(toUint8(chunk)));
    socket.on("end", () => this.#queue.end());
    socket.on("error", (err) => {
      this.#queue.fail(
        new TransportError(TransportErrorCode.UNREACHABLE, `stream error: ${err.message}`, {
          cause: err,
        }),
      );
    });
    socket.on("close", () => {
      this.#queue.end();
      this.#markClosed();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClosed(this);
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || !socket.writable) {
      return Promise.reject(closedStreamError());
    }
    return new Promise((resolve, reject) => {
      socket.write(bytes, (err) => {
        if (err) reject(new TransportError(TransportErrorCode.CLOSED, err.message, { cause: err }));
        else resolve();
      });
    });
  }

  read(): Promise<Uint8Array | null> {
    return this.#queue.read();
  }

  end(): Promise<void> {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      socket.end(() => resolve());
    });
  }

  close(): void {
    this.#queue.discard();
    this.#socket.destroy();
    this.#markClosed();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return iterateReads(() => this.read());
  }
}

/** UDP + TCP on one port. Create with `NetTransport.create(options)`. */
export class NetTransport implements Transport {
  /** `advertiseAddress:advertisePort`. */
  readonly localAddress: Address;
  /** The IP both sockets are bound to. */
  readonly bindAddress: string;
  /** The port both sockets are bound to (the kernel's choice when `bindPort` was 0). */
  readonly port: number;

  readonly #udp: dgram.Socket;
  readonly #tcp: net.Server;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #streams = new Set<SocketStream>();
  readonly #pendingDials = new Set<net.Socket>();
  #packetHandler: PacketHandler | undefined;
  #streamHandler: StreamHandler | undefined;
  #closed = false;

  private constructor(
    udp: dgram.Socket,
    tcp: net.Server,
    bindAddress: string,
    port: number,
    localAddress: Address,
    clock: Clock,
    logger: Logger,
  ) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.bindAddress = bindAddress;
    this.port = port;
    this.localAddress = localAddress;
    this.#clock = clock;
    this.#logger = logger;

    udp.on("message", (msg, rinfo) => {
      const handler = this.#packetHandler;
      if (handler === undefined || this.#closed) return;
      const from = normalizeAddress(formatAddress(rinfo.address, rinfo.port));
      try {
        handler(toUint8(msg), from, this.#clock.now());
      } catch (err) {
        this.#logger.error("packet handler threw", { err, from });
      }
    });
    udp.on("error", (err) => this.#logger.error("UDP socket error", { err }));
    tcp.on("connection", (socket) => this.#accept(socket));
    tcp.on("error", (err) => this.#logger.error("TCP listener error", { err }));
  }

  /**
   * Binds TCP and UDP on the same port. Rejects with `TransportError` (code `BIND`) when the
   * port is taken (or, for port 0, no common free port was found in 10 attempts).
   */
  static async create(options: NetTransportOptions = {}): Promise<NetTransport> {
    const bindAddress = options.bindAddress ?? "0.0.0.0";
    const requestedPort = options.bindPort ?? DEFAULT_PORT;
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? noopLogger;
    if (!isIPv4(bindAddress) && !isIPv6(bindAddress)) {
      throw new TransportError(
        TransportErrorCode.BIND,
        `bind address must be an IP address, got "${bindAddress}"`,
      );
    }
    // Go (memberlist FinalAdvertiseAddr): a 0.0.0.0 bind advertises a private address, or fails.
    let advertiseIP = options.advertiseAddress;
    if (advertiseIP === undefined && bindAddress === "0.0.0.0") {
      advertiseIP = (options.privateIP ?? getPrivateIP)();
      if (advertiseIP === undefined) {
        throw new TransportError(
          TransportErrorCode.ADVERTISE,
          `Failed to get final advertise address: ${NO_PRIVATE_IP_MESSAGE}`,
        );
      }
    }
    const family = isIPv4(bindAddress) ? "udp4" : "udp6";
    let lastError: unknown;
    const attempts = requestedPort === 0 ? BIND_ATTEMPTS : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const tcp = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
      let port: number;
      try {
        port = await listenTcp(tcp, bindAddress, requestedPort);
      } catch (err) {
        lastError = err;
        await closeServer(tcp);
        if (requestedPort === 0 && isAddrInUse(err)) continue;
        break;
      }
      const udp = dgram.createSocket({ type: family, reuseAddr: false, lookup: ipLiteralLookup });
      try {
        await bindUdp(udp, bindAddress, port);
      } catch (err) {
        lastError = err;
        await closeUdp(udp);
        await closeServer(tcp);
        if (requestedPort === 0 && isAddrInUse(err)) continue;
        break;
      }
      setReceiveBuffer(udp, options.udpReceiveBufferBytes ?? DEFAULT_UDP_RECV_BUFFER, logger);
      const advertisePort = options.advertisePort ?? port;
      const ip = advertiseIP ?? (isWildcard(bindAddress) ? pickAdvertiseIP() : bindAddress);
      const localAddress = normalizeAddress(formatAddress(ip, advertisePort));
      return new NetTransport(udp, tcp, bindAddress, port, localAddress, clock, logger);
    }
    const msg = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TransportError(
      TransportErrorCode.BIND,
      `failed to bind ${bindAddress}:${requestedPort}: ${msg}`,
      { cause: lastError },
    );
  }

  onPacket(handler: PacketHandler): void {
    this.#packetHandler = handler;
  }

  onStream(handler: StreamHandler): void {
    this.#streamHandler = handler;
  }

  sendPacket(to: Address, bytes: Uint8Array): void {
    if (this.#closed) return;
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseAddress(to));
    } catch (err) {
      this.#logger.warn("not sending packet to a bad address", { to, err });
      return;
    }
    if (!isIPv4(this.bindAddress) && isIPv4(host)) host = `::ffff:${host}`;
    try {
      // dgram may send after returning: copy so callers can reuse their buffer.
      this.#udp.send(Buffer.from(bytes), port, host, (err) => {
        if (err) this.#logger.debug("UDP send failed", { to, err });
      });
    } catch (err) {
      this.#logger.debug("UDP send failed", { to, err });
    }
  }

  dial(to: Address, opts: DialOptions): Promise<DuplexStream> {
    if (this.#closed) {
      return Promise.reject(new TransportError(TransportErrorCode.CLOSED, "transport is closed"));
    }
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseAddress(to));
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = opts.signal;
    if (signal?.aborted) {
      return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `dial ${to} aborted`));
    }
    return new Promise<DuplexStream>((resolve, reject) => {
      const socket = net.connect({ host, port, allowHalfOpen: true });
      this.#pendingDials.add(socket);
      let settled = false;
      const finish = (err: TransportError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.off("connect", onConnect);
        socket.off("error", onError);
        this.#pendingDials.delete(socket);
        if (err !== undefined) {
          socket.destroy();
          reject(err);
          return;
        }
        if (this.#closed) {
          socket.destroy();
          reject(new TransportError(TransportErrorCode.CLOSED, "transport is closed"));
          return;
        }
        resolve(this.#track(socket));
      };
      const onConnect = (): void => finish(undefined);
      const onError = (err: Error): void =>
        finish(
          new TransportError(TransportErrorCode.UNREACHABLE, `dial ${to}: ${err.message}`, {
            cause: err,
          }),
        );
      const onAbort = (): void =>
        finish(new TransportError(TransportErrorCode.ABORTED, `dial ${to} aborted`));
      const timer = setTimeout(
        () =>
          finish(
            new TransportError(
              TransportErrorCode.TIMEOUT,
              `dial ${to}: timed out after ${opts.timeoutMs} ms`,
            ),
          ),
        Math.max(0, opts.timeoutMs),
      );
      socket.once("connect", onConnect);
      socket.once("error", onError);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#pendingDials) socket.destroy();
    this.#pendingDials.clear();
    for (const stream of [...this.#streams]) stream.close();
    await Promise.all([closeServer(this.#tcp), closeUdp(this.#udp)]);
  }

  #track(socket: net.Socket): SocketStream {
    const stream = new SocketStream(socket, (s) => this.#streams.delete(s));
    this.#streams.add(stream);
    return stream;
  }

  #accept(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const handler = this.#streamHandler;
    if (handler === undefined) {
      socket.destroy();
      return;
    }
    const stream = this.#track(socket);
    try {
      handler(stream, stream.remoteAddress);
    } catch (err) {
      this.#logger.error("stream handler threw", { err, from: stream.remoteAddress });
      stream.close();
    }
  }
}

function setReceiveBuffer(udp: dgram.Socket, wanted: number, logger: Logger): void {
  for (let size = wanted; size >= 64 * 1024; size = Math.floor(size / 2)) {
    try {
      udp.setRecvBufferSize(size);
      return;
    } catch {
      // try smaller
    }
  }
  logger.warn("could not enlarge the UDP receive buffer");
}
