/**
 * The HTTP API's view of an `Agent`, and the WARN for an API open to the network without
 * `rpc_auth`.
 */

import type { Agent } from "../agent.ts";
import { isLoopbackHost } from "./loopback.ts";
import type { ComponentLogger } from "../logging/logger.ts";
import type { HttpApiBackend } from "./http-api.ts";

/** `agent` as the HTTP API sees it. */
export function agentHttpBackend(agent: Agent): HttpApiBackend {
  return {
    localName: () => agent.serf.localMember().name,
    members: () => agent.members(),
    userEvent: (name, payload, coalesce) => agent.userEvent(name, payload, coalesce),
    query: (params) => agent.query(params),
    stats: () => agent.stats(),
    getCoordinate: (node) => agent.getCoordinate(node),
    subscribeEvents: (handler) => agent.subscribeEvents(handler),
  };
}

/** Logs a WARN when the HTTP API listens beyond loopback without `rpc_auth`. */
export function warnIfExposed(host: string, authEnabled: boolean, log: ComponentLogger): boolean {
  if (authEnabled || isLoopbackHost(host)) return false;
  log.warn(
    `HTTP API listening on non-loopback address ${host} without rpc_auth: anyone who can reach it can read the cluster and send events and queries; set rpc_auth or bind 127.0.0.1`,
  );
  return true;
}
