/**
 * Injecting a `MetricsSink` into a node: the guard that keeps a faulty sink from breaking the
 * protocol, and the `CoreMetrics` the sans-I/O machines get.
 */

import { performance } from "node:perf_hooks";
import type { CoreMetrics, MetricLabel, MetricsSink } from "./core/metrics-sink.ts";
import type { Logger } from "./logger.ts";

/**
 * Wraps `sink` so that an exception thrown by it is swallowed (the first one is reported to
 * `warn`): metrics must never break membership.
 */
export function guardMetricsSink(sink: MetricsSink, warn: (message: string) => void): MetricsSink {
  let warned = false;
  const guard =
    (call: "incrCounter" | "setGauge" | "addSample") =>
    (key: readonly string[], value: number, labels?: readonly MetricLabel[]): void => {
      try {
        sink[call](key, value, labels);
      } catch (err) {
        if (warned) return;
        warned = true;
        const text = err instanceof Error ? err.message : String(err);
        warn(`metrics sink threw on ${key.join(".")}: ${text} (further errors are not logged)`);
      }
    };
  return {
    incrCounter: guard("incrCounter"),
    setGauge: guard("setGauge"),
    addSample: guard("addSample"),
  };
}

/** The `CoreMetrics` of a real node: a guarded sink and `performance.now()`. */
export function coreMetrics(sink: MetricsSink, logger: Logger): CoreMetrics {
  const warn = (message: string): void => logger.warn(message);
  return { sink: guardMetricsSink(sink, warn), elapsedClock: () => performance.now() };
}
