/**
 * The routes of the agent's HTTP API: method, path pattern, parameters, bodies and answers.
 * The OpenAPI document is generated from this table, and the agent registers one handler per
 * `operationId` (a test checks that every route has one).
 */

import type { HttpSchemaName } from "./schemas.ts";

/** A path or query parameter. */
export interface HttpRouteParam {
  readonly name: string;
  readonly in: "path" | "query";
  readonly description: string;
  readonly required?: boolean;
}

/** One answer of a route. */
export interface HttpRouteResponse {
  readonly description: string;
  /** JSON body schema, or `sse` with the schema of each event's data. */
  readonly json?: HttpSchemaName;
  readonly sse?: HttpSchemaName;
}

/** One route. `path` uses `{name}` for path parameters. */
export interface HttpRoute {
  readonly operationId: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly summary: string;
  readonly params?: readonly HttpRouteParam[];
  /** JSON request body (POST): `Content-Type: application/json` is required. */
  readonly body?: HttpSchemaName;
  readonly responses: Readonly<Record<string, HttpRouteResponse>>;
}

const ERR_400: HttpRouteResponse = { description: "Bad request.", json: "Error" };

/** Every route of `/v1/`. */
export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    operationId: "listMembers",
    method: "GET",
    path: "/v1/members",
    summary:
      "Every member (as RPC `members`) with its formatted address, status and RTT; filters are RE2 regexps anchored as `^expr$`, ANDed.",
    params: [
      { name: "status", in: "query", description: "RE2 regexp on the status." },
      { name: "name", in: "query", description: "RE2 regexp on the node name." },
      {
        name: "tag.{key}",
        in: "query",
        description: "RE2 regexp on tag `key` (a missing tag matches as empty).",
      },
    ],
    responses: {
      "200": { description: "Members.", json: "MembersResponse" },
      "400": { description: "A filter regexp does not compile.", json: "Error" },
    },
  },
  {
    operationId: "memberRtt",
    method: "GET",
    path: "/v1/members/{name}/rtt",
    summary: "Estimated RTT from this agent to `name`, from Vivaldi coordinates.",
    params: [{ name: "name", in: "path", description: "Node name.", required: true }],
    responses: {
      "200": { description: "RTT.", json: "RttResponse" },
      "404": { description: "No coordinate for that node (or for this agent).", json: "Error" },
    },
  },
  {
    operationId: "listCoordinates",
    method: "GET",
    path: "/v1/coordinates",
    summary: "The Vivaldi coordinate of every member this agent knows one of.",
    responses: { "200": { description: "Coordinates.", json: "CoordinatesResponse" } },
  },
  {
    operationId: "stats",
    method: "GET",
    path: "/v1/stats",
    summary: "What `serf info` shows.",
    responses: { "200": { description: "Stats.", json: "StatsResponse" } },
  },
  {
    operationId: "streamEvents",
    method: "GET",
    path: "/v1/events",
    summary:
      "Server-Sent Events: member-join/leave/failed/update/reap, user events and queries, as the agent's event handlers see them.",
    responses: { "200": { description: "An endless SSE stream.", sse: "StreamEvent" } },
  },
  {
    operationId: "sendEvent",
    method: "POST",
    path: "/v1/event",
    summary: "Broadcasts a user event (as `serf event`).",
    body: "EventRequest",
    responses: {
      "200": { description: "Sent.", json: "EventResponse" },
      "400": ERR_400,
      "413": { description: "Body too large.", json: "Error" },
      "415": { description: "Not `application/json`.", json: "Error" },
    },
  },
  {
    operationId: "runQuery",
    method: "POST",
    path: "/v1/query",
    summary: "Runs a query (as `serf query`); acks and responses stream as SSE until `done`.",
    body: "QueryRequest",
    responses: {
      "200": { description: "SSE: ack, response, done.", sse: "QueryStreamEvent" },
      "400": ERR_400,
      "413": { description: "Body too large.", json: "Error" },
      "415": { description: "Not `application/json`.", json: "Error" },
    },
  },
  {
    operationId: "openapi",
    method: "GET",
    path: "/v1/openapi.json",
    summary: "This document.",
    responses: { "200": { description: "OpenAPI 3.1 document." } },
  },
];
