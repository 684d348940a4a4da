/**
 * go-metrics' `InmemSink` as serf 0.9.4 sets it up (10 s intervals kept for 1 minute), and the
 * dump that Go's `InmemSignal` writes to stderr on SIGUSR1:
 *
 * ```text
 * [2026-12-07 19:05:40 +0000 UTC][G] 'serf-agent.vm.memberlist.health.score': 2.000
 * [2026-12-07 19:05:40 +0000 UTC][C] 'serf-agent.serf.member.join': Count: 2 Sum: 2.000 LastUpdated: 2026-12-07 19:05:43.358148775 +0000 UTC m=+1.013353337
 * [2026-12-07 19:05:40 +0000 UTC][S] 'serf-agent.memberlist.probeNode': Count: 3 Min: 0.463 Mean: 0.564 Max: 0.647 Stddev: 0.093 Sum: 1.691 LastUpdated: …
 * ```
 *
 * As in Go, the interval still being aggregated is left out of the dump, values are stored as
 * float32, and memory is bounded by the number of distinct keys per interval (capped here at
 * 10,000 per kind: user event and query names come from the network).
 */

import { performance } from "node:perf_hooks";
import type { MetricLabel, MetricsSink } from "@serf-ts/memberlist";

/** Go's statistics of one key in one interval (go-metrics `AggregateSample`). */
export class AggregateSample {
  count = 0;
  sum = 0;
  sumSq = 0;
  min = 0;
  max = 0;
  /** Wall time of the last update, as fractional epoch milliseconds. */
  lastUpdatedMs = 0;
  /** Monotonic seconds since process start at the last update (Go's `m=+…`). */
  lastUpdatedMono = 0;

  ingest(value: number, wallMs: number, monoSec: number): void {
    const v = Math.fround(value);
    this.count++;
    this.sum += v;
    this.sumSq += v * v;
    if (v < this.min || this.count === 1) this.min = v;
    if (v > this.max || this.count === 1) this.max = v;
    this.lastUpdatedMs = wallMs;
    this.lastUpdatedMono = monoSec;
  }

  stddev(): number {
    const num = this.count * this.sumSq - this.sum ** 2;
    const div = this.count * (this.count - 1);
    return div === 0 ? 0 : Math.sqrt(num / div);
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Go `AggregateSample.String()`. */
  toString(): string {
    if (this.count === 0) return "Count: 0";
    const last = formatGoTime(this.lastUpdatedMs, this.lastUpdatedMono);
    if (this.stddev() === 0) {
      return `Count: ${this.count} Sum: ${f3(this.sum)} LastUpdated: ${last}`;
    }
    return (
      `Count: ${this.count} Min: ${f3(this.min)} Mean: ${f3(this.mean())} Max: ${f3(this.max)} ` +
      `Stddev: ${f3(this.stddev())} Sum: ${f3(this.sum)} LastUpdated: ${last}`
    );
  }
}

/** One aggregation interval. */
export interface IntervalMetrics {
  /** Start of the interval, epoch ms (a multiple of the interval length). */
  readonly start: number;
  readonly gauges: Map<string, number>;
  readonly counters: Map<string, AggregateSample>;
  readonly samples: Map<string, AggregateSample>;
}

/** Options of {@link InmemSink}. */
export interface InmemSinkOptions {
  /** @default 10 s (serf's) */
  readonly intervalMs?: number | undefined;
  /** @default 1 minute (serf's) */
  readonly retainMs?: number | undefined;
  /** Wall clock (epoch ms). @default Date.now with sub-millisecond precision */
  readonly now?: (() => number) | undefined;
}

const MAX_KEYS_PER_KIND = 10_000;

function nowWithFraction(): number {
  return performance.timeOrigin + performance.now();
}

/** Aggregates metrics in memory by interval. */
export class InmemSink implements MetricsSink {
  readonly #intervalMs: number;
  readonly #maxIntervals: number;
  readonly #now: () => number;
  readonly #intervals: IntervalMetrics[] = [];

