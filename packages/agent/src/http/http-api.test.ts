import { once } from "node:events";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  HTTP_ROUTES,
  HTTP_SCHEMAS,
  type HttpMember,
  type HttpSchemaName,
  resolveHttpSchemaRef,
  type SseMessage,
  SseParser,
  validateJson,
} from "@serf-ts/wire/http";
import type { Member, QueryRequest, RpcCoordinate } from "@serf-ts/wire/rpc";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentEvent, AgentQuery } from "../rpc/agent-backend.ts";
import { DashboardAssets } from "./dashboard-assets.ts";
import { HttpApi, type HttpApiBackend } from "./http-api.ts";

function member(
  name: string,
  ip: number[],
  status: string,
  tags: Record<string, string> = {},
): Member {
  return {
    name,
    addr: new Uint8Array(ip),
    port: 7946,
    tags: new Map(Object.entries(tags)),
    status,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 4,
  };
}

const coord = (x: number): RpcCoordinate => ({
  vec: [x, 0, 0, 0, 0, 0, 0, 0],
  error: 1.5,
  adjustment: 0,
  height: 0,
});

/** An in-memory agent: three members, coordinates 10 ms apart, recorded events and queries. */
class FakeBackend implements HttpApiBackend {
  members_: Member[] = [
    member("web-1", [10, 0, 0, 1], "alive", { role: "web", dc: "east" }),
    member("web-2", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "failed", { role: "web" }),
    member("db-1", [10, 0, 0, 3], "alive", { role: "db" }),
  ];
  coords = new Map<string, RpcCoordinate>([
    ["web-1", coord(0)],
    ["web-2", coord(0.01)],
    ["db-1", coord(0.025)],
  ]);
  events: Array<{ name: string; payload: string | null; coalesce: boolean }> = [];
  queries: QueryRequest[] = [];
  subscribers = new Set<(e: AgentEvent) => void>();
  queryScript: (q: QueryRequest) => AgentQuery = () => {
    throw new Error("no query");
  };
  localName(): string {
    return "web-1";
  }
  members(): Member[] {
    return this.members_;
  }
  userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): void {
    if (name === "too-big") throw new Error("user event exceeds configured limit of 512 bytes");
    this.events.push({
      name,
      payload: payload === null ? null : new TextDecoder().decode(payload),
      coalesce,
    });
  }
  query(params: QueryRequest): AgentQuery {
    this.queries.push(params);
    return this.queryScript(params);
  }
  stats() {
    return new Map([
      ["agent", new Map([["name", "web-1"]])],
      [
        "serf",
        new Map([
          ["members", "3"],
          ["failed", "1"],
        ]),
      ],
    ]);
  }
  getCoordinate(node: string): RpcCoordinate | undefined {
    return this.coords.get(node);
  }
  subscribeEvents(handler: (e: AgentEvent) => void): () => void {
    this.subscribers.add(handler);
    return () => this.subscribers.delete(handler);
  }
  emit(e: AgentEvent): void {
    for (const s of this.subscribers) s(e);
  }
}

async function* iterate<T>(items: T[], delayMs = 0): AsyncIterable<T> {
  for (const i of items) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    yield i;
  }
}

const servers: Server[] = [];
const apis: HttpApi[] = [];

afterEach(async () => {
  for (const api of apis.splice(0)) api.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
    await once(s, "close");
  }
});

