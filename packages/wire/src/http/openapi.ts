/**
 * The OpenAPI 3.1 document of the agent's HTTP API, generated from `HTTP_ROUTES` and
 * `HTTP_SCHEMAS` (served by the agent at `/v1/openapi.json`).
 */

import { HTTP_ROUTES, type HttpRoute } from "./routes.ts";
import { HTTP_SCHEMAS } from "./schemas.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function ref(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

function operation(route: HttpRoute, authNote: boolean): Json {
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const content: Record<string, Json> = {};
    if (r.json !== undefined) content["application/json"] = { schema: ref(r.json) };
    if (r.sse !== undefined) {
      content["text/event-stream"] = {
        schema: { type: "string", description: `SSE; each event's data is a ${r.sse}.` },
        // OpenAPI 3.1 has no SSE item schema; x-sse-data names it.
        "x-sse-data": ref(r.sse),
      };
    }
    responses[status] =
      Object.keys(content).length > 0
        ? { description: r.description, content }
        : { description: r.description };
  }
  if (authNote) {
    responses["401"] = {
      description: "Missing or wrong bearer key.",
      content: { "application/json": { schema: ref("Error") } },
    };
  }
  const op: Record<string, Json> = {
    operationId: route.operationId,
    summary: route.summary,
    responses,
  };
  if (route.params !== undefined) {
    op.parameters = route.params.map((p) => ({
      name: p.name,
      in: p.in,
      description: p.description,
      required: p.required ?? false,
      schema: { type: "string" },
    }));
  }
  if (route.body !== undefined) {
    op.requestBody = {
      required: true,
      content: { "application/json": { schema: ref(route.body) } },
    };
  }
  return op;
}

/** The OpenAPI document (a fresh JSON-ready object). */
export function openApiDocument(version = "0.0.0"): Record<string, Json> {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of HTTP_ROUTES) {
    const byMethod = paths[route.path] ?? {};
    byMethod[route.method.toLowerCase()] = operation(route, true);
    paths[route.path] = byMethod;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "serf-ts agent HTTP API",
      version,
      description:
        "The agent's HTTP API (`-http-addr`). With `rpc_auth` set, every `/v1/` request needs `Authorization: Bearer <rpc_auth>`. POST bodies must be `application/json` (at most 64 KiB). No CORS headers are sent.",
    },
    paths,
    components: {
      schemas: JSON.parse(JSON.stringify(HTTP_SCHEMAS)) as Json,
      securitySchemes: { rpcAuth: { type: "http", scheme: "bearer" } },
    },
    security: [{ rpcAuth: [] }],
  };
}
