/**
 * The agent's HTTP listener and routes in one module, which the agent imports with `import()`
 * only when `http_addr` is set: `node:http` and the HTTP API stay out of other agents' heaps.
 */

export { startAgentHttp } from "./agent-http.ts";
export { registerHttpApi } from "./api-routes.ts";
export { registerMetricsRoute } from "./metrics-route.ts";
