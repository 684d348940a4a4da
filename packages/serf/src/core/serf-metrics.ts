/**
 * The metrics serf emits (Go serf 0.9.4's `metrics.*` calls in package `serf`, same keys), as
 * a catalogue and as the emitter the serf core calls. The snapshot timers are emitted by the
 * snapshot writer (it does the I/O), through the same sink.
 */

import type { CoreMetrics, MetricSpec, MetricsSink } from "@serf-ts/memberlist/core";
import { CollectRejection, type CollectOutcome } from "./query-collector.ts";

/** Every metric serf emits; `*` is a user event or query name. */
export const SERF_METRICS: readonly MetricSpec[] = [
  {
    key: "serf.member.join",
    kind: "counter",
    unit: "1",
    help: "Members that joined (or came back).",
  },
  {
    key: "serf.member.failed",
    kind: "counter",
    unit: "1",
    help: "Members marked failed by the failure detector.",
  },
  { key: "serf.member.left", kind: "counter", unit: "1", help: "Members that left gracefully." },
  {
    key: "serf.member.update",
    kind: "counter",
    unit: "1",
    help: "Members whose tags or address changed.",
  },
  {
    key: "serf.member.flap",
    kind: "counter",
    unit: "1",
    help: "Failed members back alive within FlapTimeout (60 s).",
  },
  {
    key: "serf.events",
    kind: "counter",
    unit: "1",
    help: "New user events received (own ones included).",
  },
  {
    key: "serf.events.*",
    kind: "counter",
    unit: "1",
    help: "New user events received, by event name.",
  },
  {
    key: "serf.queries",
    kind: "counter",
    unit: "1",
    help: "New queries received (own ones included).",
  },
  {
    key: "serf.queries.*",
    kind: "counter",
    unit: "1",
    help: "New queries received, by query name.",
  },
  { key: "serf.query_acks", kind: "counter", unit: "1", help: "Acks received for our queries." },
  {
    key: "serf.query_duplicate_acks",
    kind: "counter",
    unit: "1",
    help: "Duplicate acks received for our queries.",
  },
  {
    key: "serf.query_responses",
    kind: "counter",
    unit: "1",
    help: "Responses received for our queries.",
  },
  {
    key: "serf.query_duplicate_responses",
    kind: "counter",
    unit: "1",
    help: "Duplicate responses received for our queries.",
  },
  {
    key: "serf.msgs.received",
    kind: "sample",
    unit: "bytes",
    help: "Size of each serf message received.",
  },
  {
    key: "serf.msgs.sent",
    kind: "sample",
    unit: "bytes",
    help: "Size of each serf broadcast handed to memberlist.",
  },
  {
    key: "serf.coordinate.adjustment-ms",
    kind: "sample",
    unit: "ms",
    help: "How far each RTT sample moved our Vivaldi coordinate.",
  },
  {
    key: "serf.coordinate.rejected",
    kind: "counter",
    unit: "1",
    help: "Coordinate updates rejected (invalid peer coordinate or RTT).",
  },
  {
    key: "serf.queue.Intent",
    kind: "sample",
    unit: "messages",
    help: "Depth of the intent broadcast queue, every QueueCheckInterval (30 s).",
  },
  {
    key: "serf.queue.Event",
    kind: "sample",
    unit: "messages",
    help: "Depth of the user event broadcast queue, every QueueCheckInterval.",
  },
  {
    key: "serf.queue.Query",
    kind: "sample",
    unit: "messages",
    help: "Depth of the query broadcast queue, every QueueCheckInterval.",
  },
  {
    key: "serf.snapshot.appendLine",
    kind: "timer",
    unit: "ms",
    help: "Time to append records to the snapshot file.",
  },
  {
    key: "serf.snapshot.compact",
    kind: "timer",
    unit: "ms",
    help: "Time to compact the snapshot file.",
  },
];

const QUEUE_NAMES = { intent: "Intent", event: "Event", query: "Query" } as const;

/** The serf core's emitter: one method per Go call site. */
export class SerfMetrics {
  readonly #sink: MetricsSink;

  constructor(metrics: CoreMetrics) {
    this.#sink = metrics.sink;
  }

  memberJoin(): void {
    this.#sink.incrCounter(["serf", "member", "join"], 1);
  }
  /** Go counts `serf.member.<status>` when memberlist reports a node gone: left or failed. */
  memberGone(status: "left" | "failed"): void {
    this.#sink.incrCounter(["serf", "member", status], 1);
  }
  memberUpdate(): void {
    this.#sink.incrCounter(["serf", "member", "update"], 1);
  }
  memberFlap(): void {
    this.#sink.incrCounter(["serf", "member", "flap"], 1);
  }
  userEvent(name: string): void {
    this.#sink.incrCounter(["serf", "events"], 1);
    this.#sink.incrCounter(["serf", "events", name], 1);
  }
  query(name: string): void {
    this.#sink.incrCounter(["serf", "queries"], 1);
    this.#sink.incrCounter(["serf", "queries", name], 1);
  }
  queryAck(duplicate: boolean): void {
    this.#sink.incrCounter(["serf", duplicate ? "query_duplicate_acks" : "query_acks"], 1);
  }
  queryResponse(duplicate: boolean): void {
    const key = duplicate ? "query_duplicate_responses" : "query_responses";
    this.#sink.incrCounter(["serf", key], 1);
  }
  messageReceived(bytes: number): void {
    this.#sink.addSample(["serf", "msgs", "received"], bytes);
  }
  messagesSent(messages: readonly Uint8Array[]): void {
    for (const m of messages) this.#sink.addSample(["serf", "msgs", "sent"], m.length);
  }
  coordinateAdjustment(ms: number): void {
    this.#sink.addSample(["serf", "coordinate", "adjustment-ms"], ms);
  }
  coordinateRejected(): void {
    this.#sink.incrCounter(["serf", "coordinate", "rejected"], 1);
  }
  queueDepth(queue: keyof typeof QUEUE_NAMES, depth: number): void {
    this.#sink.addSample(["serf", "queue", QUEUE_NAMES[queue]], depth);
  }
}

/** Go `handleQueryResponse`'s counters for one classified reply to our query. */
export function countQueryReply(metrics: SerfMetrics, outcome: CollectOutcome): void {
  if (outcome.kind === "ack") metrics.queryAck(false);
  else if (outcome.kind === "response") metrics.queryResponse(false);
  else if (outcome.reason === CollectRejection.DUPLICATE_ACK) metrics.queryAck(true);
  else if (outcome.reason === CollectRejection.DUPLICATE_RESPONSE) metrics.queryResponse(true);
}
