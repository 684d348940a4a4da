/**
 * An in-memory network of `MemoryTransport`s with fault injection, for driver and cluster
 * tests. Packets can be delayed (latency + jitter, so they reorder), lost (globally or per
 * direction), duplicated, or blocked by partitions and one-way link cuts. Streams model TCP:
 * they are either delivered in order (with latency) or cut; a dial across a cut waits for its
 * timeout, a dial to an address nobody listens on is refused at once.
 *
 * Every random decision comes from one seeded generator, and deliveries are scheduled on the
 * network's `Clock` (pass a `ManualClock` for fully deterministic tests).
 */

import { type Clock, systemClock, type TimerHandle } from "../clock.ts";
import { type MemoryFabric, MemoryStream, MemoryTransport } from "../memory-transport.ts";
import {
  type Address,
  type DialOptions,
  type DuplexStream,
  formatAddress,
  parseAddress,
  TransportError,
  TransportErrorCode,
} from "../transport.ts";

/** Options of `MemoryNetwork`. */
export interface MemoryNetworkOptions {
  /** Clock used to schedule deliveries and stamp `receivedAtMs`. @default systemClock */
  readonly clock?: Clock;
  /** Seed of the fault generator. @default 1 */
  readonly seed?: number;
  /** One-way base latency for packets and stream chunks. @default 0 */
  readonly latencyMs?: number;
  /** Extra uniform random delay in `[0, jitterMs)` for packets (reorders them). @default 0 */
  readonly jitterMs?: number;
  /** Probability that any packet is dropped. @default 0 */
  readonly lossRate?: number;
  /** Probability that a delivered packet is delivered twice. @default 0 */
  readonly duplicateRate?: number;
}

/** Counters of what the network did. */
export interface MemoryNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  packetsDropped: number;
  streamsOpened: number;
  streamsRefused: number;
  streamsReset: number;
}

/** A decision about one packet, for custom filters. */
export interface PacketInfo {
  readonly from: Address;
  readonly to: Address;
  readonly bytes: Uint8Array;
}

