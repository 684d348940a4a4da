/**
 * Everything of the Prometheus export that needs prom-client, in one module the agent imports
 * with `import()` only when `http_addr` is set (`AgentMetrics.create`): prom-client and its
 * default metrics stay out of the heap of agents that export nothing over HTTP.
 */

export { createPrometheusRegistry } from "./prometheus-registry.ts";
export { PrometheusSink, registerClusterGauges } from "./prometheus-sink.ts";
