/**
 * Starts the agent's HTTP listener on `http_addr` with the agent's router (Prometheus
 * `/metrics` is registered by the agent; other features add their routes to the same router).
 */

import type { ComponentLogger } from "../logging/logger.ts";
import { HttpServer, type HttpServerOptions } from "./http-server.ts";
import type { HttpRouter } from "./router.ts";

/** HTTP listener options an embedder may set (tests: smaller limits). */
export type AgentHttpOptions = Omit<HttpServerOptions, "router" | "logger">;

/**
 * Listens on `address` and logs `Started HTTP listener on ADDR`. On failure the server is
 * closed and the `HttpListenError` rethrown.
 */
export async function startAgentHttp(
  address: string,
  router: HttpRouter,
  logger: ComponentLogger,
  options: AgentHttpOptions = {},
): Promise<HttpServer> {
  const server = new HttpServer({ ...options, router, logger });
  try {
    const bound = await server.listen(address);
    logger.info(`Started HTTP listener on ${bound}`);
    return server;
  } catch (err) {
    await server.close();
    throw err;
  }
}
