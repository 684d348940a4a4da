/**
 * The agent's HTTP API vocabulary (`/v1/…`), defined once: JSON Schemas of every body and
 * Server-Sent Event (embedded as they are in the OpenAPI document, and used by the agent to
 * validate requests) and the TypeScript types of the same shapes.
 */

import { MEMBER_EVENT_TYPES, type MemberEventType } from "../serf/member.ts";
import type { JsonSchema } from "./json-schema.ts";

/** Largest request body the agent reads (bytes); a bigger one gets 413. */
export const HTTP_MAX_BODY_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Types

/** A member as `GET /v1/members` lists it: the RPC `members` fields plus `address`. */
export interface HttpMember {
  readonly name: string;
  /** The member's IP as text (`10.0.0.5`, `::1`). */
  readonly addr: string;
  readonly port: number;
  /** `addr:port` as `serf members` prints it (`[::1]:7946` for IPv6). */
  readonly address: string;
  readonly tags: Readonly<Record<string, string>>;
  /** `alive`, `leaving`, `left`, `failed` (or `none`). */
  readonly status: string;
  readonly protocolMin: number;
  readonly protocolMax: number;
  readonly protocolCur: number;
  readonly delegateMin: number;
  readonly delegateMax: number;
  readonly delegateCur: number;
  /** Estimated RTT from the answering agent, ms, from Vivaldi coordinates; `null` if unknown. */
  readonly rttMs: number | null;
}

export interface HttpMembersResponse {
  readonly members: readonly HttpMember[];
}

/** A Vivaldi network coordinate (seconds). */
export interface HttpCoordinate {
  readonly vec: readonly number[];
  readonly error: number;
  readonly adjustment: number;
  readonly height: number;
}

export interface HttpCoordinatesResponse {
  /** The answering agent. */
  readonly self: string;
  /** Every member with a known coordinate, the answering agent included. */
  readonly coordinates: ReadonlyArray<{
    readonly node: string;
    readonly coordinate: HttpCoordinate;
  }>;
}

export interface HttpRttResponse {
  readonly from: string;
  readonly to: string;
  /** Estimated round-trip time, ms (Go `Coordinate.DistanceTo`). */
  readonly rttMs: number;
}

/** `serf info`: section -> key -> value, all strings. */
export type HttpStatsResponse = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** `utf8` when the payload is valid UTF-8 (then it is the text), else `base64`. */
export type PayloadEncoding = "utf8" | "base64";

/** Member event types, as in event handler filters. */
export type HttpMemberEventType = MemberEventType;

/** One event of `GET /v1/events` (the SSE `event:` field is `type`, `data:` this JSON). */
export type HttpStreamEvent =
  | { readonly type: HttpMemberEventType; readonly members: readonly HttpMember[] }
  | {
      readonly type: "user";
      readonly name: string;
      readonly payload: string;
      readonly payloadEncoding: PayloadEncoding;
      readonly lTime: number;
      readonly coalesce: boolean;
    }
  | {
      readonly type: "query";
      readonly name: string;
      readonly payload: string;
      readonly payloadEncoding: PayloadEncoding;
      readonly lTime: number;
    };

/** `POST /v1/event`. */
export interface HttpEventRequest {
  readonly name: string;
  /** UTF-8 text. @default "" */
  readonly payload?: string;
  /** @default true, as `serf event` */
  readonly coalesce?: boolean;
}

/** `POST /v1/query`. */
export interface HttpQueryRequest {
  readonly name: string;
  /** UTF-8 text. @default "" */
  readonly payload?: string;
  readonly filters?: {
    /** Only these node names answer. */
    readonly nodes?: readonly string[];
    /** Tag name -> RE2 regexp the tag must match. */
    readonly tags?: Readonly<Record<string, string>>;
  };
  /** Go duration (`500ms`, `2s`). @default serf's default query timeout */
  readonly timeout?: string;
  /** @default true */
  readonly requestAck?: boolean;
  /** @default 0 */
  readonly relayFactor?: number;
}

