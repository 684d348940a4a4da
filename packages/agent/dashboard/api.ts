/**
 * The dashboard's client of the agent's HTTP API: JSON calls and Server-Sent Event streams
 * over `fetch` (unlike `EventSource`, it can send `Authorization: Bearer <key>`). The key
 * (`rpc_auth`) is asked once and kept in `sessionStorage`.
 */

import { type HttpError, SseParser } from "@serf-ts/wire/http";

const KEY_STORAGE = "serf-ts.rpc-auth";

/** An answer other than 2xx. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function storedKey(): string {
  return sessionStorage.getItem(KEY_STORAGE) ?? "";
}

export function storeKey(key: string): void {
  if (key === "") sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  const key = storedKey();
  if (key !== "") h.Authorization = `Bearer ${key}`;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  let body: Partial<HttpError> = {};
  try {
    body = (await res.json()) as HttpError;
  } catch {
    // not JSON
  }
  return new ApiError(res.status, body.code ?? "http_error", body.error ?? `HTTP ${res.status}`);
}

/** GET a JSON endpoint. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(false), ...(signal ? { signal } : {}) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** POST JSON, get JSON. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: headers(true),
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Whether the agent wants a key (`/ui/config.json`, public). */
export async function authRequired(): Promise<boolean> {
  const res = await fetch("config.json");
  if (!res.ok) return false;
  return ((await res.json()) as { authRequired?: boolean }).authRequired === true;
}

/**
 * Reads an SSE answer (GET, or POST with a JSON body), calling `onEvent` per event, until it
 * ends or `signal` aborts. Rejects with `ApiError` for a non-2xx answer.
 */
export async function readEvents(
  path: string,
  onEvent: (type: string, data: unknown) => void,
  options: { body?: unknown; signal?: AbortSignal } = {},
): Promise<void> {
  const init: RequestInit = {
    headers: headers(options.body !== undefined),
    ...(options.body !== undefined ? { method: "POST", body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const res = await fetch(path, init);
  if (!res.ok || res.body === null) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    for (const m of parser.push(value)) onEvent(m.type, JSON.parse(m.data));
  }
}
