/**
 * The agent's HTTP listener (`-http-addr=IP:PORT`, config `http_addr`; off by default): one
 * Node `http.Server` dispatching to one `HttpRouter`. The agent registers `GET /metrics`;
 * other features register their own routes on `agent.httpRouter`.
 *
 * ```ts
 * const router = new HttpRouter().get("/hello", (_req, res) => sendText(res, 200, "hi\n"));
 * const server = new HttpServer({ router, logger });
 * const addr = await server.listen("127.0.0.1:0"); // "127.0.0.1:41234"
 * await server.close();
 * ```
 *
 * Guarantees: request bodies are bounded (`maxBodyBytes`, 413), slow clients are cut off
 * (`headersTimeoutMs`, `requestTimeoutMs`), connections are capped (`maxConnections`), a
 * handler that throws gets a 500 (or its `HttpError` status) and a log line, never a crash;
 * `close()` ends every connection, long-lived responses included (their `req.signal` aborts).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { errorText } from "../agent-errors.ts";
import { GoAddrError, joinHostPort, resolveTcpAddr } from "../gocompat/net.ts";
import { sendError } from "./respond.ts";
import { HttpError, type HttpRequest, type HttpRouter } from "./router.ts";

/** Where the server logs (the agent passes its `agent.http` component logger). */
export interface HttpServerLogger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of `HttpServer`. */
export interface HttpServerOptions {
  readonly router: HttpRouter;
  readonly logger?: HttpServerLogger | undefined;
  /** Largest request body; larger ones get 413. @default 1 MiB */
  readonly maxBodyBytes?: number | undefined;
  /** Time to receive the request headers. @default 10 s */
  readonly headersTimeoutMs?: number | undefined;
  /** Time to receive the whole request (not the response). @default 30 s */
  readonly requestTimeoutMs?: number | undefined;
  /** Simultaneous connections at most; more are refused. @default 256 */
  readonly maxConnections?: number | undefined;
}

/** `listen` failed (Go-like text: `listen tcp 127.0.0.1:7380: bind: address already in use`). */
export class HttpListenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HttpListenError";
  }
}

const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: "bind: address already in use",
  EACCES: "bind: permission denied",
  EADDRNOTAVAIL: "bind: cannot assign requested address",
};

const NO_LOG: HttpServerLogger = { debug() {}, warn() {}, error() {} };

/** Reads a request body, failing with 413 past `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    const onAbort = (): void => {
      cleanup();
      reject(new HttpError(400, "aborted", "request body was not received completely"));
    };
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("aborted", onAbort);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("aborted", onAbort);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "body_too_large", `request body is larger than ${limit} bytes`);
}

/** The agent's HTTP server. */
export class HttpServer {
  readonly #router: HttpRouter;
  readonly #log: HttpServerLogger;
  readonly #maxBodyBytes: number;
  readonly #server: Server;
  readonly #closing = new AbortController();
  readonly #sockets = new Set<Socket>();
  #address: string | undefined;
  #listening = false;
  #closePromise: Promise<void> | undefined;