/** mulberry32: small, fast, good enough for fault decisions. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function linkKey(from: Address, to: Address): string {
  return `${from}>${to}`;
}

/** A set of connected `MemoryTransport`s plus a fault plan. */
export class MemoryNetwork implements MemoryFabric {
  readonly clock: Clock;
  readonly stats: MemoryNetworkStats = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsDropped: 0,
    streamsOpened: 0,
    streamsRefused: 0,
    streamsReset: 0,
  };

  readonly #random: () => number;
  readonly #transports = new Map<Address, MemoryTransport>();
  readonly #pending = new Set<TimerHandle>();
  readonly #linkLoss = new Map<string, number>();
  readonly #blocked = new Set<string>();
  readonly #groups = new Map<Address, number>();
  readonly #openStreams = new Set<{ from: Address; to: Address; stream: MemoryStream }>();
  readonly #lastStreamDelivery = new WeakMap<object, number>();
  readonly #useImmediate: boolean;
  #latencyMs: number;
  #jitterMs: number;
  #lossRate: number;
  #duplicateRate: number;
  #filter: ((p: PacketInfo) => boolean) | undefined;
  #nextHost = 1;
  #nextEphemeralPort = 40000;

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#useImmediate = options.clock === undefined;
    this.#random = seededRandom(options.seed ?? 1);
    this.#latencyMs = options.latencyMs ?? 0;
    this.#jitterMs = options.jitterMs ?? 0;
    this.#lossRate = options.lossRate ?? 0;
    this.#duplicateRate = options.duplicateRate ?? 0;
  }

  /**
   * Attaches a new transport at `address` (default: the next free `10.x.y.z:7946`). Throws if
   * the address is taken by an open transport.
   */
  createTransport(address?: Address): MemoryTransport {
    const addr = address ?? this.#allocateAddress();
    if (this.#transports.has(addr)) {
      throw new TransportError(TransportErrorCode.BIND, `address ${addr} already in use`);
    }
    const transport = new MemoryTransport(this, addr);
    this.#transports.set(addr, transport);
    return transport;
  }

  /** Addresses of all open transports, in creation order. */
  addresses(): Address[] {
    return [...this.#transports.keys()];
  }

  // -------------------------------------------------------------------------------------------
  // Fault plan

  /** Sets the one-way latency (and packet jitter) for everything sent from now on. */
  setLatency(latencyMs: number, jitterMs = 0): void {
    this.#latencyMs = Math.max(0, latencyMs);
    this.#jitterMs = Math.max(0, jitterMs);
  }

  /** Sets the global packet loss probability (0..1). */
  setLoss(rate: number): void {
    this.#lossRate = rate;
  }

  /** Sets the packet duplication probability (0..1). */
  setDuplication(rate: number): void {
    this.#duplicateRate = rate;
  }

  /** Packet loss probability for the directed link `from → to` only (on top of global loss). */
  setLinkLoss(from: Address, to: Address, rate: number): void {
    if (rate <= 0) this.#linkLoss.delete(linkKey(from, to));
    else this.#linkLoss.set(linkKey(from, to), rate);
  }

  /** Cuts the directed link `from → to` (packets dropped, stream chunks reset): a half-open link. */
  blockLink(from: Address, to: Address): void {
    this.#blocked.add(linkKey(from, to));
    this.#resetCutStreams();
  }

  /** Restores the directed link `from → to`. */
  unblockLink(from: Address, to: Address): void {
    this.#blocked.delete(linkKey(from, to));
  }

  /**
   * Splits the network into groups that cannot reach each other. Addresses not listed form one
   * more implicit group. Replaces any previous partition.
   */
  partition(...groups: readonly (readonly Address[])[]): void {
    this.#groups.clear();
    groups.forEach((g, i) => {
      for (const addr of g) this.#groups.set(addr, i + 1);
    });
    this.#resetCutStreams();
  }

  /** Cuts `address` off from everyone (its own partition). */
  isolate(address: Address): void {
    const next = Math.max(0, ...this.#groups.values()) + 1;
    this.#groups.set(address, next);
    this.#resetCutStreams();
  }

  /** Drops a packet whenever `filter` returns false (e.g. to drop one message type). */
  setPacketFilter(filter: ((p: PacketInfo) => boolean) | undefined): void {
    this.#filter = filter;
  }

  /** Removes partitions, blocked links, per-link loss and the packet filter. */
  heal(): void {
    this.#groups.clear();
    this.#blocked.clear();
    this.#linkLoss.clear();
    this.#filter = undefined;
  }

  /** True when `from` can currently send to `to` (ignoring random loss). */
  isReachable(from: Address, to: Address): boolean {
    if (this.#blocked.has(linkKey(from, to))) return false;
    return (this.#groups.get(from) ?? 0) === (this.#groups.get(to) ?? 0);
  }

  /** Closes every transport and cancels every pending delivery. */
  async close(): Promise<void> {
    for (const t of this.#pending) t.cancel();
    this.#pending.clear();
    await Promise.all([...this.#transports.values()].map((t) => t.close()));
  }

  // -------------------------------------------------------------------------------------------
  // MemoryFabric

  now(): number {
    return this.clock.now();
  }

  routePacket(from: Address, to: Address, bytes: Uint8Array): void {
    this.stats.packetsSent++;
    if (
      !this.isReachable(from, to) ||
      (this.#filter !== undefined && !this.#filter({ from, to, bytes }))
    ) {
      this.stats.packetsDropped++;
      return;
    }
    const loss = this.#lossRate + (this.#linkLoss.get(linkKey(from, to)) ?? 0);
    if (loss > 0 && this.#random() < loss) {
      this.stats.packetsDropped++;
      return;
    }
    const copies = this.#duplicateRate > 0 && this.#random() < this.#duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.#latencyMs + (this.#jitterMs > 0 ? this.#random() * this.#jitterMs : 0);
      this.#schedule(delay, () => {
        const target = this.#transports.get(to);
        if (target === undefined || !this.isReachable(from, to)) {
          this.stats.packetsDropped++;
          return;
        }
        this.stats.packetsDelivered++;
        target.deliverPacket(i === 0 ? bytes : bytes.slice(), from);
      });
    }
  }

  routeDial(from: Address, to: Address, opts: DialOptions): Promise<DuplexStream> {
    return new Promise((resolve, reject) => {
      const signal = opts.signal;
      if (signal?.aborted) {
        reject(new TransportError(TransportErrorCode.ABORTED, `dial ${to} aborted`));
        return;
      }
      let settled = false;
      let timeout: TimerHandle | undefined;
      const settle = (err: TransportError | undefined, stream?: MemoryStream): void => {
        if (settled) return;
        settled = true;
        timeout?.cancel();
        if (timeout !== undefined) this.#pending.delete(timeout);
        signal?.removeEventListener("abort", onAbort);
        if (err !== undefined) {
          this.stats.streamsRefused++;
          reject(err);
        } else if (stream !== undefined) {
          resolve(stream);
        }
      };
      const onAbort = (): void =>
        settle(new TransportError(TransportErrorCode.ABORTED, `dial ${to} aborted`));
      signal?.addEventListener("abort", onAbort, { once: true });

      timeout = this.#schedule(opts.timeoutMs, () =>
        settle(
          new TransportError(
            TransportErrorCode.TIMEOUT,
            `dial ${to}: timed out after ${opts.timeoutMs} ms`,
          ),
        ),
      );

      // The SYN travels one way; a cut link means silence until the timeout, like TCP.
      this.#schedule(this.#latencyMs, () => {
        if (settled) return;
        if (!this.isReachable(from, to) || !this.isReachable(to, from)) return;
        const target = this.#transports.get(to);
        if (target === undefined || !target.accepting) {
          settle(
            new TransportError(TransportErrorCode.UNREACHABLE, `dial ${to}: connection refused`),
          );
          return;
        }
        const ephemeral = formatAddress(parseAddress(from).host, this.#ephemeralPort());
        const dirAB = {};
        const dirBA = {};
        const [dialerEnd, acceptorEnd] = MemoryStream.pair(
          to,
          ephemeral,
          (deliver) => this.#streamSend(from, to, dirAB, deliver),
          (deliver) => this.#streamSend(to, from, dirBA, deliver),
        );
        const record = { from, to, stream: dialerEnd };
        this.#openStreams.add(record);
        dialerEnd.addCloseListener(() => this.#openStreams.delete(record));
        this.stats.streamsOpened++;
        // The acceptor sees the connection now; the dialer learns about it one latency later.
        if (!target.acceptStream(acceptorEnd, ephemeral)) {
          settle(
            new TransportError(TransportErrorCode.UNREACHABLE, `dial ${to}: connection refused`),
          );
          return;
        }
        this.#schedule(this.#latencyMs, () => {
          if (settled) {
            dialerEnd.reset("dial abandoned");
            return;
          }
          settle(undefined, dialerEnd);
        });
      });
    });
  }

  detach(transport: MemoryTransport): void {
    if (this.#transports.get(transport.localAddress) === transport) {
      this.#transports.delete(transport.localAddress);
    }
  }

  // -------------------------------------------------------------------------------------------

  #allocateAddress(): Address {
    for (;;) {
      const n = this.#nextHost++;
      const addr = `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}:7946`;
      if ((n & 0xff) !== 0 && (n & 0xff) !== 0xff && !this.#transports.has(addr)) return addr;
    }
  }

  #ephemeralPort(): number {
    const p = this.#nextEphemeralPort++;
    if (this.#nextEphemeralPort > 65000) this.#nextEphemeralPort = 40000;
    return p;
  }

  #schedule(delayMs: number, fn: () => void): TimerHandle {
    if (this.#useImmediate && delayMs <= 0) {
      let cancelled = false;
      const handle: TimerHandle = {
        cancel: () => {
          cancelled = true;
        },
      };
      this.#pending.add(handle);
      setImmediate(() => {
        this.#pending.delete(handle);
        if (!cancelled) fn();
      });
      return handle;
    }
    const handle = this.clock.setTimer(this.clock.now() + delayMs, () => {
      this.#pending.delete(handle);
      fn();
    });
    this.#pending.add(handle);
    return handle;
  }

  /** Ordered stream delivery in one direction; false when the link is cut. */
  #streamSend(from: Address, to: Address, direction: object, deliver: () => void): boolean {
    if (!this.isReachable(from, to)) return false;
    const now = this.clock.now();
    const at = Math.max(now + this.#latencyMs, this.#lastStreamDelivery.get(direction) ?? 0);
    this.#lastStreamDelivery.set(direction, at);
    this.#schedule(at - now, deliver);
    return true;
  }

  #resetCutStreams(): void {
    for (const record of [...this.#openStreams]) {
      if (!this.isReachable(record.from, record.to) || !this.isReachable(record.to, record.from)) {
        this.#openStreams.delete(record);
        this.stats.streamsReset++;
        record.stream.reset("connection reset (link cut)");
      }
    }
  }
}
