/**
 * The metrics sink interface (go-metrics' `MetricSink`, minus `EmitKey`): memberlist and serf
 * report counters, gauges and samples through it; the embedder decides where they go
 * (statsd, Prometheus, OpenTelemetry, …). There is no global sink: one is injected per node
 * (`Memberlist.create({ metrics })`, `Serf.create({ metrics })`), and nothing is emitted
 * without one.
 *
 * Keys are Go's, as segments: `["memberlist", "msg", "alive"]`, `["serf", "events", name]`.
 * Samples that time something are in milliseconds (go-metrics' default granularity).
 */

/** A metric label (go-metrics `Label`). Memberlist and serf emit none; embedders may. */
export interface MetricLabel {
  readonly name: string;
  readonly value: string;
}

/** Where metrics go. Calls are synchronous and must be cheap; they must not throw. */
export interface MetricsSink {
  /** Adds `value` to a counter (go-metrics `IncrCounter`; e.g. 1, or a byte count). */
  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
  /** Sets a gauge (go-metrics `SetGauge`). */
  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
  /** Records one observation (go-metrics `AddSample`; timers use milliseconds). */
  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void;
}

/** Discards everything (the default). */
export const noopMetricsSink: MetricsSink = {
  incrCounter() {},
  setGauge() {},
  addSample() {},
};

/** Sends every call to each of `sinks`, in order (go-metrics `FanoutSink`). */
export class FanoutMetricsSink implements MetricsSink {
  readonly #sinks: readonly MetricsSink[];
  constructor(sinks: readonly MetricsSink[]) {
    this.#sinks = [...sinks];
  }
  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    for (const s of this.#sinks) s.incrCounter(key, value, labels);
  }
  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    for (const s of this.#sinks) s.setGauge(key, value, labels);
  }
  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    for (const s of this.#sinks) s.addSample(key, value, labels);
  }
}

/**
 * What a sans-I/O core gets: the sink, and a monotonic high-resolution clock (ms) used only to
 * time work done within one input (Go's `memberlist.gossip` timer). The simulator passes its
 * virtual time, so runs stay deterministic.
 */
export interface CoreMetrics {
  readonly sink: MetricsSink;
  readonly elapsedClock: () => number;
}

/** No metrics. */
export const NO_CORE_METRICS: CoreMetrics = { sink: noopMetricsSink, elapsedClock: () => 0 };