  constructor(options: HttpServerOptions) {
    this.#router = options.router;
    this.#log = options.logger ?? NO_LOG;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.#server = createServer(
      {
        headersTimeout: options.headersTimeoutMs ?? 10_000,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        maxHeaderSize: 16 * 1024,
      },
      (req, res) => {
        void this.#serve(req, res);
      },
    );
    this.#server.maxConnections = options.maxConnections ?? 256;
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    this.#server.on("clientError", (err, socket) => {
      this.#log.debug(`bad request from client: ${errorText(err)}`);
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  /**
   * Listens on `address` (`ip:port`; empty ip = all interfaces, port 0 = any free port).
   * Resolves to the bound `ip:port`.
   * @throws HttpListenError
   */
  async listen(address: string): Promise<string> {
    if (this.#listening) throw new HttpListenError("HTTP server is already listening");
    if (this.#closePromise !== undefined) throw new HttpListenError("HTTP server is closed");
    this.#listening = true;
    let host: string;
    let port: number;
    try {
      ({ ip: host, port } = await resolveTcpAddr(address));
    } catch (err) {
      const text = err instanceof GoAddrError ? err.message : errorText(err);
      throw new HttpListenError(`listen tcp: ${text}`, { cause: err });
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const reason = LISTEN_REASONS[err.code ?? ""] ?? err.message;
        reject(new HttpListenError(`listen tcp ${address}: ${reason}`, { cause: err }));
      };
      this.#server.once("error", onError);
      const where = host === "" ? { port } : { host, port };
      this.#server.listen({ ...where, exclusive: true }, () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
    this.#server.on("error", (err) => this.#log.error(`HTTP listener: ${errorText(err)}`));
    const bound = this.#server.address();
    if (bound !== null && typeof bound === "object") {
      this.#address = joinHostPort(bound.address, bound.port);
    }
    return this.#address ?? address;
  }

  /** The bound `ip:port` while listening. */
  get address(): string | undefined {
    return this.#address;
  }

  /** Stops listening and ends every connection (streams too). Idempotent. */
  close(): Promise<void> {
    this.#closePromise ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      this.#address = undefined;
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
      // Let responses being written finish their last chunk, then cut what is left.
      setImmediate(() => {
        for (const socket of this.#sockets) socket.destroy();
      });
    });
    return this.#closePromise;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    const onGone = (): void => abort.abort();
    res.once("close", onGone);
    const onClosing = (): void => abort.abort();
    this.#closing.signal.addEventListener("abort", onClosing, { once: true });
    res.once("close", () => this.#closing.signal.removeEventListener("abort", onClosing));
    try {
      await this.#dispatch(req, res, abort.signal);
    } catch (err) {
      this.#fail(req, res, err);
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const method = req.method ?? "GET";
    const target = req.url ?? "/";
    const queryAt = target.indexOf("?");
    const path = queryAt < 0 ? target : target.slice(0, queryAt);
    if (!path.startsWith("/")) {
      throw new HttpError(400, "bad_request", "request target must be an absolute path");
    }
    const query = new URLSearchParams(queryAt < 0 ? "" : target.slice(queryAt + 1));
    const found = this.#router.match(method, path);
    if (found.kind === "not-found") {
      throw new HttpError(404, "not_found", `no route for ${path}`);
    }
    if (found.kind === "method-not-allowed") {
      throw new HttpError(405, "method_not_allowed", `${method} is not allowed on ${path}`, {
        headers: { allow: found.allow.join(", ") },
      });
    }
    let body: Promise<Uint8Array> | undefined;
    const maxBodyBytes = this.#maxBodyBytes;
    const request: HttpRequest = {
      method: method.toUpperCase(),
      path,
      query,
      params: found.params,
      headers: req.headers,
      raw: req,
      signal,
      body() {
        body ??= readBody(req, maxBodyBytes);
        return body;
      },
      async json() {
        const bytes = await this.body();
        let text: string;
        try {
          text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch (err) {
          throw new HttpError(400, "bad_json", "request body is not UTF-8", { cause: err });
        }
        try {
          return JSON.parse(text) as unknown;
        } catch (err) {
          throw new HttpError(400, "bad_json", `request body is not JSON: ${errorText(err)}`, {
            cause: err,
          });
        }
      },
    };
    await found.handler(request, res);
  }

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const known = err instanceof HttpError;
    if (!known) {
      this.#log.error(`${req.method ?? "?"} ${req.url ?? "?"}: ${errorText(err)}`);
    }
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    // An unread body (413 before reading, an error before `body()`) would stall keep-alive.
    if (!req.complete) res.setHeader("connection", "close");
    try {
      if (known) sendError(res, err.status, err.code, err.message, err.headers);
      else sendError(res, 500, "internal", "internal error");
    } catch (sendErr) {
      this.#log.warn(`failed to send an error response: ${errorText(sendErr)}`);
      res.destroy();
    }
  }
}
