/**
 * The metrics memberlist emits (Go memberlist 0.2.2's `metrics.*` calls, same keys), as a
 * catalogue (for documentation and exporters) and as the small emitter the core modules call.
 */

import type { CoreMetrics, MetricsSink } from "./metrics-sink.ts";

/** Kind of a metric: go-metrics counter, gauge, or sample (timers are samples in ms). */
export type MetricKind = "counter" | "gauge" | "sample" | "timer";

/** One entry of a metrics catalogue. */
export interface MetricSpec {
  /** Go's key, dot-joined; `*` stands for a dynamic segment (an event or query name). */
  readonly key: string;
  readonly kind: MetricKind;
  /** Unit of the value: `1` (a count), `bytes`, `ms`, or `score`. */
  readonly unit: "1" | "bytes" | "ms" | "score" | "messages";
  readonly help: string;
}

/** Every metric memberlist emits. */
export const MEMBERLIST_METRICS: readonly MetricSpec[] = [
  {
    key: "memberlist.msg.alive",
    kind: "counter",
    unit: "1",
    help: "Alive messages processed (gossip, push/pull, own refutes).",
  },
  {
    key: "memberlist.msg.suspect",
    kind: "counter",
    unit: "1",
    help: "Nodes newly marked suspect.",
  },
  {
    key: "memberlist.msg.dead",
    kind: "counter",
    unit: "1",
    help: "Nodes newly marked dead or left.",
  },
  {
    key: "memberlist.probeNode",
    kind: "timer",
    unit: "ms",
    help: "Duration of one failure-detector probe, until ack or probe deadline.",
  },
  {
    key: "memberlist.degraded.probe",
    kind: "counter",
    unit: "1",
    help: "Probes run with an interval stretched by a non-zero health score.",
  },
  {
    key: "memberlist.degraded.timeout",
    kind: "counter",
    unit: "1",
    help: "Suspicions that expired with fewer confirmations than expected.",
  },
  {
    key: "memberlist.health.score",
    kind: "gauge",
    unit: "score",
    help: "Lifeguard health (awareness) score; 0 is healthy. Set when it changes.",
  },
  { key: "memberlist.gossip", kind: "timer", unit: "ms", help: "Time spent in one gossip round." },
  {
    key: "memberlist.pushPullNode",
    kind: "timer",
    unit: "ms",
    help: "Duration of one push/pull state exchange we started.",
  },
  {
    key: "memberlist.udp.sent",
    kind: "counter",
    unit: "bytes",
    help: "Bytes sent in UDP packets.",
  },
  {
    key: "memberlist.udp.received",
    kind: "counter",
    unit: "bytes",
    help: "Bytes received in UDP packets.",
  },
  {
    key: "memberlist.tcp.sent",
    kind: "counter",
    unit: "bytes",
    help: "Bytes sent on TCP streams.",
  },
  {
    key: "memberlist.tcp.accept",
    kind: "counter",
    unit: "1",
    help: "Inbound TCP streams accepted.",
  },
  {
    key: "memberlist.tcp.connect",
    kind: "counter",
    unit: "1",
    help: "Outbound TCP connections for push/pull.",
  },
];

const MSG_ALIVE = ["memberlist", "msg", "alive"];
const MSG_SUSPECT = ["memberlist", "msg", "suspect"];
const MSG_DEAD = ["memberlist", "msg", "dead"];
const PROBE_NODE = ["memberlist", "probeNode"];
const DEGRADED_PROBE = ["memberlist", "degraded", "probe"];
const DEGRADED_TIMEOUT = ["memberlist", "degraded", "timeout"];
const HEALTH_SCORE = ["memberlist", "health", "score"];
const GOSSIP = ["memberlist", "gossip"];
const PUSH_PULL_NODE = ["memberlist", "pushPullNode"];

/** The core's emitter: one method per Go call site. */
export class SwimMetrics {
  readonly #sink: MetricsSink;
  readonly #elapsedClock: () => number;

  constructor(metrics: CoreMetrics) {
    this.#sink = metrics.sink;
    this.#elapsedClock = metrics.elapsedClock;
  }

  msgAlive(): void {
    this.#sink.incrCounter(MSG_ALIVE, 1);
  }
  msgSuspect(): void {
    this.#sink.incrCounter(MSG_SUSPECT, 1);
  }
  msgDead(): void {
    this.#sink.incrCounter(MSG_DEAD, 1);
  }
  probeNode(durationMs: number): void {
    this.#sink.addSample(PROBE_NODE, durationMs);
  }
  degradedProbe(): void {
    this.#sink.incrCounter(DEGRADED_PROBE, 1);
  }
  degradedTimeout(): void {
    this.#sink.incrCounter(DEGRADED_TIMEOUT, 1);
  }
  healthScore(score: number): void {
    this.#sink.setGauge(HEALTH_SCORE, score);
  }
  pushPullNode(durationMs: number): void {
    this.#sink.addSample(PUSH_PULL_NODE, durationMs);
  }
  /** Runs `round` and records its duration as `memberlist.gossip`; returns what `round` returns. */
  timeGossip<T>(round: () => T): T {
    const start = this.#elapsedClock();
    try {
      return round();
    } finally {
      this.#sink.addSample(GOSSIP, this.#elapsedClock() - start);
    }
  }
}
