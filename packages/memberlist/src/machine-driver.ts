/**
 * `MachineDriver`: runs any sans-I/O machine that follows the `SwimMachine` driver contract
 * (`SwimMachine` itself, serf's `SerfMachine`, …) on a real or in-memory transport. It owns
 *
 * - **one** timer, always armed for the machine's `pollTimeout()`;
 * - the `PacketPipeline` (compound, LZW, CRC, AES-GCM) between machine and transport;
 * - stream exchanges: for every stream transmit it dials, writes the request, reads one reply
 *   and reports it with `handleStreamReply`; inbound streams are read (bounded by
 *   `tcpTimeoutMs`), answered with `handleStreamRequest`'s reply and closed, like Go;
 * - waiters for exchange outcomes and for conditions on the machine's state.
 *
 * After every input the driver "pumps": it drains `pollTransmit()` into the transport,
 * `pollEvent()` into `onEvent`, resolves waiters whose condition now holds, and re-arms the
 * timer. `onEvent` runs synchronously inside the pump and may call back into the driver (the
 * pump is re-entrancy safe). Operations on the machine go through `act`, which hands the
 * machine the clock's `now` and pumps afterwards.
 *
 * The owner creates the machine (with `clock.now()`), creates the driver, calls `start()`,
 * and at the end shuts the machine down itself (machines differ there) before
 * `driver.shutdown()`, which drains the last events and closes the transport.
 */

import type { PacketMessage, StreamMessage } from "@serf-ts/wire";
import type { Clock, TimerHandle } from "./clock.ts";
import type {
  ExchangeOutcome,
  StreamFailure,
  StreamReply,
  StreamRequest,
  StreamTransmit,
  Transmit,
} from "./core/types.ts";
import { type MetricsSink, noopMetricsSink } from "./core/metrics-sink.ts";
import { type Logger, noopLogger } from "./logger.ts";
import {
  type PacketPipeline,
  type PacketPipelineStats,
  StreamLabelError,
} from "./packet-pipeline.ts";
import {
  type Address,
  type DuplexStream,
  type Transport,
  TransportError,
  TransportErrorCode,
} from "./transport.ts";

/** Go memberlist closes the 128th concurrent inbound push/pull without reply. */
export const MAX_INBOUND_STREAMS = 127;

/**
 * The driver contract of `SwimMachine` (see its module documentation): inputs stamped with the
 * caller's `now`, outputs drained after every input. `E` is the machine's event type.
 */
export interface DrivableMachine<E = unknown> {
  /** The decoded messages of one datagram from `from` ("ip:port"). */
  handlePacket(from: Address, messages: readonly PacketMessage[], now: number): void;
  /** An inbound stream's request; returns the reply to write (`undefined`: close). */
  handleStreamRequest(from: Address, request: StreamRequest, now: number): StreamReply | undefined;
  /** The outcome of a stream transmit; returns how the machine judged it, if it still cared. */
  handleStreamReply(
    exchange: number,
    reply: StreamReply | StreamFailure,
    now: number,
  ): ExchangeOutcome | undefined;
  /** Runs every deadline due at `now`. */
  handleTimeout(now: number): void;
  /** A transmit with `pingSeqNo` is being sent now (optional; times the probe's round trip). */
  handlePingSent?(seqNo: number, now: number): void;
  pollTransmit(): Transmit | undefined;
  pollEvent(): E | undefined;
  /** Absolute time (ms) of the next deadline, if any. */
  pollTimeout(): number | undefined;
}

/** The event type of a drivable machine. */
export type MachineEvent<M extends DrivableMachine> = NonNullable<ReturnType<M["pollEvent"]>>;

/** Counters of a driver: the pipeline's plus stream bookkeeping (one live object). */
export interface MachineDriverStats extends PacketPipelineStats {
  /** Inbound streams closed because too many were in progress. */
  rejectedStreams: number;
  /** Stream exchanges and reliable sends we started that failed (dial, I/O, timeout, decode). */
  failedExchanges: number;
}

/** What a {@link MachineDriver} needs. */
export interface MachineDriverOptions<M extends DrivableMachine> {
  /** The machine, freshly created with `clock.now()` and not yet drained. */
  readonly machine: M;
  /** The network; closed by `shutdown()`. */
  readonly transport: Transport;
  /** Framing/compression/encryption between machine and transport. */
  readonly pipeline: PacketPipeline;
  readonly clock: Clock;
  /** @default noopLogger */
  readonly logger?: Logger | undefined;
  /** Bound on reading an inbound stream's request (Go `TCPTimeout`). */
  readonly tcpTimeoutMs: number;
  /**
   * Every event the machine emits, in order, synchronously inside the pump. May call back into
   * the driver. Exceptions are logged and swallowed.
   */
  readonly onEvent?: ((event: MachineEvent<M>) => void) | undefined;
  /** Concurrent inbound streams allowed. @default 127 (Go) */
  readonly maxInboundStreams?: number | undefined;
  /** Where the transport metrics go (`memberlist.udp.*`, `memberlist.tcp.*`). */
  readonly metrics?: MetricsSink | undefined;
}

