/**
 * The subset of JSON Schema (2020-12, as OpenAPI 3.1 embeds it) that the HTTP API's schemas
 * use, and a validator for it. The schemas in `schemas.ts` are the single definition of the
 * API's bodies: the OpenAPI document embeds them as they are, and the agent validates request
 * bodies with `validateJson` against the same objects.
 */

export type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";

/** A JSON Schema node of the subset the API uses. */
export interface JsonSchema {
  readonly type?: JsonType | readonly JsonType[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  /** `false`: unknown keys are an error; a schema: every other value must match it. */
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly oneOf?: readonly JsonSchema[];
  readonly $ref?: string;
}

/** The first problem `validateJson` found: where (a JSON pointer-ish path) and what. */
export interface JsonSchemaViolation {
  readonly path: string;
  readonly message: string;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  return typeof value;
}

function at(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
}

/** Looks up a `$ref` (e.g. `#/components/schemas/Member`). */
export type JsonSchemaResolver = (ref: string) => JsonSchema | undefined;

/**
 * Checks `value` against `schema` (the subset above; `oneOf` is not validated; `$ref` is
 * followed through `resolve`, and an unresolved one is a violation). Returns the first
 * violation, or `undefined` when it matches. Bounded: every node of `value` is visited once per
 * schema node that applies to it.
 */
export function validateJson(
  schema: JsonSchema,
  value: unknown,
  path = "",
  resolve?: JsonSchemaResolver,
): JsonSchemaViolation | undefined {
  const where = path === "" ? "body" : path;
  if (schema.$ref !== undefined) {
    const target = resolve?.(schema.$ref);
    if (target === undefined)
      return { path: where, message: `${where}: unresolved ${schema.$ref}` };
    return validateJson(target, value, path, resolve);
  }
  const actual = typeName(value);
  if (schema.type !== undefined) {
    const types: readonly JsonType[] =
      typeof schema.type === "string" ? [schema.type] : schema.type;
    const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!ok) {
      const want = types.map(article).join(" or ");
      return { path: where, message: `${where} must be ${want}, not ${actual}` };
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string)) {
    return { path: where, message: `${where} must be one of ${schema.enum.join(", ")}` };
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      return {
        path: where,
        message:
          schema.minLength === 1
            ? `${where} must not be empty`
            : `${where} must have at least ${schema.minLength} characters`,
      };
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      return { path: where, message: `${where} must have at most ${schema.maxLength} characters` };
    }
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      return { path: where, message: `${where} must be at least ${schema.minimum}` };
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      return { path: where, message: `${where} must be at most ${schema.maximum}` };
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      return { path: where, message: `${where} must have at most ${schema.maxItems} items` };
    }
    if (schema.items !== undefined) {
      for (let i = 0; i < value.length; i++) {
        const v = validateJson(schema.items, value[i], at(path, i), resolve);
        if (v !== undefined) return v;
      }
    }
  }
  if (actual === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
      return {
        path: where,
        message: `${where} must have at most ${schema.maxProperties} properties`,
      };
    }
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(record, key)) {
        return { path: at(path, key), message: `${at(path, key)} is required` };
      }
    }
    for (const key of keys) {
      const sub = schema.properties?.[key];
      if (sub !== undefined) {
        const v = validateJson(sub, record[key], at(path, key), resolve);
        if (v !== undefined) return v;
      } else if (schema.additionalProperties === false) {
        return { path: at(path, key), message: `${at(path, key)} is not a known property` };
      } else if (typeof schema.additionalProperties === "object") {
        const v = validateJson(schema.additionalProperties, record[key], at(path, key), resolve);
        if (v !== undefined) return v;
      }
    }
  }
  return undefined;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
