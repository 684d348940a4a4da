/**
 * `query` response streams (Go `queryResponseStream`): after the success header, every ack
 * (`{From, Payload: nil, Type: "ack"}`) and response (`Type: "response"`) is sent as it
 * arrives, then exactly one `done` record (`From ""`, nil payload) at the query's deadline,
 * which ends the stream. Records with an empty `From` are never sent (the Go CLI would take
 * them for the end of the stream).
 */

import { encodeRecordFrame, type QueryRecord } from "@serf-ts/wire/rpc";
import type { AgentQuery } from "./agent-backend.ts";
import type { FrameSink, StreamFailure } from "./frame-sink.ts";
import { type LongTimer, longTimeout } from "./long-timer.ts";

/** One query's response stream on a connection. */
export class QueryStream {
  readonly seq: number;
  private readonly query: AgentQuery;
  private readonly sink: FrameSink;
  private readonly fail: StreamFailure;
  private readonly onEnd: (stream: QueryStream) => void;
  private timer: LongTimer | undefined;
  private readonly iterators: AsyncIterator<unknown>[] = [];
  private started = false;
  private ended = false;

  /** `onEnd` is called once, when the stream is over (done sent, or stopped). */
  constructor(
    seq: number,
    query: AgentQuery,
    sink: FrameSink,
    fail: StreamFailure,
    onEnd: (stream: QueryStream) => void,
  ) {
    this.seq = seq;
    this.query = query;
    this.sink = sink;
    this.fail = fail;
    this.onEnd = onEnd;
  }

  /** Starts streaming; call after the success header was sent. */
  start(now: number = Date.now()): void {
    if (this.started || this.ended) return;
    this.started = true;
    // The deadline may be far away (Go accepts any duration) or not a number (then: at once).
    this.timer = longTimeout(() => this.finish(), this.query.deadline - now);
    void this.pump(this.query.acks, (from) => ({ type: "ack", from, payload: null }));
    void this.pump(this.query.responses, (r) => ({
      type: "response",
      from: r.from,
      payload: r.payload,
    }));
  }

  private async pump<T>(source: AsyncIterable<T>, toRecord: (item: T) => QueryRecord) {
    let iterator: AsyncIterator<T>;
    try {
      iterator = source[Symbol.asyncIterator]();
    } catch (err) {
      this.fail("query", err);
      return;
    }
    this.iterators.push(iterator);
    try {
      while (!this.ended) {
        const next = await iterator.next();
        if (next.done === true || this.ended) return;
        this.send(toRecord(next.value));
      }
    } catch (err) {
      // The query's source failed; `done` still follows at the deadline.
      if (!this.ended) this.fail("query", err);
    }
  }

  private send(record: QueryRecord): void {
    if (this.ended || record.from === "") return;
    let frame: Uint8Array;
    try {
      frame = encodeRecordFrame("query", this.seq, record);
    } catch (err) {
      this.fail("query", err);
      return;
    }
    if (!this.sink(frame)) this.stop();
  }

  /** The deadline: sends `done` and ends the stream. */
  private finish(): void {
    if (this.ended) return;
    this.timer = undefined;
    this.sink(encodeRecordFrame("query", this.seq, { type: "done", from: "", payload: null }));
    this.stop();
  }

  /** Ends the stream without `done` (client gone); idempotent. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const it of this.iterators.splice(0)) {
      try {
        const r = it.return?.();
        if (r !== undefined) r.catch(() => {});
      } catch {
        // A failing iterator cleanup must not break the connection.
      }
    }
    try {
      this.query.close?.();
    } catch (err) {
      this.fail("query", err);
    }
    this.onEnd(this);
  }

  get active(): boolean {
    return !this.ended;
  }
}
