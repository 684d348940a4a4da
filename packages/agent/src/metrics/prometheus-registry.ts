/**
 * The agent's prom-client registry: one per agent (never prom-client's global registry), with
 * prom-client's default Node.js process metrics (`process_*`, `nodejs_*`).
 */

import { collectDefaultMetrics, Registry } from "prom-client";

/** A new registry with the default Node metrics registered. */
export function createPrometheusRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