  constructor(options: InmemSinkOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#maxIntervals = Math.max(1, Math.floor((options.retainMs ?? 60_000) / this.#intervalMs));
    this.#now = options.now ?? nowWithFraction;
  }

  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    const intv = this.#current();
    const k = flattenInmemKey(key, labels);
    if (!intv.gauges.has(k) && intv.gauges.size >= MAX_KEYS_PER_KIND) return;
    intv.gauges.set(k, Math.fround(value));
  }

  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.#aggregate(this.#current().counters, key, value, labels);
  }

  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.#aggregate(this.#current().samples, key, value, labels);
  }

  /** The retained intervals, oldest first; the last one is still being aggregated. */
  data(): readonly IntervalMetrics[] {
    this.#current();
    return this.#intervals;
  }

  /** Go `InmemSignal.dumpStats`: every interval but the current one. */
  dump(): string {
    const data = this.data();
    let out = "";
    for (const intv of data.slice(0, -1)) {
      const at = formatGoTime(intv.start, undefined);
      for (const [name, value] of intv.gauges) out += `[${at}][G] '${name}': ${f3(value)}\n`;
      for (const [name, agg] of intv.counters) out += `[${at}][C] '${name}': ${agg}\n`;
      for (const [name, agg] of intv.samples) out += `[${at}][S] '${name}': ${agg}\n`;
    }
    return out;
  }

  #aggregate(
    map: Map<string, AggregateSample>,
    key: readonly string[],
    value: number,
    labels: readonly MetricLabel[] | undefined,
  ): void {
    const k = flattenInmemKey(key, labels);
    let agg = map.get(k);
    if (agg === undefined) {
      if (map.size >= MAX_KEYS_PER_KIND) return;
      agg = new AggregateSample();
      map.set(k, agg);
    }
    agg.ingest(value, this.#now(), performance.now() / 1000);
  }

  #current(): IntervalMetrics {
    const start = Math.floor(this.#now() / this.#intervalMs) * this.#intervalMs;
    const last = this.#intervals[this.#intervals.length - 1];
    if (last !== undefined && last.start === start) return last;
    const intv: IntervalMetrics = {
      start,
      gauges: new Map(),
      counters: new Map(),
      samples: new Map(),
    };
    this.#intervals.push(intv);
    if (this.#intervals.length >= this.#maxIntervals) {
      this.#intervals.splice(0, this.#intervals.length - this.#maxIntervals);
    }
    return intv;
  }
}

/** go-metrics' in-memory key: segments and label values joined by `.`, spaces as `_`. */
export function flattenInmemKey(key: readonly string[], labels?: readonly MetricLabel[]): string {
  const parts = labels === undefined ? key : [...key, ...labels.map((l) => l.value)];
  return parts.join(".").replace(/ /g, "_");
}

function f3(v: number): string {
  return v.toFixed(3);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * Go `time.Time.String()` in the local zone: `2006-01-02 15:04:05.999999999 -0700 MST`, with
 * ` m=+1.234567890` when the time carries a monotonic reading (`monoSec`).
 */
export function formatGoTime(epochMs: number, monoSec: number | undefined): string {
  const whole = Math.floor(epochMs);
  const d = new Date(whole);
  const date = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  // Epoch milliseconds in a double are precise to about a microsecond: print microseconds.
  const micros = Math.min(
    999_999,
    Math.round((epochMs - Math.floor(epochMs / 1000) * 1000) * 1000),
  );
  const ns = micros * 1000;
  const frac = ns === 0 ? "" : `.${String(ns).padStart(9, "0").replace(/0+$/, "")}`;
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const zone = `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)} ${zoneName(d)}`;
  const mono = monoSec === undefined ? "" : ` m=+${monoSec.toFixed(9)}`;
  return `${date} ${time}${frac} ${zone}${mono}`;
}

function zoneName(d: Date): string {
  if (d.getTimezoneOffset() === 0 && Intl.DateTimeFormat().resolvedOptions().timeZone === "UTC") {
    return "UTC";
  }
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(d)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "UTC";
}
