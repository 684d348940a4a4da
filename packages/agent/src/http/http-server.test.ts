import { connect } from "node:net";
import { randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { HttpListenError, HttpServer, type HttpServerLogger } from "./http-server.ts";
import { sendJson, sendText } from "./respond.ts";
import { HttpError, HttpRouter } from "./router.ts";

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function recordingLogger(): HttpServerLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`DEBUG ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERR ${m}`),
  };
}

async function serve(router: HttpRouter, extra: { maxBodyBytes?: number } = {}) {
  const logger = recordingLogger();
  const server = new HttpServer({ router, logger, ...extra });
  servers.push(server);
  const addr = await server.listen(`${randomLoopbackIp()}:0`);
  return { server, logger, base: `http://${addr}` };
}

/** Sends raw bytes and returns everything the server writes back until it closes. */
function rawExchange(addr: string, bytes: string): Promise<string> {
  const [host, port] = addr.replace("http://", "").split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let out = "";
    socket.on("data", (d) => {
      out += d.toString("latin1");
    });
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
    socket.write(bytes);
  });
}

describe("HttpServer", () => {
  it("serves routes, with JSON and text helpers, query strings and params", async () => {
    const router = new HttpRouter()
      .get("/text", (_req, res) => sendText(res, 200, "hello\n"))
      .get("/v1/members/:name", (req, res) =>
        sendJson(res, 200, { name: req.params.name, q: req.query.get("q") }),
      );
    const { base } = await serve(router);

    const text = await fetch(`${base}/text`);
    expect(text.status).toBe(200);
    expect(text.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await text.text()).toBe("hello\n");

    const json = await fetch(`${base}/v1/members/a%2Fb?q=1`);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await json.json()).toEqual({ name: "a/b", q: "1" });
  });

  it("answers 404 and 405 (with Allow) as JSON errors", async () => {
    const { base } = await serve(new HttpRouter().get("/metrics", (_q, r) => sendText(r, 200, "")));
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no route for /nope", code: "not_found" });

    const wrong = await fetch(`${base}/metrics`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    expect(((await wrong.json()) as { code: string }).code).toBe("method_not_allowed");
  });

  it("bounds request bodies: 413 past maxBodyBytes (declared or streamed), 400 for bad JSON", async () => {
    const router = new HttpRouter().post("/echo", async (req, res) => {
      sendJson(res, 200, await req.json());
    });
    const { base } = await serve(router, { maxBodyBytes: 64 });

    const ok = await fetch(`${base}/echo`, { method: "POST", body: '{"a":1}' });
    expect(await ok.json()).toEqual({ a: 1 });

    const big = await fetch(`${base}/echo`, { method: "POST", body: `"${"x".repeat(100)}"` });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe("body_too_large");

    // Chunked: no Content-Length, so the limit applies while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(20)));
        controller.close();
      },
    });
    const streamed = await fetch(`${base}/echo`, {
      method: "POST",
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);

    const bad = await fetch(`${base}/echo`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("bad_json");
  });

  it("turns a throwing handler into 500 (HttpError into its status) and keeps serving", async () => {
    const router = new HttpRouter()
      .get("/boom", () => {
        throw new Error("kaput");
      })
      .get("/async-boom", async () => {
        await Promise.resolve();
        throw new Error("later");
      })
      .get("/teapot", () => {
        throw new HttpError(418, "teapot", "short and stout");
      })
      .get("/ok", (_q, r) => sendText(r, 200, "ok"));
    const { base, logger } = await serve(router);

    const boom = await fetch(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: "internal error", code: "internal" });
    expect((await fetch(`${base}/async-boom`)).status).toBe(500);
    const teapot = await fetch(`${base}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ error: "short and stout", code: "teapot" });
    expect(await (await fetch(`${base}/ok`)).text()).toBe("ok");
    expect(logger.lines).toEqual(["ERR GET /boom: kaput", "ERR GET /async-boom: later"]);
  });

  it("answers malformed requests with 400 and stays up", async () => {
    const { base } = await serve(new HttpRouter().get("/ok", (_q, r) => sendText(r, 200, "ok")));
    const reply = await rawExchange(base, "BLAH\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    const absolute = await rawExchange(
      base,
      "GET http://x/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(absolute).toMatch(/^HTTP\/1\.1 400 /);
    expect(await (await fetch(`${base}/ok`)).text()).toBe("ok");
  });

  it("close() ends long-lived responses, aborting their signal", async () => {
    let aborted = false;
    const router = new HttpRouter().get("/stream", (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: hi\n\n");
      req.signal.addEventListener("abort", () => {
        aborted = true;
      });
    });
    const { server, base } = await serve(router);
    const res = await fetch(`${base}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: hi\n\n");
    await server.close();
    await expect(reader.read()).rejects.toThrow();
    expect(aborted).toBe(true);
    expect(server.address).toBeUndefined();
    await server.close(); // idempotent
  });

  it("fails to listen with Go-like texts", async () => {
    const { base } = await serve(new HttpRouter());
    const taken = base.replace("http://", "");
    const other = new HttpServer({ router: new HttpRouter() });
    servers.push(other);
    await expect(other.listen(taken)).rejects.toThrow(
      new HttpListenError(`listen tcp ${taken}: bind: address already in use`),
    );
    const bad = new HttpServer({ router: new HttpRouter() });
    servers.push(bad);
    await expect(bad.listen("nonsense")).rejects.toBeInstanceOf(HttpListenError);
  });
});
