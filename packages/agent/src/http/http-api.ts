/**
 * The agent's HTTP API (`/v1/…`, described by `@serf-ts/wire/http`) and the dashboard
 * (`/` -> `/ui/`). `HttpApi.handle` answers the requests it owns and returns `false` for
 * the others, so it sits on any listener next to other routes (`/metrics`).
 *
 * Security: with `rpc_auth` set every `/v1/` request needs `Authorization: Bearer <key>`
 * (compared in constant time; the dashboard's static files are public and ask for the key);
 * POST bodies must be `application/json` and at most 64 KiB; no CORS headers are ever sent,
 * so browsers keep other origins out (a JSON POST from another origin needs a preflight).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  decodeHttpBody,
  encodeHttpPayload,
  HTTP_ROUTES,
  HttpBodyError,
  HttpErrorCode,
  type HttpCoordinatesResponse,
  type HttpMember,
  type HttpQueryStreamEvent,
  type HttpRoute,
  type HttpStatsResponse,
  type HttpStreamEvent,
  openApiDocument,
} from "@serf-ts/wire/http";
import type { QueryRequest } from "@serf-ts/wire/rpc";
import { parseGoDurationMs } from "@serf-ts/wire/gocompat";
import type { ComponentLogger } from "../logging/logger.ts";
import type { AgentBackend, AgentEvent } from "../rpc/agent-backend.ts";
import { BearerAuth } from "./bearer-auth.ts";
import { compileFilterRegexp, FilterRegexpError } from "./filter-regexp.ts";
import {
  HttpApiError,
  readJsonText,
  SseStream,
  type SseStreamOptions,
  sendError,
  sendJson,
} from "./http-io.ts";
import {
  memberMatches,
  parseMemberFilters,
  rttMs,
  toHttpCoordinate,
  toHttpMember,
} from "./http-members.ts";
import { DashboardAssets } from "./dashboard-assets.ts";
import { MEMBER_EVENT_TYPES } from "@serf-ts/wire";

/** What the API needs from the agent. `Agent` provides it through `agentHttpBackend`. */
export type HttpApiBackend = Pick<
  AgentBackend,
  "members" | "userEvent" | "query" | "stats" | "getCoordinate" | "subscribeEvents"
> & {
  /** The local node's name. */
  localName(): string;
};

/** Options of `HttpApi`. */
export interface HttpApiOptions {
  readonly backend: HttpApiBackend;
  /** `rpc_auth`: when non-empty, `/v1/` needs `Authorization: Bearer <key>`. */
  readonly authKey: string;
  readonly logger?: ComponentLogger | undefined;
  /** Dashboard files (`undefined`: the built bundle of this package). */
  readonly assets?: DashboardAssets | undefined;
  /** SSE keep-alive and buffer bound (tests). */
  readonly sse?: SseStreamOptions | undefined;
  /** Upper bound of a query's `timeout`. @default 10 min */
  readonly maxQueryTimeoutMs?: number | undefined;
  /** Version in the OpenAPI document. */
  readonly version?: string | undefined;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  url: URL,
) => Promise<void> | void;

