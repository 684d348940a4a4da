/**
 * The agent's prom-client registry: one per agent (never prom-client's global registry), with
 * prom-client's default Node.js process metrics (`process_*`, `nodejs_*`).
 *
 * Three of those defaults are gauges named like counters (`nodejs_active_handles_total`,
 * `nodejs_active_requests_total`, `nodejs_active_resources_total`), which `promtool check
 * metrics` rejects. They are left out: the same numbers are in `nodejs_active_handles`,
 * `nodejs_active_requests` and `nodejs_active_resources` (per type), also defaults.
 */

import { collectDefaultMetrics, Registry } from "prom-client";

const MISNAMED = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** A new registry with the default Node metrics registered. */
export function createPrometheusRegistry(): Registry {
  const registry = new Registry();
  // 100 ms (not 10 ms) event-loop sampling: ten wake-ups a second instead of a hundred.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  for (const name of MISNAMED) {
    if (registry.getSingleMetric(name) !== undefined) registry.removeSingleMetric(name);
  }
  return registry;
}