async function start(
  opts: {
    authKey?: string;
    backend?: FakeBackend;
    assets?: DashboardAssets;
    sse?: { maxBufferedBytes?: number };
  } = {},
) {
  const backend = opts.backend ?? new FakeBackend();
  const api = new HttpApi({
    backend,
    authKey: opts.authKey ?? "",
    ...(opts.sse === undefined ? {} : { sse: opts.sse }),
    assets:
      opts.assets ??
      new DashboardAssets(
        new Map([
          [
            "index.html",
            {
              type: "text/html; charset=utf-8",
              body: Buffer.from("<!doctype html><title>serf</title>"),
            },
          ],
          [
            "app.js",
            { type: "text/javascript; charset=utf-8", body: Buffer.from("console.log(1)") },
          ],
        ]),
      ),
  });
  apis.push(api);
  const server = createServer((req, res) => {
    void api.handle(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end("other");
      }
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { backend, api, base };
}

const JSON_HEADERS = { "Content-Type": "application/json" };

/** The answer matches its schema in the OpenAPI document. */
function conforms(schema: HttpSchemaName, value: unknown): void {
  expect(validateJson(HTTP_SCHEMAS[schema], value, "", resolveHttpSchemaRef)).toBeUndefined();
}

async function readSse(res: Response, until: (m: SseMessage[]) => boolean): Promise<SseMessage[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const got: SseMessage[] = [];
  while (!until(got)) {
    const { value, done } = await reader.read();
    if (done) break;
    got.push(...parser.push(value));
  }
  await reader.cancel();
  return got;
}

describe("GET /v1/members", () => {
  it("lists every member with address, status, tags and RTT from this agent", async () => {
    const { base } = await start();
    const res = await fetch(`${base}/v1/members`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const { members } = (await res.json()) as { members: HttpMember[] };
    expect(members.map((m) => [m.name, m.address, m.status])).toEqual([
      ["web-1", "10.0.0.1:7946", "alive"],
      ["web-2", "[::1]:7946", "failed"],
      ["db-1", "10.0.0.3:7946", "alive"],
    ]);
    expect(members[0]).toMatchObject({
      addr: "10.0.0.1",
      port: 7946,
      tags: { role: "web", dc: "east" },
      protocolCur: 2,
      delegateCur: 4,
    });
    expect(members[0]?.rttMs).toBe(0);
    expect(members[1]?.rttMs).toBeCloseTo(10, 6);
    expect(members[2]?.rttMs).toBeCloseTo(25, 6);
  });

  it.each([
    ["status=alive", ["web-1", "db-1"]],
    ["status=fail", []],
    ["name=web-.*", ["web-1", "web-2"]],
    ["name=web|db-1", ["web-1", "web-2", "db-1"]], // ^web|db-1$, as Go anchors it
    ["tag.role=web&status=failed", ["web-2"]],
    ["tag.dc=", ["web-1", "web-2", "db-1"]],
    ["tag.dc=east|", ["web-1", "web-2", "db-1"]], // a missing tag matches as ""
    ["tag.dc=.%2B", ["web-1"]],
  ])("?%s", async (query, names) => {
    const { base } = await start();
    const { members } = (await (await fetch(`${base}/v1/members?${query}`)).json()) as {
      members: HttpMember[];
    };
    expect(members.map((m) => m.name)).toEqual(names);
  });

  it("400s a regexp RE2 rejects (backreferences, bad syntax) with a clear message", async () => {
    const { base } = await start();
    for (const bad of ["(a)\\1", "a(", "[z-a]", "a{2,1001}"]) {
      const res = await fetch(`${base}/v1/members?name=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe("bad_filter");
      expect(body.error).toContain(`invalid regexp ${JSON.stringify(bad)}`);
    }
  });

  it("matches a pathological pattern in linear time", async () => {
    const { base, backend } = await start();
    backend.members_.push(member("a".repeat(5000), [10, 0, 0, 9], "alive"));
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/members?name=${encodeURIComponent("(a+)+b")}`);
    expect(((await res.json()) as { members: unknown[] }).members).toEqual([]);
    // A backtracking engine takes ages on 5000 a's; RE2 is linear. Generous bound for a loaded CI.
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe("RTT and coordinates", () => {
  it("GET /v1/members/<name>/rtt", async () => {
    const { base } = await start();
    const body = (await (await fetch(`${base}/v1/members/db-1/rtt`)).json()) as {
      from: string;
      to: string;
      rttMs: number;
    };
    expect(body.from).toBe("web-1");
    expect(body.to).toBe("db-1");
    expect(body.rttMs).toBeCloseTo(25, 6);
  });

  it("404s an unknown node, and decodes escaped names", async () => {
    const { base, backend } = await start();
    const res = await fetch(`${base}/v1/members/nope/rtt`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe("no coordinate for nope");
    backend.coords.set("a b/c", coord(0.002));
    const ok = (await (await fetch(`${base}/v1/members/a%20b%2Fc/rtt`)).json()) as {
      rttMs: number;
    };
    expect(ok.rttMs).toBeCloseTo(2, 6);
    expect((await fetch(`${base}/v1/members/%E0%A4%A/rtt`)).status).toBe(400);
  });

  it("GET /v1/coordinates lists every member's coordinate", async () => {
    const { base, backend } = await start();
    backend.coords.delete("web-2");
    const body = (await (await fetch(`${base}/v1/coordinates`)).json()) as {
      self: string;
      coordinates: Array<{ node: string }>;
    };
    expect(body.self).toBe("web-1");
    expect(body.coordinates.map((c) => c.node)).toEqual(["web-1", "db-1"]);
  });
});

describe("GET /v1/stats and /v1/openapi.json", () => {
  it("stats as serf info sections", async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/v1/stats`)).json()).toEqual({
      agent: { name: "web-1" },
      serf: { members: "3", failed: "1" },
    });
  });

  it("serves the OpenAPI document with a handler for every route", async () => {
    const { base, api } = await start();
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: object;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(api.operationIds.sort()).toEqual(HTTP_ROUTES.map((r) => r.operationId).sort());
  });

  it("404s unknown endpoints, 405s wrong methods, leaves other paths to the listener", async () => {
    const { base } = await start();
    const nf = await fetch(`${base}/v1/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ code: "not_found", error: "no such endpoint: /v1/nope" });
    const wrong = await fetch(`${base}/v1/members`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: "{}",
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect((await fetch(`${base}/v1/event`)).status).toBe(405);
    expect(await (await fetch(`${base}/metrics`)).text()).toBe("other");
  });
});

describe("POST /v1/event", () => {
  const post = (base: string, body: string, headers: Record<string, string> = JSON_HEADERS) =>
    fetch(`${base}/v1/event`, { method: "POST", headers, body });

  it("sends a user event (coalesce defaults to true)", async () => {
    const { base, backend } = await start();
    const res = await post(base, JSON.stringify({ name: "deploy", payload: "v42 é" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sent: true });
    await post(base, JSON.stringify({ name: "nop", coalesce: false }));
    expect(backend.events).toEqual([
      { name: "deploy", payload: "v42 é", coalesce: true },
      { name: "nop", payload: null, coalesce: false },
    ]);
  });

  it.each([
    ['{"name":', 400, "bad_json", /^invalid JSON body: /],
    ["", 400, "bad_json", /^invalid JSON body: /],
    ["[1]", 400, "bad_request", /^invalid EventRequest: body must be an object, not array$/],
    ['{"payload":"x"}', 400, "bad_request", /^invalid EventRequest: name is required$/],
    ['{"name":"a","coalesce":1}', 400, "bad_request", /coalesce must be a boolean/],
    [
      '{"name":"too-big"}',
      400,
      "bad_request",
      /^user event exceeds configured limit of 512 bytes$/,
    ],
  ])("%s -> %i %s", async (body, status, code, message) => {
    const { base, backend } = await start();
    const res = await post(base, body);
    expect(res.status).toBe(status);
    const err = (await res.json()) as { code: string; error: string };
    expect(err.code).toBe(code);
    expect(err.error).toMatch(message);
    expect(backend.events).toEqual([]);
  });

  it("needs Content-Type: application/json (no CSRF through simple forms)", async () => {
    const { base, backend } = await start();
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await post(base, '{"name":"deploy"}', { "Content-Type": type });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe("unsupported_media_type");
    }
    expect(
      (await post(base, '{"name":"x"}', { "Content-Type": "application/json; charset=utf-8" }))
        .status,
    ).toBe(200);
    expect(backend.events.map((e) => e.name)).toEqual(["x"]);
  });

  it("413s a body over 64 KiB, and 400s invalid UTF-8", async () => {
    const { base, backend } = await start();
    const big = JSON.stringify({ name: "x", payload: "y".repeat(70_000) });
    const res = await post(base, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe("body_too_large");
    const bad = await fetch(`${base}/v1/event`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: Buffer.from([0x7b, 0xff, 0x7d]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: "bad_json",
      error: "invalid JSON body: not valid UTF-8",
    });
    expect(backend.events).toEqual([]);
  });

  it("413s a chunked body over the limit without reading it all", async () => {
    const { base } = await start();
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        sent += chunk.length;
        if (sent > 4 * 1024 * 1024) c.close();
        else c.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/v1/event`, {
      method: "POST",
      headers: JSON_HEADERS,
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});

describe("POST /v1/query", () => {
  const post = (base: string, body: unknown) =>
    fetch(`${base}/v1/query`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });

  it("streams acks and responses as SSE, then done", async () => {
    const { base, backend } = await start();
    backend.queryScript = () => ({
      deadline: Date.now() + 300,
      acks: iterate(["web-1", "db-1"], 5),
      responses: iterate(
        [
          { from: "web-1", payload: new TextEncoder().encode("up 3 days") },
          { from: "db-1", payload: new Uint8Array([0xff, 0xfe]) },
        ],
        40,
      ),
    });
    const res = await post(base, {
      name: "uptime",
      payload: "now",
      filters: { nodes: ["web-1", "db-1"], tags: { role: "web|db" } },
      timeout: "2s",
      relayFactor: 2,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = await readSse(res, (m) => m.some((e) => e.type === "done"));
    // Acks and responses are two streams: each keeps its order; done comes last.
    const parsed = events.map((e) => [e.type, JSON.parse(e.data)]);
    expect(parsed.filter(([t]) => t === "ack")).toEqual([
      ["ack", { type: "ack", from: "web-1" }],
      ["ack", { type: "ack", from: "db-1" }],
    ]);
    expect(parsed.filter(([t]) => t === "response")).toEqual([
      [
        "response",
        { type: "response", from: "web-1", payload: "up 3 days", payloadEncoding: "utf8" },
      ],
      ["response", { type: "response", from: "db-1", payload: "//4=", payloadEncoding: "base64" }],
    ]);
    expect(parsed.at(-1)).toEqual(["done", { type: "done", acks: 2, responses: 2 }]);
    expect(parsed).toHaveLength(5);
    const q = backend.queries[0];
    expect(q).toMatchObject({
      name: "uptime",
      filterNodes: ["web-1", "db-1"],
      requestAck: true,
      relayFactor: 2,
      timeoutMs: 2000,
    });
    expect([...(q?.filterTags ?? [])]).toEqual([["role", "web|db"]]);
    expect(new TextDecoder().decode(q?.payload ?? undefined)).toBe("now");
  });

  it("closes the query when the client goes away", async () => {
    const { base, backend } = await start();
    let closed = false;
    backend.queryScript = () => ({
      deadline: Date.now() + 60_000,
      acks: iterate([]),
      responses: iterate([]),
      close: () => {
        closed = true;
      },
    });
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/query`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: '{"name":"q"}',
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    ac.abort();
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
  });

  it.each([
    [{ name: "q", timeout: "soon" }, /^invalid QueryRequest: timeout: /],
    [{ name: "q", timeout: "-1s" }, /timeout must be above 0/],
    [{ name: "q", timeout: "11m" }, /at most 600s/],
    [{ name: "q", filters: { tags: { role: "(a" } } }, /invalid regexp "\(a"/],
    [{ name: "q", relayFactor: 9 }, /relayFactor must be at most 5/],
    [{ name: "_serf_ping", payload: "x" }, /^Queries cannot contain the '_serf_' prefix$/],
  ])("%j -> 400", async (body, message) => {
    const { base, backend } = await start();
    backend.queryScript = () => {
      throw new Error("Queries cannot contain the '_serf_' prefix");
    };
    const res = await post(base, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });
});

describe("GET /v1/events", () => {
  it("streams member, user and query events", async () => {
    const { base, backend } = await start();
    const res = await fetch(`${base}/v1/events`);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reading = readSse(res, (m) => m.length >= 3);
    for (let i = 0; i < 100 && backend.subscribers.size === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    const failed = backend.members_[1] as Member;
    backend.emit({ type: "member-failed", members: [{ ...failed }] });
    backend.emit({
      type: "user",
      name: "deploy",
      payload: new Uint8Array([0xc3, 0x28]),
      lTime: 7,
      coalesce: true,
    });
    backend.emit({
      type: "query",
      name: "uptime",
      payload: null,
      lTime: 3,
      handle: 1,
      deadline: 0,
    });
    const got = (await reading).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(got[0]).toMatchObject({
      type: "member-failed",
      members: [{ name: "web-2", status: "failed", address: "[::1]:7946" }],
    });
    expect(got[1]).toEqual({
      type: "user",
      name: "deploy",
      payload: "wyg=",
      payloadEncoding: "base64",
      lTime: 7,
      coalesce: true,
    });
    expect(got[2]).toEqual({
      type: "query",
      name: "uptime",
      payload: "",
      payloadEncoding: "utf8",
      lTime: 3,
    });
    for (let i = 0; i < 100 && backend.subscribers.size > 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(backend.subscribers.size).toBe(0); // unsubscribed when the client left
  });

  it("answers HEAD without opening a stream", async () => {
    const { base, backend } = await start();
    const res = await fetch(`${base}/v1/events`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(backend.subscribers.size).toBe(0);
  });
});

describe("slow SSE clients", () => {
  it("drops a client that stops reading instead of buffering without bound", async () => {
    const { base, backend } = await start({ sse: { maxBufferedBytes: 64 * 1024 } });
    const { port } = new URL(base);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    socket.write("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
    socket.pause(); // never reads: the kernel buffers fill, then the server's
    for (let i = 0; i < 100 && backend.subscribers.size === 0; i++) await sleep(5);
    expect(backend.subscribers.size).toBe(1);
    const big = new Uint8Array(60_000).fill(0x61);
    for (let i = 0; i < 400 && backend.subscribers.size > 0; i++) {
      backend.emit({ type: "user", name: "flood", payload: big, lTime: i, coalesce: false });
      await sleep(1);
    }
    expect(backend.subscribers.size).toBe(0);
    socket.destroy();
  });
});

describe("rpc_auth", () => {
  it("401s every /v1/ request without the right bearer key", async () => {
    const { base, backend } = await start({ authKey: "s3cret" });
    for (const headers of [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: "Basic s3cret" },
      { Authorization: "Bearer s3cret2" },
      { Authorization: "Bearer " },
    ]) {
      for (const [method, path] of [
        ["GET", "/v1/members"],
        ["GET", "/v1/events"],
        ["GET", "/v1/openapi.json"],
        ["POST", "/v1/event"],
        ["GET", "/v1/nope"],
      ] as const) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { ...headers, ...JSON_HEADERS },
          ...(method === "POST" ? { body: '{"name":"x"}' } : {}),
        });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="serf"');
        expect(((await res.json()) as { code: string }).code).toBe("unauthorized");
      }
    }
    expect(backend.events).toEqual([]);
    const ok = await fetch(`${base}/v1/event`, {
      method: "POST",
      headers: { Authorization: "Bearer s3cret", ...JSON_HEADERS },
      body: '{"name":"x"}',
    });
    expect(ok.status).toBe(200);
    expect(backend.events.map((e) => e.name)).toEqual(["x"]);
    // The dashboard's files are public: the page asks for the key itself.
    expect((await fetch(`${base}/ui/`)).status).toBe(200);
    expect(await (await fetch(`${base}/ui/config.json`)).json()).toEqual({ authRequired: true });
  });
});

describe("dashboard files", () => {
  it("redirects / to /ui/ and serves only the bundle's files", async () => {
    const { base } = await start();
    const root = await fetch(`${base}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/ui/");
    const page = await fetch(`${base}/ui/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain("<title>serf</title>");
    expect((await fetch(`${base}/ui/app.js`)).status).toBe(200);
    expect((await fetch(`${base}/ui/../package.json`)).status).toBe(404);
    expect((await fetch(`${base}/ui/%2e%2e%2fpackage.json`)).status).toBe(404);
  });

  it("says so when the bundle was not built", async () => {
    const { base } = await start({ assets: new DashboardAssets(new Map()) });
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/dashboard not built/);
  });
});

describe("answers match the OpenAPI document's schemas", () => {
  it("JSON bodies, errors and SSE events", async () => {
    const { base, backend } = await start();
    conforms("MembersResponse", await (await fetch(`${base}/v1/members`)).json());
    backend.coords.delete("db-1");
    const members = (await (await fetch(`${base}/v1/members`)).json()) as { members: HttpMember[] };
    expect(members.members[2]?.rttMs).toBeNull();
    conforms("MembersResponse", members);
    conforms("RttResponse", await (await fetch(`${base}/v1/members/web-2/rtt`)).json());
    conforms("CoordinatesResponse", await (await fetch(`${base}/v1/coordinates`)).json());
    conforms("StatsResponse", await (await fetch(`${base}/v1/stats`)).json());
    const sent = await fetch(`${base}/v1/event`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: '{"name":"x"}',
    });
    conforms("EventResponse", await sent.json());
    for (const res of [
      await fetch(`${base}/v1/nope`),
      await fetch(`${base}/v1/members?name=(`),
      await fetch(`${base}/v1/event`, { method: "POST", body: "{}" }),
    ]) {
      conforms("Error", await res.json());
    }

    const stream = await fetch(`${base}/v1/events`);
    const reading = readSse(stream, (m) => m.length >= 3);
    for (let i = 0; i < 100 && backend.subscribers.size === 0; i++) await sleep(5);
    backend.emit({ type: "member-join", members: [backend.members_[0] as Member] });
    backend.emit({ type: "user", name: "u", payload: null, lTime: 1, coalesce: false });
    backend.emit({ type: "query", name: "q", payload: null, lTime: 2, handle: 1, deadline: 0 });
    for (const e of await reading) conforms("StreamEvent", JSON.parse(e.data));

    backend.queryScript = () => ({
      deadline: Date.now() + 100,
      acks: iterate(["web-1"]),
      responses: iterate([{ from: "web-1", payload: null }]),
    });
    const q = await fetch(`${base}/v1/query`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: '{"name":"q"}',
    });
    const qEvents = await readSse(q, (m) => m.some((e) => e.type === "done"));
    expect(qEvents.map((e) => e.type)).toEqual(["ack", "response", "done"]);
    for (const e of qEvents) conforms("QueryStreamEvent", JSON.parse(e.data));
  });
});