/** SSE events of `POST /v1/query`: `ack`, `response`, then one `done`. */
export type HttpQueryStreamEvent =
  | { readonly type: "ack"; readonly from: string }
  | {
      readonly type: "response";
      readonly from: string;
      readonly payload: string;
      readonly payloadEncoding: PayloadEncoding;
    }
  | { readonly type: "done"; readonly acks: number; readonly responses: number };

/** Every error answer. */
export interface HttpError {
  /** Stable: `bad_request`, `bad_json`, `unauthorized`, `not_found`, … (see `HttpErrorCode`). */
  readonly code: string;
  readonly error: string;
}

/** The stable `code` values of `HttpError`. */
export const HttpErrorCode = {
  BAD_REQUEST: "bad_request",
  BAD_JSON: "bad_json",
  BAD_FILTER: "bad_filter",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
  BODY_TOO_LARGE: "body_too_large",
  UNAUTHORIZED: "unauthorized",
  NOT_FOUND: "not_found",
  METHOD_NOT_ALLOWED: "method_not_allowed",
  AGENT_ERROR: "agent_error",
} as const;

// ---------------------------------------------------------------------------------------------
// Schemas

const str = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({
  type: "string",
  description,
  ...extra,
});
const int = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({
  type: "integer",
  description,
  ...extra,
});
const stringMap = (description: string): JsonSchema => ({
  type: "object",
  description,
  additionalProperties: { type: "string" },
});
const payloadEncoding: JsonSchema = {
  type: "string",
  enum: ["utf8", "base64"],
  description:
    "`utf8` when the payload is valid UTF-8 (then `payload` is the text), else `base64`.",
};

const member: JsonSchema = {
  type: "object",
  required: [
    "name",
    "addr",
    "port",
    "address",
    "tags",
    "status",
    "protocolMin",
    "protocolMax",
    "protocolCur",
    "delegateMin",
    "delegateMax",
    "delegateCur",
    "rttMs",
  ],
  properties: {
    name: str("Node name."),
    addr: str("IP address."),
    port: int("Gossip port."),
    address: str("`addr:port` as `serf members` prints it."),
    tags: stringMap("Tags."),
    status: str("Member status.", { enum: ["none", "alive", "leaving", "left", "failed"] }),
    protocolMin: int("Lowest memberlist protocol version understood."),
    protocolMax: int("Highest memberlist protocol version understood."),
    protocolCur: int("Memberlist protocol version spoken."),
    delegateMin: int("Lowest serf protocol version understood."),
    delegateMax: int("Highest serf protocol version understood."),
    delegateCur: int("Serf protocol version spoken."),
    rttMs: {
      type: ["number", "null"],
      description: "Estimated RTT from the answering agent (ms, Vivaldi); null if unknown.",
    },
  },
};

const coordinate: JsonSchema = {
  type: "object",
  required: ["vec", "error", "adjustment", "height"],
  properties: {
    vec: { type: "array", items: { type: "number" }, description: "Euclidean part (seconds)." },
    error: { type: "number" },
    adjustment: { type: "number" },
    height: { type: "number" },
  },
};

const NAME_MAX = 512;
const PAYLOAD_MAX = 16 * 1024;