interface CompiledRoute {
  readonly route: HttpRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compileRoute(route: HttpRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

const ROUTES = HTTP_ROUTES.map(compileRoute);

const MEMBER_EVENTS: ReadonlySet<string> = new Set(MEMBER_EVENT_TYPES);

/** The HTTP API and dashboard of one agent. */
export class HttpApi {
  readonly #backend: HttpApiBackend;
  readonly #auth: BearerAuth;
  readonly #log: ComponentLogger | undefined;
  readonly #assets: DashboardAssets;
  readonly #sse: SseStreamOptions;
  readonly #maxQueryTimeoutMs: number;
  readonly #version: string;
  readonly #streams = new Set<SseStream>();
  readonly #handlers: Readonly<Record<string, Handler>>;

  constructor(options: HttpApiOptions) {
    this.#backend = options.backend;
    this.#auth = new BearerAuth(options.authKey);
    this.#log = options.logger;
    this.#assets = options.assets ?? DashboardAssets.load();
    this.#sse = options.sse ?? {};
    this.#maxQueryTimeoutMs = options.maxQueryTimeoutMs ?? 600_000;
    this.#version = options.version ?? "0.0.0";
    this.#handlers = {
      listMembers: (_q, res, _p, url) => this.#listMembers(res, url),
      memberRtt: (_q, res, p) => this.#memberRtt(res, p.name ?? ""),
      listCoordinates: (_q, res) => this.#coordinates(res),
      stats: (_q, res) => this.#stats(res),
      streamEvents: (req, res) => {
        if (req.method === "HEAD") {
          res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8" });
          res.end();
        } else this.#streamEvents(res);
      },
      sendEvent: (req, res) => this.#sendEvent(req, res),
      runQuery: (req, res) => this.#runQuery(req, res),
      openapi: (_q, res) => sendJson(res, 200, openApiDocument(this.#version)),
    };
  }

  /** The `operationId`s this API implements (every one of `HTTP_ROUTES`). */
  get operationIds(): string[] {
    return Object.keys(this.#handlers);
  }

  /** Whether `rpc_auth` protects the API. */
  get authEnabled(): boolean {
    return this.#auth.enabled;
  }

  /**
   * Answers `req` if it is the API's or the dashboard's (`/`, `/ui…`, `/v1/…`); resolves
   * `false` (without touching `res`) for any other path.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://agent.invalid");
    const path = url.pathname;
    if (path === "/ui/config.json") {
      // Public: the page learns whether to ask for the key, without a 401 in the console.
      sendJson(res, 200, { authRequired: this.#auth.enabled });
      return true;
    }
    if (path === "/" || path === "/ui" || path.startsWith("/ui/")) {
      this.#assets.serve(req, res, path);
      return true;
    }
    if (path !== "/v1" && !path.startsWith("/v1/")) return false;
    try {
      if (!this.#auth.allows(req.headers.authorization)) {
        throw new HttpApiError(
          401,
          HttpErrorCode.UNAUTHORIZED,
          "missing or wrong bearer key (rpc_auth)",
          {
            "WWW-Authenticate": 'Bearer realm="serf"',
          },
        );
      }
      await this.#route(req, res, url);
    } catch (err) {
      sendError(res, this.#toApiError(err));
    }
    return true;
  }

  /** Ends every open event and query stream (agent shutdown). */
  close(): void {
    for (const s of [...this.#streams]) s.end();
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const allowed: string[] = [];
    for (const { route, pattern, names } of ROUTES) {
      const m = pattern.exec(url.pathname);
      if (m === null) continue;
      if (route.method !== req.method && !(route.method === "GET" && req.method === "HEAD")) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1] ?? "");
        } catch {
          throw new HttpApiError(400, HttpErrorCode.BAD_REQUEST, `bad escape in ${name}`);
        }
      });
      const handler = this.#handlers[route.operationId];
      if (handler === undefined) break;
      await handler(req, res, params, url);
      return;
    }
    if (allowed.length > 0) {
      throw new HttpApiError(405, HttpErrorCode.METHOD_NOT_ALLOWED, `use ${allowed.join(" or ")}`, {
        Allow: allowed.join(", "),
      });
    }
    throw new HttpApiError(404, HttpErrorCode.NOT_FOUND, `no such endpoint: ${url.pathname}`);
  }

  #toApiError(err: unknown): HttpApiError {
    if (err instanceof HttpApiError) return err;
    if (err instanceof HttpBodyError) return new HttpApiError(400, err.code, err.message);
    if (err instanceof FilterRegexpError || err instanceof RangeError) {
      return new HttpApiError(400, HttpErrorCode.BAD_FILTER, err.message);
    }
    const message = err instanceof Error ? err.message : String(err);
    this.#log?.warn(`HTTP API: ${message}`);
    return new HttpApiError(500, HttpErrorCode.AGENT_ERROR, message);
  }

