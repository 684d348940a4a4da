/**
 * Request and response plumbing of the HTTP API: JSON answers and typed errors, bounded JSON
 * bodies (`Content-Type: application/json` required), and Server-Sent Event streams that
 * drop a client that stops reading.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  HTTP_MAX_BODY_BYTES,
  type HttpError,
  HttpErrorCode,
  formatSseEvent,
  SSE_KEEPALIVE,
} from "@serf-ts/wire/http";

/** An error answer: HTTP status + stable code + message. */
export class HttpApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpApiError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Headers on every API answer: no caching, no sniffing, no framing; never CORS headers. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpApiError): void {
  const body: HttpError = { code: err.code, error: err.message };
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, body, { ...err.headers });
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type] = value.split(";");
  return type?.trim().toLowerCase() === "application/json";
}

/**
 * Reads a JSON request's body as text: 415 unless `Content-Type: application/json`, 413 over
 * `limit` bytes (announced or actual; the rest is not read), 400 for invalid UTF-8.
 */
export async function readJsonText(
  req: IncomingMessage,
  limit = HTTP_MAX_BODY_BYTES,
): Promise<string> {
  if (!isJsonContentType(req.headers["content-type"])) {
    throw new HttpApiError(
      415,
      HttpErrorCode.UNSUPPORTED_MEDIA_TYPE,
      "Content-Type must be application/json",
    );
  }
  const tooLarge = (): HttpApiError =>
    new HttpApiError(413, HttpErrorCode.BODY_TOO_LARGE, `body larger than ${limit} bytes`, {
      Connection: "close",
    });
  const announced = Number(req.headers["content-length"] ?? "0");
  if (announced > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  try {
    return strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw new HttpApiError(400, HttpErrorCode.BAD_JSON, "invalid JSON body: not valid UTF-8");
  }
}

/** Options of `SseStream`. */
export interface SseStreamOptions {
  /** Comment frame interval. @default 15000 */
  readonly keepAliveMs?: number;
  /** Bytes buffered for a client that does not read before it is dropped. @default 1 MiB */
  readonly maxBufferedBytes?: number;
}

/** One open `text/event-stream` answer. */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #maxBuffered: number;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose = new Set<() => void>();
  #closed = false;

  constructor(res: ServerResponse, options: SseStreamOptions = {}) {
    this.#res = res;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    res.writeHead(200, {
      ...COMMON_HEADERS,
      "Content-Type": "text/event-stream; charset=utf-8",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    this.#timer = setInterval(() => this.#write(SSE_KEEPALIVE), options.keepAliveMs ?? 15_000);
    this.#timer.unref();
    res.on("close", () => this.#finish());
    this.#write(": stream open\n\n");
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Calls `fn` once when the stream ends (client gone, `end()`, or dropped). */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.add(fn);
  }

  /** Sends one event (ignored once closed). */
  send(type: string, data: unknown): void {
    this.#write(formatSseEvent(type, data));
  }

  /** Ends the answer. */
  end(): void {
    if (this.#closed) return;
    this.#res.end();
    this.#finish();
  }

  #write(text: string): void {
    if (this.#closed) return;
    this.#res.write(text);
    if (this.#res.writableLength > this.#maxBuffered) {
      // A client that does not read must not make the agent buffer without bound.
      this.#res.destroy();
      this.#finish();
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const fn of this.#onClose) {
      try {
        fn();
      } catch {
        // a close hook never stops the others
      }
    }
    this.#onClose.clear();
  }
}