/** Every schema of the API, by name (`#/components/schemas/<name>` in the OpenAPI document). */
export const HTTP_SCHEMAS = {
  Member: member,
  MembersResponse: {
    type: "object",
    required: ["members"],
    properties: { members: { type: "array", items: { $ref: "#/components/schemas/Member" } } },
  },
  Coordinate: coordinate,
  CoordinatesResponse: {
    type: "object",
    required: ["self", "coordinates"],
    properties: {
      self: str("The answering agent."),
      coordinates: {
        type: "array",
        items: {
          type: "object",
          required: ["node", "coordinate"],
          properties: {
            node: str("Node name."),
            coordinate: { $ref: "#/components/schemas/Coordinate" },
          },
        },
      },
    },
  },
  RttResponse: {
    type: "object",
    required: ["from", "to", "rttMs"],
    properties: {
      from: str("The answering agent."),
      to: str("The other node."),
      rttMs: { type: "number", description: "Estimated round-trip time (ms)." },
    },
  },
  StatsResponse: {
    type: "object",
    description: "What `serf info` shows: section -> key -> value.",
    additionalProperties: stringMap("One section (agent, runtime, serf, tags, event_handlers)."),
  },
  EventRequest: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: str("Event name.", { minLength: 1, maxLength: NAME_MAX }),
      payload: str("Payload (UTF-8 text).", { maxLength: PAYLOAD_MAX, default: "" }),
      coalesce: { type: "boolean", default: true, description: "Coalesce like-named events." },
    },
  },
  EventResponse: {
    type: "object",
    required: ["sent"],
    properties: { sent: { type: "boolean" } },
  },
  QueryRequest: {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: str("Query name.", { minLength: 1, maxLength: NAME_MAX }),
      payload: str("Payload (UTF-8 text).", { maxLength: PAYLOAD_MAX, default: "" }),
      filters: {
        type: "object",
        additionalProperties: false,
        properties: {
          nodes: {
            type: "array",
            maxItems: 1024,
            items: { type: "string", maxLength: NAME_MAX },
            description: "Only these nodes answer.",
          },
          tags: {
            type: "object",
            maxProperties: 64,
            additionalProperties: { type: "string", maxLength: 1024 },
            description: "Tag name -> RE2 regexp the tag must match.",
          },
        },
      },
      timeout: str("Go duration, e.g. `2s`; default: serf's query timeout.", {
        maxLength: 32,
        examples: ["2s"],
      }),
      requestAck: { type: "boolean", default: true, description: "Ask nodes to ack." },
      relayFactor: int("Nodes relaying each response.", { minimum: 0, maximum: 5, default: 0 }),
    },
  },
  StreamEvent: {
    type: "object",
    description:
      "One event of `GET /v1/events`. The SSE `event:` is `type`; member events carry `members`, user events and queries `name`, `payload`, `payloadEncoding`, `lTime` (and user events `coalesce`).",
    required: ["type"],
    properties: {
      type: str("Event type.", {
        enum: [...MEMBER_EVENT_TYPES, "user", "query"],
      }),
      members: { type: "array", items: { $ref: "#/components/schemas/Member" } },
      name: str("User event or query name."),
      payload: str("Payload (see payloadEncoding)."),
      payloadEncoding,
      lTime: int("Lamport time."),
      coalesce: { type: "boolean" },
    },
  },
  QueryStreamEvent: {
    type: "object",
    description:
      "One event of `POST /v1/query`: `ack` (`from`), `response` (`from`, `payload`, `payloadEncoding`), then one `done` (`acks`, `responses`).",
    required: ["type"],
    properties: {
      type: str("Event type.", { enum: ["ack", "response", "done"] }),
      from: str("Answering node."),
      payload: str("Response payload (see payloadEncoding)."),
      payloadEncoding,
      acks: int("Acks received (done)."),
      responses: int("Responses received (done)."),
    },
  },
  Error: {
    type: "object",
    required: ["code", "error"],
    properties: {
      code: str("Stable error code.", { enum: Object.values(HttpErrorCode) }),
      error: str("What went wrong."),
    },
  },
} as const satisfies Record<string, JsonSchema>;

/** Names of `HTTP_SCHEMAS`. */
export type HttpSchemaName = keyof typeof HTTP_SCHEMAS;

/** Resolves `#/components/schemas/<name>` refs to `HTTP_SCHEMAS` (for `validateJson`). */
export function resolveHttpSchemaRef(ref: string): JsonSchema | undefined {
  const prefix = "#/components/schemas/";
  if (!ref.startsWith(prefix)) return undefined;
  const name = ref.slice(prefix.length);
  return Object.hasOwn(HTTP_SCHEMAS, name) ? HTTP_SCHEMAS[name as HttpSchemaName] : undefined;
}