  async #httpMembers(): Promise<HttpMember[]> {
    const b = this.#backend;
    const [members, self] = await Promise.all([b.members(), b.getCoordinate(b.localName())]);
    const out: HttpMember[] = [];
    for (const m of members) {
      out.push(toHttpMember(m, rttMs(self, await b.getCoordinate(m.name))));
    }
    return out;
  }

  async #listMembers(res: ServerResponse, url: URL): Promise<void> {
    const filters = parseMemberFilters(url.searchParams);
    const members = (await this.#httpMembers()).filter((m) => memberMatches(m, filters));
    sendJson(res, 200, { members });
  }

  async #memberRtt(res: ServerResponse, name: string): Promise<void> {
    const b = this.#backend;
    const self = b.localName();
    const [a, c] = await Promise.all([b.getCoordinate(self), b.getCoordinate(name)]);
    const rtt = rttMs(a, c);
    if (rtt === null) {
      const whose = a === undefined ? `this agent (${self})` : name;
      throw new HttpApiError(404, HttpErrorCode.NOT_FOUND, `no coordinate for ${whose}`);
    }
    sendJson(res, 200, { from: self, to: name, rttMs: rtt });
  }

  async #coordinates(res: ServerResponse): Promise<void> {
    const b = this.#backend;
    const coordinates: Array<HttpCoordinatesResponse["coordinates"][number]> = [];
    for (const m of await b.members()) {
      const c = await b.getCoordinate(m.name);
      if (c !== undefined && c.vec !== null)
        coordinates.push({ node: m.name, coordinate: toHttpCoordinate(c) });
    }
    const body: HttpCoordinatesResponse = { self: b.localName(), coordinates };
    sendJson(res, 200, body);
  }

  async #stats(res: ServerResponse): Promise<void> {
    const stats = await this.#backend.stats();
    const body: Record<string, Record<string, string>> = {};
    for (const [section, entries] of stats) body[section] = Object.fromEntries(entries);
    sendJson(res, 200, body satisfies HttpStatsResponse);
  }

  #streamEvents(res: ServerResponse): void {
    const stream = this.#openStream(res);
    const self = this.#backend.localName();
    // Converting needs the (possibly async) coordinates; a chain keeps the events in order.
    let chain: Promise<void> = Promise.resolve();
    const unsubscribe = this.#backend.subscribeEvents((event) => {
      chain = chain
        .then(() => this.#toStreamEvent(event, self))
        .then((e) => {
          if (e !== undefined) stream.send(e.type, e);
        })
        .catch(() => {});
    });
    stream.onClose(unsubscribe);
  }

  async #toStreamEvent(event: AgentEvent, self: string): Promise<HttpStreamEvent | undefined> {
    if (MEMBER_EVENTS.has(event.type) && "members" in event) {
      const from = await this.#backend.getCoordinate(self);
      const members: HttpMember[] = [];
      for (const m of event.members) {
        members.push(toHttpMember(m, rttMs(from, await this.#backend.getCoordinate(m.name))));
      }
      return { type: event.type, members };
    }
    if (event.type === "user") {
      return {
        type: "user",
        name: event.name,
        ...encodeHttpPayload(event.payload),
        lTime: event.lTime,
        coalesce: event.coalesce,
      };
    }
    if (event.type === "query") {
      return {
        type: "query",
        name: event.name,
        ...encodeHttpPayload(event.payload),
        lTime: event.lTime,
      };
    }
    return undefined;
  }

  async #sendEvent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = decodeHttpBody("EventRequest", await readJsonText(req));
    const payload = body.payload ?? "";
    try {
      await this.#backend.userEvent(
        body.name,
        payload === "" ? null : new TextEncoder().encode(payload),
        body.coalesce ?? true,
      );
    } catch (err) {
      throw new HttpApiError(
        400,
        HttpErrorCode.BAD_REQUEST,
        err instanceof Error ? err.message : String(err),
      );
    }
    sendJson(res, 200, { sent: true });
  }

  async #runQuery(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = decodeHttpBody("QueryRequest", await readJsonText(req));
    let timeoutMs = 0;
    if (body.timeout !== undefined && body.timeout !== "") {
      try {
        timeoutMs = parseGoDurationMs(body.timeout);
      } catch (err) {
        throw new HttpApiError(
          400,
          HttpErrorCode.BAD_REQUEST,
          `invalid QueryRequest: timeout: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (timeoutMs <= 0 || timeoutMs > this.#maxQueryTimeoutMs) {
        throw new HttpApiError(
          400,
          HttpErrorCode.BAD_REQUEST,
          `invalid QueryRequest: timeout must be above 0 and at most ${this.#maxQueryTimeoutMs / 1000}s`,
        );
      }
    }
    const tags = Object.entries(body.filters?.tags ?? {});
    for (const [, expr] of tags) compileFilterRegexp(expr);
    const payload = body.payload ?? "";
    const params: QueryRequest = {
      name: body.name,
      payload: payload === "" ? null : new TextEncoder().encode(payload),
      filterNodes: body.filters?.nodes ?? [],
      filterTags: new Map(tags),
      requestAck: body.requestAck ?? true,
      relayFactor: body.relayFactor ?? 0,
      timeoutMs,
    };
    let query: Awaited<ReturnType<HttpApiBackend["query"]>>;
    try {
      query = await this.#backend.query(params);
    } catch (err) {
      throw new HttpApiError(
        400,
        HttpErrorCode.BAD_REQUEST,
        err instanceof Error ? err.message : String(err),
      );
    }
    const stream = this.#openStream(res);
    let acks = 0;
    let responses = 0;
    const send = (e: HttpQueryStreamEvent): void => stream.send(e.type, e);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      send({ type: "done", acks, responses });
      stream.end();
      query.close?.();
    };
    const timer = setTimeout(finish, Math.max(0, query.deadline - Date.now()));
    stream.onClose(() => {
      finished = true;
      clearTimeout(timer);
      query.close?.();
    });
    const pumpAcks = (async () => {
      for await (const from of query.acks) {
        if (finished) break;
        acks++;
        send({ type: "ack", from });
      }
    })();
    const pumpResponses = (async () => {
      for await (const r of query.responses) {
        if (finished) break;
        responses++;
        send({ type: "response", from: r.from, ...encodeHttpPayload(r.payload) });
      }
    })();
    await Promise.allSettled([pumpAcks, pumpResponses]);
  }

  #openStream(res: ServerResponse): SseStream {
    const stream = new SseStream(res, this.#sse);
    this.#streams.add(stream);
    stream.onClose(() => this.#streams.delete(stream));
    return stream;
  }
}
