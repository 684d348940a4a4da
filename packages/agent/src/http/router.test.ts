import { describe, expect, it } from "vitest";
import { HttpRouter } from "./router.ts";

const noop = (): void => {};

describe("HttpRouter", () => {
  it("matches exact paths, :params (decoded) and /prefix/* routes", () => {
    const a = (): void => {};
    const b = (): void => {};
    const c = (): void => {};
    const router = new HttpRouter().get("/metrics", a).get("/v1/members/:name", b).get("/ui/*", c);

    expect(router.match("GET", "/metrics")).toMatchObject({ kind: "found", handler: a });
    expect(router.match("GET", "/v1/members/web%201")).toMatchObject({
      kind: "found",
      handler: b,
      params: { name: "web 1" },
    });
    expect(router.match("GET", "/ui/app/main.js")).toMatchObject({
      kind: "found",
      handler: c,
      params: { "*": "app/main.js" },
    });
    expect(router.match("GET", "/ui")).toMatchObject({ kind: "found", params: { "*": "" } });
  });

  it("answers 404 for unknown paths, empty or undecodable params, and near misses", () => {
    const router = new HttpRouter().get("/metrics", noop).get("/v1/members/:name", noop);
    for (const path of [
      "/",
      "/metric",
      "/metrics/",
      "/metrics/x",
      "/v1/members/",
      "/v1/members/%zz",
    ]) {
      expect(router.match("GET", path), path).toEqual({ kind: "not-found" });
    }
  });

  it("answers 405 with the allowed methods when only the method differs; HEAD follows GET", () => {
    const router = new HttpRouter().get("/metrics", noop).post("/v1/event", noop);
    expect(router.match("POST", "/metrics")).toEqual({
      kind: "method-not-allowed",
      allow: ["GET", "HEAD"],
    });
    expect(router.match("GET", "/v1/event")).toEqual({
      kind: "method-not-allowed",
      allow: ["POST"],
    });
    expect(router.match("HEAD", "/metrics").kind).toBe("found");
    expect(router.match("get", "/metrics").kind).toBe("found");
  });

  it("matches in registration order and rejects duplicate or malformed patterns", () => {
    const first = (): void => {};
    const router = new HttpRouter().get("/v1/members/self", first).get("/v1/members/:name", noop);
    expect(router.match("GET", "/v1/members/self")).toMatchObject({ handler: first });
    expect(() => router.get("/v1/members/self", noop)).toThrow(/already registered/);
    expect(() => router.get("metrics", noop)).toThrow(/must start with/);
    expect(() => router.get("/a/*/b", noop)).toThrow(/only at the end/);
    expect(() => router.get("/a/:", noop)).toThrow(/empty parameter/);
    expect(router.routes()).toEqual(["GET /v1/members/self", "GET /v1/members/:name"]);
  });
});
