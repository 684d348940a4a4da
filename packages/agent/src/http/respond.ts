/** Response helpers of the agent's HTTP listener. */

import type { ServerResponse } from "node:http";

/** Sends `value` as JSON (`application/json; charset=utf-8`) with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`, "utf8");
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(body.length),
  });
  res.end(body);
}

/** Sends `text` with `status` (default content type `text/plain; charset=utf-8`). */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = "text/plain; charset=utf-8",
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = Buffer.from(text, "utf8");
  res.writeHead(status, {
    ...headers,
    "content-type": contentType,
    "content-length": String(body.length),
  });
  res.end(body);
}

/** The JSON error body every error response carries: `{ "error": message, "code": code }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(res, status, { error: message, code }, headers);
}
