/**
 * Request bodies of the HTTP API: JSON text -> a value checked against its schema, or a clear
 * message for a 400.
 */

import { type JsonSchemaViolation, validateJson } from "./json-schema.ts";
import { HTTP_SCHEMAS, type HttpEventRequest, type HttpQueryRequest } from "./schemas.ts";

/** A body that is not JSON or does not match its schema. */
export class HttpBodyError extends Error {
  /** `bad_json` (does not parse) or `bad_request` (does not match the schema). */
  readonly code: "bad_json" | "bad_request";
  readonly violation: JsonSchemaViolation | undefined;
  constructor(code: "bad_json" | "bad_request", message: string, violation?: JsonSchemaViolation) {
    super(message);
    this.name = "HttpBodyError";
    this.code = code;
    this.violation = violation;
  }
}

interface BodyTypes {
  EventRequest: HttpEventRequest;
  QueryRequest: HttpQueryRequest;
}

/** Parses and validates a request body. @throws HttpBodyError */
export function decodeHttpBody<K extends keyof BodyTypes>(schema: K, text: string): BodyTypes[K] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new HttpBodyError("bad_json", `invalid JSON body: ${why}`);
  }
  const violation = validateJson(HTTP_SCHEMAS[schema], value);
  if (violation !== undefined) {
    throw new HttpBodyError("bad_request", `invalid ${schema}: ${violation.message}`, violation);
  }
  return value as BodyTypes[K];
}
