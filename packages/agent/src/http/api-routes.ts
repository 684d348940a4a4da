/**
 * Puts the HTTP API (`/v1/…`) and the dashboard (`/`, `/ui/…`) on the agent's HTTP router,
 * and WARNs when the listener is reachable beyond loopback without `rpc_auth`.
 */

import type { Agent } from "../agent.ts";
import type { ComponentLogger } from "../logging/logger.ts";
import { agentHttpBackend, warnIfExposed } from "./agent-http-backend.ts";
import { HttpApi, type HttpApiOptions } from "./http-api.ts";
import { HttpError, type HttpHandler, type HttpRouter } from "./router.ts";

/** The host part of `ip:port` / `[ip6]:port` / `:port` (empty = every interface). */
export function listenHost(address: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(address);
  if (m !== null) return m[1] ?? "";
  const colon = address.lastIndexOf(":");
  const host = colon < 0 ? address : address.slice(0, colon);
  return host === "" ? "0.0.0.0" : host;
}

/** Registers the API's routes; `HttpApi` answers them (its own bounds, auth and errors). */
export function registerHttpApi(
  router: HttpRouter,
  agent: Agent,
  log: ComponentLogger,
  options: Partial<Omit<HttpApiOptions, "backend" | "authKey" | "logger">> = {},
): HttpApi {
  const api = new HttpApi({
    ...options,
    backend: agentHttpBackend(agent),
    authKey: agent.rpcAuthKey,
    logger: log,
  });
  // The API reads its own (smaller, JSON-only) bodies from the raw request.
  const handler: HttpHandler = async (req, res) => {
    if (!(await api.handle(req.raw, res))) {
      throw new HttpError(404, "not_found", `no route for ${req.path}`);
    }
  };
  router.get("/", handler);
  router.get("/ui/*", handler);
  router.get("/v1/*", handler);
  router.post("/v1/*", handler);
  warnIfExposed(listenHost(agent.config.httpAddr), api.authEnabled, log);
  return api;
}
