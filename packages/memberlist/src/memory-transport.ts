/**
 * An in-process `Transport` for tests and simulations. It does no routing itself: every send
 * and dial goes through a `MemoryFabric` (see `MemoryNetwork` in `./testing`), which decides
 * about latency, loss, partitions and which transport receives what.
 */

import { ChunkQueue, closedStreamError, iterateReads } from "./stream-queue.ts";
import {
  type Address,
  type DialOptions,
  type DuplexStream,
  type PacketHandler,
  parseAddress,
  type StreamHandler,
  type Transport,
  TransportError,
  TransportErrorCode,
} from "./transport.ts";

/** What a `MemoryTransport` needs from its network. */
export interface MemoryFabric {
  /** Current time of the network's clock (for `receivedAtMs`). */
  now(): number;
  /** Routes one datagram (the fabric copies nothing: `bytes` is already a private copy). */
  routePacket(from: Address, to: Address, bytes: Uint8Array): void;
  /** Opens a stream from `from` to `to`, applying the fabric's policy. */
  routeDial(from: Address, to: Address, opts: DialOptions): Promise<DuplexStream>;
  /** Forgets a closed transport. */
  detach(transport: MemoryTransport): void;
}

/**
 * Delivers stream bytes and end-of-stream markers in order from one end to the other,
 * possibly delayed. Returns false if the link is cut (the stream is then reset).
 */
export type StreamLink = (deliver: () => void) => boolean;

/** One end of an in-memory stream pair. */
export class MemoryStream implements DuplexStream {
  readonly remoteAddress: Address;
  readonly #inbox = new ChunkQueue();
  #peer: MemoryStream | undefined;
  #send: StreamLink;
  #closed = false;
  #writeEnded = false;
  readonly #closeListeners: ((s: MemoryStream) => void)[] = [];

  /** @internal use `MemoryStream.pair`. */
  constructor(remoteAddress: Address, send: StreamLink) {
    this.remoteAddress = remoteAddress;
    this.#send = send;
  }

  /**
   * Two connected ends. `aToB` carries what `a` writes to `b` (and vice versa); each link
   * function schedules delivery and reports whether the link is still up.
   */
  static pair(
    aRemote: Address,
    bRemote: Address,
    aToB: StreamLink,
    bToA: StreamLink,
  ): [MemoryStream, MemoryStream] {
    const a = new MemoryStream(aRemote, aToB);
    const b = new MemoryStream(bRemote, bToA);
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  get closed(): boolean {
    return this.#closed || (this.#writeEnded && this.#inbox.finished);
  }

  /** @internal lets the owning transport and the network forget the stream once closed. */
  addCloseListener(fn: (s: MemoryStream) => void): void {
    this.#closeListeners.push(fn);
  }

  #notifyClosed(): void {
    for (const fn of this.#closeListeners.splice(0)) fn(this);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed || this.#writeEnded) return Promise.reject(closedStreamError());
    const copy = bytes.slice();
    const peer = this.#peer;
    const up = this.#send(() => {
      if (peer !== undefined) peer.#receive(copy);
    });
    if (!up) {
      this.reset("connection reset (link cut)");
      return Promise.reject(
        new TransportError(TransportErrorCode.UNREACHABLE, "connection reset (link cut)"),
      );
    }
    return Promise.resolve();
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  end(): Promise<void> {
    if (this.#closed || this.#writeEnded) return Promise.resolve();
    this.#writeEnded = true;
    const peer = this.#peer;
    this.#send(() => {
      if (peer !== undefined) peer.#inbox.end();
    });
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inbox.discard();
    if (!this.#writeEnded) {
      this.#writeEnded = true;
      const peer = this.#peer;
      this.#send(() => {
        if (peer !== undefined) peer.#inbox.end();
      });
    }
    this.#notifyClosed();
  }

  /** Breaks both ends: pending and future reads reject with `UNREACHABLE`. */
  reset(reason: string): void {
    const err = new TransportError(TransportErrorCode.UNREACHABLE, reason);
    for (const end of [this, this.#peer]) {
      if (end === undefined || end.#closed) continue;
      end.#inbox.fail(err);
      end.#writeEnded = true;
      end.#closed = true;
      end.#notifyClosed();
    }
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#inbox.push(chunk);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return iterateReads(() => this.read());
  }
}

/** A transport attached to a `MemoryFabric`. Create through `MemoryNetwork.createTransport`. */
export class MemoryTransport implements Transport {
  readonly localAddress: Address;
  readonly #fabric: MemoryFabric;
  readonly #streams = new Set<MemoryStream>();
  #packetHandler: PacketHandler | undefined;
  #streamHandler: StreamHandler | undefined;
  #closed = false;

  constructor(fabric: MemoryFabric, localAddress: Address) {
    parseAddress(localAddress); // validates
    this.#fabric = fabric;
    this.localAddress = localAddress;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  onPacket(handler: PacketHandler): void {
    this.#packetHandler = handler;
  }

  onStream(handler: StreamHandler): void {
    this.#streamHandler = handler;
  }

  sendPacket(to: Address, bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#fabric.routePacket(this.localAddress, to, bytes.slice());
  }

  async dial(to: Address, opts: DialOptions): Promise<DuplexStream> {
    if (this.#closed) throw new TransportError(TransportErrorCode.CLOSED, "transport is closed");
    const stream = await this.#fabric.routeDial(this.localAddress, to, opts);
    if (this.#closed) {
      stream.close();
      throw new TransportError(TransportErrorCode.CLOSED, "transport is closed");
    }
    this.#track(stream);
    return stream;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams]) s.close();
    this.#fabric.detach(this);
  }

  /** @internal the fabric delivers a datagram. */
  deliverPacket(bytes: Uint8Array, from: Address): void {
    if (this.#closed) return;
    this.#packetHandler?.(bytes, from, this.#fabric.now());
  }

  /** @internal the fabric hands over an accepted stream; false if nobody accepts streams. */
  acceptStream(stream: MemoryStream, from: Address): boolean {
    const handler = this.#streamHandler;
    if (this.#closed || handler === undefined) return false;
    this.#track(stream);
    handler(stream, from);
    return true;
  }

  /** True when this transport can accept streams. */
  get accepting(): boolean {
    return !this.#closed && this.#streamHandler !== undefined;
  }

  #track(stream: DuplexStream): void {
    if (!(stream instanceof MemoryStream)) return;
    this.#streams.add(stream);
    stream.addCloseListener((s) => this.#streams.delete(s));
  }
}
