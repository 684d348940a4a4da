import { describe, expect, it } from "vitest";
import { decodeHttpBody, HttpBodyError } from "./decode-body.ts";
import { validateJson } from "./json-schema.ts";

function error(schema: "EventRequest" | "QueryRequest", text: string): HttpBodyError {
  try {
    decodeHttpBody(schema, text);
  } catch (err) {
    if (err instanceof HttpBodyError) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("decodeHttpBody", () => {
  it("accepts a valid event and query", () => {
    expect(
      decodeHttpBody("EventRequest", '{"name":"deploy","payload":"v42","coalesce":false}'),
    ).toEqual({
      name: "deploy",
      payload: "v42",
      coalesce: false,
    });
    const q = decodeHttpBody(
      "QueryRequest",
      '{"name":"uptime","filters":{"nodes":["a"],"tags":{"role":"web.*"}},"timeout":"2s","relayFactor":1}',
    );
    expect(q.filters?.tags).toEqual({ role: "web.*" });
  });

  it("reports JSON syntax errors as bad_json", () => {
    const err = error("EventRequest", '{"name":');
    expect(err.code).toBe("bad_json");
    expect(err.message).toMatch(/^invalid JSON body: /);
  });

  it.each([
    ["[]", "body must be an object, not array"],
    ["null", "body must be an object, not null"],
    ["{}", "name is required"],
    ['{"name":""}', "name must not be empty"],
    ['{"name":5}', "name must be a string, not integer"],
    ['{"name":"a","coalesce":"yes"}', "coalesce must be a boolean, not string"],
    ['{"name":"a","extra":1}', "extra is not a known property"],
    [`{"name":"${"x".repeat(513)}"}`, "name must have at most 512 characters"],
  ])("EventRequest %s -> %s", (text, message) => {
    const err = error("EventRequest", text);
    expect(err.code).toBe("bad_request");
    expect(err.message).toBe(`invalid EventRequest: ${message}`);
  });

  it.each([
    ['{"name":"q","relayFactor":6}', "relayFactor must be at most 5"],
    ['{"name":"q","relayFactor":1.5}', "relayFactor must be an integer, not number"],
    [
      '{"name":"q","filters":{"tags":{"role":1}}}',
      "filters.tags.role must be a string, not integer",
    ],
    ['{"name":"q","filters":{"nodes":[1]}}', "filters.nodes[0] must be a string, not integer"],
    ['{"name":"q","filters":{"other":[]}}', "filters.other is not a known property"],
  ])("QueryRequest %s -> %s", (text, message) => {
    expect(error("QueryRequest", text).message).toBe(`invalid QueryRequest: ${message}`);
  });
});

describe("validateJson", () => {
  it("follows $ref through a resolver and accepts type unions", () => {
    const member = { name: "a", rttMs: null };
    const schema = {
      type: "object",
      properties: { m: { $ref: "#/x" } },
    } as const;
    const resolve = (ref: string) =>
      ref === "#/x"
        ? ({ type: "object", properties: { rttMs: { type: ["number", "null"] } } } as const)
        : undefined;
    expect(validateJson(schema, { m: member }, "", resolve)).toBeUndefined();
    expect(validateJson(schema, { m: { rttMs: "1" } }, "", resolve)?.message).toBe(
      "m.rttMs must be a number or a null, not string",
    );
    expect(validateJson(schema, { m: member })?.message).toBe("m: unresolved #/x");
  });
});