const UDP_SENT = ["memberlist", "udp", "sent"];
const UDP_RECEIVED = ["memberlist", "udp", "received"];
const TCP_SENT = ["memberlist", "tcp", "sent"];
const TCP_ACCEPT = ["memberlist", "tcp", "accept"];
const TCP_CONNECT = ["memberlist", "tcp", "connect"];

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Pumps a {@link DrivableMachine}; see the module documentation. */
export class MachineDriver<M extends DrivableMachine> {
  readonly machine: M;
  readonly transport: Transport;
  readonly pipeline: PacketPipeline;
  readonly clock: Clock;
  /** Live counters (shared with `pipeline.stats`). */
  readonly stats: MachineDriverStats;

  readonly #logger: Logger;
  readonly #tcpTimeoutMs: number;
  readonly #maxInboundStreams: number;
  readonly #onEvent: ((event: MachineEvent<M>) => void) | undefined;
  readonly #metrics: MetricsSink;
  readonly #openStreams = new Set<DuplexStream>();
  readonly #exchangeWaiters = new Map<number, (outcome: ExchangeOutcome) => void>();
  readonly #conditionWaiters = new Set<(final: boolean) => boolean>();
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #pumping = false;
  #pumpAgain = false;
  #inboundStreams = 0;
  #started = false;
  #shutdown = false;

  constructor(options: MachineDriverOptions<M>) {
    this.machine = options.machine;
    this.transport = options.transport;
    this.pipeline = options.pipeline;
    this.clock = options.clock;
    this.#logger = options.logger ?? noopLogger;
    this.#tcpTimeoutMs = options.tcpTimeoutMs;
    this.#maxInboundStreams = options.maxInboundStreams ?? MAX_INBOUND_STREAMS;
    this.#onEvent = options.onEvent;
    this.#metrics = options.metrics ?? noopMetricsSink;
    // The pipeline's counters object is shared so `stats` always shows current values.
    this.stats = Object.assign(options.pipeline.stats, { rejectedStreams: 0, failedExchanges: 0 });
  }

  /** Subscribes to the transport and pumps the machine's start-up output. Call once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.transport.onPacket((bytes, from, at) => this.#onPacket(bytes, from, at));
    this.transport.onStream((stream, from) => {
      void this.#serveStream(stream, from);
    });
    this.pump();
  }

  /** The clock's current time. */
  now(): number {
    return this.clock.now();
  }

  /** True after `shutdown()` started. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Runs an operation on the machine with the current time, then pumps (also when it throws).
   */
  act<T>(operation: (machine: M, now: number) => T): T {
    try {
      return operation(this.machine, this.clock.now());
    } finally {
      this.pump();
    }
  }

  /**
   * Resolves with the outcome of each exchange id (in order), as reported by the machine's
   * `handleStreamReply` or by `settleExchange`. At shutdown pending ones fail with "shut down".
   */
  waitForExchanges(ids: readonly number[]): Promise<ExchangeOutcome[]> {
    return Promise.all(
      ids.map(
        (id) =>
          new Promise<ExchangeOutcome>((resolve) => {
            if (this.#shutdown) {
              resolve({ exchange: id, kind: "push-pull", ok: false, error: "shut down" });
              return;
            }
            this.#exchangeWaiters.set(id, resolve);
          }),
      ),
    );
  }

  /** Resolves the waiter of `outcome.exchange`, if any (e.g. from a machine event). */
  settleExchange(outcome: ExchangeOutcome): void {
    const waiter = this.#exchangeWaiters.get(outcome.exchange);
    if (waiter === undefined) return;
    this.#exchangeWaiters.delete(outcome.exchange);
    waiter(outcome);
  }

