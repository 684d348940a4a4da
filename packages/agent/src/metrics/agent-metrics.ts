/**
 * The agent's telemetry, wired as Go serf 0.9.4's agent does it (`command.go`), plus
 * Prometheus:
 *
 * - an in-memory sink (10 s intervals, 1 minute), dumped in Go's format on SIGUSR1;
 * - `statsite_addr` (TCP) and `statsd_addr` (UDP) sinks when configured;
 * - keys prefixed with `serf-agent`, gauges also with the host name when a statsd or statsite
 *   sink is configured (Go's `EnableHostname`, switched off otherwise);
 * - `runtime.*` Node metrics every second;
 * - with `http_addr`, a prom-client registry (default Node metrics, the Go metrics under
 *   Prometheus names, scrape-time cluster gauges) for `GET /metrics`.
 *
 * One `sink` goes to serf (and its memberlist), the RPC server and the event handler runner.
 */

import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import {
  FanoutMetricsSink,
  guardMetricsSink,
  type MetricSpec,
  type MetricsSink,
} from "@serf-ts/memberlist";
import type { Registry } from "prom-client";
import type { AgentConfig } from "../config/agent-config.ts";
import type { ScriptInvoker } from "../event-handlers/event-handler-runner.ts";
import type { Logger } from "../logging/logger.ts";
import { GoMetrics } from "./go-metrics.ts";
import { InmemSink } from "./inmem-sink.ts";
import type { ClusterGaugeSource } from "./prometheus-sink.ts";
import { startRuntimeMetrics, type StopRuntimeMetrics } from "./runtime-metrics.ts";
import { StatsdSink } from "./statsd-sink.ts";
import { StatsiteSink } from "./statsite-sink.ts";

/** The agent's own metrics (Go serf 0.9.4's `agent.*` keys). */
export const AGENT_METRICS: readonly MetricSpec[] = [
  { key: "agent.ipc.accept", kind: "counter", unit: "1", help: "RPC client connections accepted." },
  {
    key: "agent.ipc.command",
    kind: "counter",
    unit: "1",
    help: "RPC commands received (after the handshake).",
  },
  {
    key: "agent.invoke.*",
    kind: "timer",
    unit: "ms",
    help: "Run time of an event handler script, by script.",
  },
];

/** Telemetry options an embedder or a test may set. */
export interface AgentMetricsOptions {
  /** Host name in gauge keys. @default os.hostname() */
  readonly hostName?: string | undefined;
  /** In-memory sink interval (SIGUSR1 dump). @default 10 s, as Go */
  readonly inmemIntervalMs?: number | undefined;
  /** In-memory sink retention. @default 1 minute, as Go */
  readonly inmemRetainMs?: number | undefined;
  /** `runtime.*` period; 0 = off. @default 1 s, as Go */
  readonly runtimeIntervalMs?: number | undefined;
}

/** The prom-client side of the export, loaded on demand. */
type PrometheusExporter = typeof import("./prometheus-exporter.ts");

/** Where the sinks log (`[ERR] agent.metrics: Error connecting to statsd! …`). */
type ErrorLog = (message: string) => void;

/** The agent's sinks; see the module documentation. */
export class AgentMetrics {
  /** Inject this into serf, the RPC server, the handler runner. Never throws. */
  readonly sink: MetricsSink;
  /** The SIGUSR1 sink. */
  readonly inmem: InmemSink;
  /** The Prometheus registry, with `http_addr` only. */
  readonly registry: Registry | undefined;
  readonly #statsd: StatsdSink | undefined;
  readonly #statsite: StatsiteSink | undefined;
  readonly #stopRuntime: StopRuntimeMetrics | undefined;
  #source: (() => ClusterGaugeSource | undefined) | undefined;

  /**
   * The agent's sinks; with `http_addr`, prom-client is loaded first (the only asynchronous
   * step: agents without `http_addr` never load it).
   */
  static async create(
    config: AgentConfig,
    logger: Logger,
    options: AgentMetricsOptions = {},
  ): Promise<AgentMetrics> {
    const prometheus =
      config.httpAddr === "" ? undefined : await import("./prometheus-exporter.ts");
    return new AgentMetrics(config, logger, options, prometheus);
  }

  /** With `http_addr`, `prometheus` must be given (see `create`). */
  constructor(
    config: AgentConfig,
    logger: Logger,
    options: AgentMetricsOptions = {},
    prometheus?: PrometheusExporter,
  ) {
    const logError: ErrorLog = (m) => logger.log("ERR", "agent.metrics", m);
    const warn: ErrorLog = (m) => logger.log("WARN", "agent.metrics", m);
    this.inmem = new InmemSink({
      intervalMs: options.inmemIntervalMs,
      retainMs: options.inmemRetainMs,
    });
    const goSinks: MetricsSink[] = [];
    if (config.statsiteAddr !== "") {
      this.#statsite = new StatsiteSink({ address: config.statsiteAddr, logError });
      goSinks.push(this.#statsite);
    }
    if (config.statsdAddr !== "") {
      this.#statsd = new StatsdSink({ address: config.statsdAddr, logError });
      goSinks.push(this.#statsd);
    }
    const goMetrics = new GoMetrics({
      sink: new FanoutMetricsSink([...goSinks, this.inmem]),
      hostName: options.hostName ?? hostname(),
      enableHostname: goSinks.length > 0,
    });
    const all: MetricsSink[] = [goMetrics];
    if (config.httpAddr !== "") {
      if (prometheus === undefined) throw new Error("AgentMetrics: http_addr needs `prometheus`");
      this.registry = prometheus.createPrometheusRegistry();
      all.push(new prometheus.PrometheusSink(this.registry));
      prometheus.registerClusterGauges(this.registry, () => this.#source?.());
    }
    this.sink = guardMetricsSink(new FanoutMetricsSink(all), warn);
    const runtimeMs = options.runtimeIntervalMs ?? 1000;
    if (runtimeMs > 0)
      this.#stopRuntime = startRuntimeMetrics(guardMetricsSink(goMetrics, warn), runtimeMs);
  }

  /** Sets what the scrape-time gauges read (the agent's serf). */
  observe(source: () => ClusterGaugeSource | undefined): void {
    this.#source = source;
  }

  /** Wraps a script invoker so that each run is timed as `agent.invoke.<script>` (ms). */
  timeScripts(invoke: ScriptInvoker): ScriptInvoker {
    return (script, self, event, logger, options) => {
      const start = performance.now();
      return invoke(script, self, event, logger, options).finally(() => {
        this.sink.addSample(["agent", "invoke", script], performance.now() - start);
      });
    };
  }

  /** The SIGUSR1 text (Go's `InmemSignal` dump). */
  dump(): string {
    return this.inmem.dump();
  }

  /** Stops the runtime collection and flushes and closes the statsd/statsite sinks. */
  async close(): Promise<void> {
    this.#stopRuntime?.();
    await Promise.all([this.#statsd?.close(), this.#statsite?.close()]);
  }
}
