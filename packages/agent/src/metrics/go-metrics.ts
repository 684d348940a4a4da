/**
 * The go-metrics front end of the agent (Go `metrics.Metrics` as serf 0.9.4 configures it with
 * `metrics.DefaultConfig("serf-agent")`): keys get the service prefix `serf-agent`, and gauges
 * also the host name (`serf-agent.<host>.memberlist.health.score`) when host names are enabled,
 * which Go does whenever a statsd or statsite sink is configured.
 */

import type { MetricLabel, MetricsSink } from "@serf-ts/memberlist";

/** Go serf's service name. */
export const SERVICE_NAME = "serf-agent";

/** Options of {@link GoMetrics}. */
export interface GoMetricsOptions {
  /** Where the prefixed keys go (statsd, statsite, in-memory). */
  readonly sink: MetricsSink;
  /** @default "serf-agent" */
  readonly serviceName?: string | undefined;
  /** Host name inserted into gauge keys (Go `os.Hostname()`). */
  readonly hostName: string;
  /** Insert the host name into gauge keys (Go `EnableHostname`). */
  readonly enableHostname: boolean;
}

/** Prefixes keys as go-metrics does and forwards them. */
export class GoMetrics implements MetricsSink {
  readonly #sink: MetricsSink;
  readonly #service: string;
  readonly #gaugePrefix: readonly string[];

  constructor(options: GoMetricsOptions) {
    this.#sink = options.sink;
    this.#service = options.serviceName ?? SERVICE_NAME;
    const host = options.enableHostname && options.hostName !== "" ? [options.hostName] : [];
    this.#gaugePrefix = this.#service === "" ? host : [this.#service, ...host];
  }

  incrCounter(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.#sink.incrCounter(this.#prefixed(key), value, labels);
  }

  setGauge(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.#sink.setGauge([...this.#gaugePrefix, ...key], value, labels);
  }

  addSample(key: readonly string[], value: number, labels?: readonly MetricLabel[]): void {
    this.#sink.addSample(this.#prefixed(key), value, labels);
  }

  #prefixed(key: readonly string[]): readonly string[] {
    return this.#service === "" ? key : [this.#service, ...key];
  }
}
