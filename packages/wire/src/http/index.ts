/**
 * The agent's HTTP API schema (`/v1/…`): routes, JSON Schemas and types of every body and
 * Server-Sent Event, request validation, payload encoding, SSE framing, and the generated
 * OpenAPI document. Defined once here, next to the RPC schema; used by the agent (server) and
 * the dashboard (client). Browser-safe.
 *
 * @packageDocumentation
 */

export { decodeHttpBody, HttpBodyError } from "./decode-body.ts";
export {
  type JsonSchema,
  type JsonSchemaResolver,
  type JsonSchemaViolation,
  type JsonType,
  validateJson,
} from "./json-schema.ts";
export { openApiDocument } from "./openapi.ts";
export { encodeHttpPayload } from "./payload.ts";
export {
  HTTP_ROUTES,
  type HttpRoute,
  type HttpRouteParam,
  type HttpRouteResponse,
} from "./routes.ts";
export {
  HTTP_MAX_BODY_BYTES,
  HTTP_SCHEMAS,
  type HttpCoordinate,
  type HttpCoordinatesResponse,
  type HttpError,
  HttpErrorCode,
  type HttpEventRequest,
  type HttpMember,
  type HttpMemberEventType,
  type HttpMembersResponse,
  type HttpQueryRequest,
  type HttpQueryStreamEvent,
  type HttpRttResponse,
  type HttpSchemaName,
  type HttpStatsResponse,
  type HttpStreamEvent,
  type PayloadEncoding,
  resolveHttpSchemaRef,
} from "./schemas.ts";
export { formatSseEvent, SSE_KEEPALIVE, type SseMessage, SseParser } from "./sse.ts";
