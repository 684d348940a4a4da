/**
 * The HTTP router of the agent's HTTP listener (`-http-addr`): routes are registered as
 * (method, path pattern, handler) and matched in registration order.
 *
 * Path patterns:
 * - `/metrics`: exactly this path;
 * - `/v1/members/:name`: `:name` matches one non-empty segment, decoded, in `params.name`;
 * - `/ui/*`: this prefix and everything below it (the rest, undecoded, in `params["*"]`;
 *   `/ui` itself matches too, with an empty rest).
 *
 * A path that matches a route with another method gets 405 with an `Allow` header; a path that
 * matches nothing gets 404. `HEAD` is answered by `GET` routes (Node drops the body).
 *
 * ```ts
 * const router = new HttpRouter();
 * router.get("/v1/members", (req, res) => sendJson(res, 200, members()));
 * router.post("/v1/event", async (req, res) => {
 *   const body = await req.json(); // bounded by the server's maxBodyBytes
 *   ...
 * });
 * ```
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";

/** A matched request, as route handlers see it. */
export interface HttpRequest {
  /** Upper-case method (`GET`, `POST`, …). */
  readonly method: string;
  /** The path, still percent-encoded, without the query string. */
  readonly path: string;
  /** The parsed query string. */
  readonly query: URLSearchParams;
  /** `:name` segments (decoded) and `*` (the rest of a prefix route). */
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  /** The Node request, for streaming handlers. Do not read its body directly: use `body()`. */
  readonly raw: IncomingMessage;
  /**
   * The request body, read at most once (later calls return the same bytes).
   * @throws HttpError 413 over the server's `maxBodyBytes`, 400 if the client aborts.
   */
  body(): Promise<Uint8Array>;
  /** The body parsed as JSON. @throws HttpError 400 (not UTF-8 JSON), 413. */
  json(): Promise<unknown>;
  /** Aborted when the client goes away or the server closes (for long-lived responses). */
  readonly signal: AbortSignal;
}

/** A route handler. It must send a response (helpers: `sendJson`, `sendText`). */
export type HttpHandler = (req: HttpRequest, res: ServerResponse) => void | Promise<void>;

/** An error with an HTTP status: the server answers with it (JSON `{ error, code }`). */
export class HttpError extends Error {
  readonly status: number;
  /** Stable machine-readable code, e.g. `not_found`. */
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: string,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

type Segment = { kind: "literal"; text: string } | { kind: "param"; name: string };

interface Route {
  readonly method: string;
  readonly pattern: string;
  readonly segments: readonly Segment[];
  /** True for `/prefix/*` patterns. */
  readonly prefix: boolean;
  readonly handler: HttpHandler;
}

/** The result of `HttpRouter.match`. */
export type RouteMatch =
  | {
      readonly kind: "found";
      readonly handler: HttpHandler;
      readonly params: Record<string, string>;
    }
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] }
  | { readonly kind: "not-found" };

function splitPath(path: string): string[] {
  return path.split("/").slice(1);
}

function parsePattern(pattern: string): { segments: Segment[]; prefix: boolean } {
  if (!pattern.startsWith("/")) throw new TypeError(`route pattern must start with /: ${pattern}`);
  let body = pattern;
  let prefix = false;
  if (body.endsWith("/*")) {
    prefix = true;
    body = body.slice(0, -2);
  }
  const parts = body === "" || body === "/" ? [] : splitPath(body);
  const segments = parts.map((part): Segment => {
    if (part.includes("*")) throw new TypeError(`'*' only at the end of a pattern: ${pattern}`);
    if (part.startsWith(":")) {
      const name = part.slice(1);
      if (name === "") throw new TypeError(`empty parameter name in ${pattern}`);
      return { kind: "param", name };
    }
    return { kind: "literal", text: part };
  });
  return { segments, prefix };
}

function decodeSegment(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function matchRoute(route: Route, parts: readonly string[]): Record<string, string> | undefined {
  const n = route.segments.length;
  if (route.prefix ? parts.length < n : parts.length !== n) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < n; i++) {
    const seg = route.segments[i] as Segment;
    const part = parts[i] as string;
    if (seg.kind === "literal") {
      if (seg.text !== part) return undefined;
    } else {
      const value = decodeSegment(part);
      if (part === "" || value === undefined) return undefined;
      params[seg.name] = value;
    }
  }
  if (route.prefix) params["*"] = parts.slice(n).join("/");
  return params;
}

/** Method + path routing table. Register routes before or while the server runs. */
export class HttpRouter {
  readonly #routes: Route[] = [];

  /** Registers `handler` for `method` (upper case) on `pattern`. */
  route(method: string, pattern: string, handler: HttpHandler): this {
    const { segments, prefix } = parsePattern(pattern);
    const upper = method.toUpperCase();
    if (this.#routes.some((r) => r.method === upper && r.pattern === pattern)) {
      throw new TypeError(`route already registered: ${upper} ${pattern}`);
    }
    this.#routes.push({ method: upper, pattern, segments, prefix, handler });
    return this;
  }

  get(pattern: string, handler: HttpHandler): this {
    return this.route("GET", pattern, handler);
  }

  post(pattern: string, handler: HttpHandler): this {
    return this.route("POST", pattern, handler);
  }

  put(pattern: string, handler: HttpHandler): this {
    return this.route("PUT", pattern, handler);
  }

  delete(pattern: string, handler: HttpHandler): this {
    return this.route("DELETE", pattern, handler);
  }

  /** The registered routes (`METHOD pattern`), in order: for documentation and tests. */
  routes(): string[] {
    return this.#routes.map((r) => `${r.method} ${r.pattern}`);
  }

  /** Finds the handler of `method` on `path` (percent-encoded, without query string). */
  match(method: string, path: string): RouteMatch {
    const upper = method.toUpperCase();
    const parts = path === "/" ? [] : splitPath(path);
    const allow = new Set<string>();
    for (const route of this.#routes) {
      const params = matchRoute(route, parts);
      if (params === undefined) continue;
      if (route.method === upper || (upper === "HEAD" && route.method === "GET")) {
        return { kind: "found", handler: route.handler, params };
      }
      allow.add(route.method);
      if (route.method === "GET") allow.add("HEAD");
    }
    if (allow.size > 0) return { kind: "method-not-allowed", allow: [...allow].sort() };
    return { kind: "not-found" };
  }
}
