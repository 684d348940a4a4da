/**
 * The statsd line format of go-metrics' `StatsdSink` and `StatsiteSink`: `key:value|type\n`
 * with the key segments and label values joined by `.`, `:` and spaces replaced by `_`, and
 * the value printed like Go's `%f` of a float32 (six decimals).
 */

import type { MetricLabel, MetricsSink } from "@serf-ts/memberlist";

/** Statsd metric types go-metrics uses. */
export type StatsType = "c" | "g" | "ms";

/** go-metrics `flattenKeyLabels`. */
export function flattenStatsKey(key: readonly string[], labels?: readonly MetricLabel[]): string {
  const parts = labels === undefined ? key : [...key, ...labels.map((l) => l.value)];
  return parts.join(".").replace(/[: ]/g, "_");
}

/** Go `fmt.Sprintf("%f", float32(v))`. */
export function goFloat32Fixed6(value: number): string {
  const v = Math.fround(value);
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return v.toFixed(6);
}

/** One line, newline included. */
export function statsLine(
  key: readonly string[],
  value: number,
  type: StatsType,
  labels?: readonly MetricLabel[],
): string {
  return `${flattenStatsKey(key, labels)}:${goFloat32Fixed6(value)}|${type}\n`;
}

/** A sink that formats lines and hands them to `push`. */
export abstract class StatsLineSink implements MetricsSink {
  protected abstract push(line: string): void;

  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.push(statsLine(key, value, "c", labels));
  }
  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.push(statsLine(key, value, "g", labels));
  }
  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.push(statsLine(key, value, "ms", labels));
  }
}