  /**
   * Resolves `true` as soon as `condition()` holds after a pump, `false` after `timeoutMs`
   * (driver clock) or at shutdown if it still does not hold.
   */
  waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    if (this.#shutdown) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const entry = (final: boolean): boolean => {
        const ok = condition();
        if (!ok && !final) return false;
        timer?.cancel();
        resolve(ok);
        return true;
      };
      this.#conditionWaiters.add(entry);
      timer = this.clock.setTimer(this.clock.now() + timeoutMs, () => {
        if (!this.#conditionWaiters.delete(entry)) return;
        resolve(condition());
      });
    });
  }

  /**
   * Stops driving: the timer stops, transmits still queued are discarded (nothing is sent after
   * shutdown), the last events are dispatched, open streams are torn down, waiters get their
   * final answer, and the transport closes. Shut the machine down first. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = undefined;
    for (;;) if (this.machine.pollTransmit() === undefined) break;
    this.#dispatchEvents();
    for (const s of [...this.#openStreams]) s.close();
    for (const [id, resolve] of [...this.#exchangeWaiters]) {
      resolve({ exchange: id, kind: "push-pull", ok: false, error: "shut down" });
    }
    this.#exchangeWaiters.clear();
    this.#checkConditions(true);
    await this.transport.close();
  }

  // -------------------------------------------------------------------------------------------
  // Pump: drain the machine after every input

  /** Drains transmits and events, resolves waiters, re-arms the timer. Re-entrancy safe. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        if (this.#shutdown) return;
        for (;;) {
          const t = this.machine.pollTransmit();
          if (t === undefined) break;
          if (t.kind === "packet") {
            const datagrams = this.pipeline.encodeOutgoing(t.messages, { crc: t.crc });
            if (t.pingSeqNo !== undefined) {
              this.machine.handlePingSent?.(t.pingSeqNo, this.clock.now());
            }
            for (const datagram of datagrams) {
              this.#metrics.incrCounter(UDP_SENT, datagram.length);
              this.transport.sendPacket(t.to, datagram);
            }
          } else {
            void this.#runExchange(t, this.clock.now());
          }
        }
        this.#dispatchEvents();
        this.#checkConditions(false);
        this.#armTimer();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #dispatchEvents(): void {
    for (;;) {
      const event = this.machine.pollEvent() as MachineEvent<M> | undefined;
      if (event === undefined) break;
      if (this.#onEvent === undefined) continue;
      try {
        this.#onEvent(event);
      } catch (err) {
        this.#logger.error("event handler threw", { err: errorText(err) });
      }
    }
  }

  #checkConditions(final: boolean): void {
    for (const waiter of [...this.#conditionWaiters]) {
      if (waiter(final)) this.#conditionWaiters.delete(waiter);
    }
  }

  #armTimer(): void {
    const at = this.machine.pollTimeout();
    if (at === this.#timerAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = this.clock.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      if (this.#shutdown) return;
      this.machine.handleTimeout(this.clock.now());
      this.pump();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  #onPacket(bytes: Uint8Array, from: Address, receivedAtMs: number): void {
    if (this.#shutdown) return;
    this.#metrics.incrCounter(UDP_RECEIVED, bytes.length);
    const { messages } = this.pipeline.decodeIncoming(bytes, from);
    if (messages.length === 0) return;
    this.machine.handlePacket(from, messages, receivedAtMs);
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /**
   * Dials `to` and runs `use` on the stream, everything bounded by the absolute time
   * `deadlineAt`: then the dial is aborted and the stream closed. The stream counts as open
   * (torn down at shutdown) and is closed afterwards.
   * @returns `use`'s result, or what failed and whether the deadline caused it.
   */
  async #withStream<T>(
    to: Address,
    deadlineAt: number,
    use: (stream: DuplexStream) => Promise<T>,
  ): Promise<
    { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean; connected: boolean }
  > {
    let stream: DuplexStream | undefined;
    let timedOut = false;
    const abort = new AbortController();
    const deadline = this.clock.setTimer(deadlineAt, () => {
      timedOut = true;
      abort.abort();
      stream?.close();
    });
    try {
      const timeoutMs = Math.max(0, deadlineAt - this.clock.now());
      stream = await this.transport.dial(to, { timeoutMs, signal: abort.signal });
      this.#openStreams.add(stream);
      if (timedOut) throw new Error("timeout");
      if (this.#shutdown) throw new TransportError(TransportErrorCode.CLOSED, "shut down");
      return { ok: true, value: await use(stream) };
    } catch (error) {
      return { ok: false, error, timedOut, connected: stream !== undefined };
    } finally {
      deadline.cancel();
      if (stream !== undefined) {
        stream.close();
        this.#openStreams.delete(stream);
      }
    }
  }

  /** Outbound exchange requested by the machine: dial, write, read one reply, report it. */
  async #runExchange(t: StreamTransmit, startedAt: number): Promise<void> {
    const r = await this.#withStream(t.to, startedAt + t.timeoutMs, async (stream) => {
      if (t.message.type === "push-pull") this.#metrics.incrCounter(TCP_CONNECT, 1);
      const bytes = this.pipeline.encodeStream(t.message);
      this.#metrics.incrCounter(TCP_SENT, bytes.length);
      await stream.write(bytes);
      return this.#readMessage(stream);
    });
    let reply: StreamMessage | StreamFailure;
    if (r.ok) {
      reply = r.value;
    } else {
      reply = {
        error: r.timedOut ? `i/o timeout after ${t.timeoutMs} ms` : errorText(r.error),
        connected: r.connected,
      };
      this.stats.failedExchanges++;
      this.#logger.debug("stream exchange failed", { to: t.to, node: t.node, error: reply.error });
    }
    if (this.#shutdown) return;
    const outcome = this.machine.handleStreamReply(t.exchange, reply, this.clock.now());
    if (outcome !== undefined) this.settleExchange(outcome);
    this.pump();
  }

  /**
   * Opens a stream to `to`, writes one message and closes it, expecting no reply (Go
   * `sendUserMsg`, behind `SendReliable`). Rejects when the dial, the write or the whole send
   * takes longer than `timeoutMs`, or after shutdown.
   * @throws TransportError: `CLOSED` after shutdown, `TIMEOUT`, or the dial/write error's code
   * (`UNREACHABLE` for anything that is not a `TransportError`).
   */
  async sendStream(to: Address, message: StreamMessage, timeoutMs: number): Promise<void> {
    if (this.#shutdown) {
      throw new TransportError(TransportErrorCode.CLOSED, "memberlist is shut down");
    }
    const r = await this.#withStream(to, this.clock.now() + timeoutMs, async (stream) => {
      const bytes = this.pipeline.encodeStream(message);
      this.#metrics.incrCounter(TCP_SENT, bytes.length);
      await stream.write(bytes);
      await stream.end();
    });
    if (r.ok) return;
    this.stats.failedExchanges++;
    const reason = r.timedOut ? `i/o timeout after ${timeoutMs} ms` : errorText(r.error);
    this.#logger.debug("reliable send failed", { to, error: reason });
    const code = r.timedOut
      ? TransportErrorCode.TIMEOUT
      : r.error instanceof TransportError
        ? r.error.code
        : TransportErrorCode.UNREACHABLE;
    throw new TransportError(code, `failed to send to ${to}: ${reason}`, { cause: r.error });
  }

  /** Reads one stream message; rejects on end of stream, I/O or decode errors. */
  async #readMessage(stream: DuplexStream): Promise<StreamMessage> {
    const reader = this.pipeline.createStreamReader();
    for (;;) {
      const chunk = await stream.read();
      if (chunk === null) throw new Error("EOF");
      reader.push(chunk);
      const r = reader.read();
      if (r !== undefined) {
        this.pipeline.noteStreamIn(r);
        return r.message;
      }
    }
  }

  /** Inbound stream: read the request, answer it, close (Go `handleConn`). */
  async #serveStream(stream: DuplexStream, from: Address): Promise<void> {
    if (this.#shutdown) {
      stream.close();
      return;
    }
    this.#metrics.incrCounter(TCP_ACCEPT, 1);
    if (this.#inboundStreams >= this.#maxInboundStreams) {
      this.stats.rejectedStreams++;
      this.#logger.error("too many pending push/pull requests", { from });
      stream.close();
      return;
    }
    this.#inboundStreams++;
    this.#openStreams.add(stream);
    const deadline = this.clock.setTimer(this.clock.now() + this.#tcpTimeoutMs, () =>
      stream.close(),
    );
    try {
      const reader = this.pipeline.createInboundStreamReader(from);
      let request: StreamMessage | undefined;
      while (request === undefined) {
        const chunk = await stream.read();
        if (chunk === null) return; // closed before a full request (or timed out)
        reader.push(chunk);
        try {
          const r = reader.read();
          if (r !== undefined) {
            this.pipeline.noteStreamIn(r);
            request = r.message;
          }
        } catch (err) {
          // An unacceptable label was counted and logged by the pipeline: close, no reply.
          if (err instanceof StreamLabelError) return;
          this.#logger.error("failed to receive stream", { from, err: errorText(err) });
          const reply = this.pipeline.errorReplyFor(err);
          if (reply !== undefined) await stream.write(reply);
          await stream.end();
          return;
        }
      }
      if (this.#shutdown) return;
      const reply = this.machine.handleStreamRequest(from, request, this.clock.now());
      this.pump();
      if (reply !== undefined && !stream.closed) {
        const bytes = this.pipeline.encodeStreamReply(reply);
        this.#metrics.incrCounter(TCP_SENT, bytes.length);
        await stream.write(bytes);
        await stream.end();
      }
    } catch (err) {
      this.#logger.debug("stream error", { from, err: errorText(err) });
    } finally {
      deadline.cancel();
      this.#inboundStreams--;
      stream.close();
      this.#openStreams.delete(stream);
    }
  }
}
