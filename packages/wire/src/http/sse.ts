/**
 * Server-Sent Events framing (WHATWG `text/event-stream`) as the HTTP API uses it: every
 * event has an `event:` type and one `data:` line of JSON. `SseParser` reads such a stream
 * incrementally (the dashboard and tests read it from `fetch`, which unlike `EventSource` can
 * send an `Authorization` header).
 */

/** One event: its type and its JSON data, as one frame. */
export function formatSseEvent(type: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole value.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment frame (keeps proxies and idle timers from closing the stream). */
export const SSE_KEEPALIVE = ": keep-alive\n\n";

/** A parsed event: `type` (default `message`) and the `data` lines joined by newlines. */
export interface SseMessage {
  readonly type: string;
  readonly data: string;
}

/** Incremental parser: feed text chunks, get complete events. Lines may be split anywhere. */
export class SseParser {
  #buffer = "";
  #type = "";
  #data: string[] = [];
  /** Largest pending line (chars) before the stream is treated as broken. */
  readonly maxLine: number;

  constructor(maxLine = 1 << 20) {
    this.maxLine = maxLine;
  }

  /** Feeds a chunk; returns the events it completed. Throws on a line over `maxLine`. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const nl = this.#buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.#buffer.slice(0, nl);
      const eolLen = this.#buffer.startsWith("\r\n", nl) ? 2 : 1;
      this.#buffer = this.#buffer.slice(nl + eolLen);
      this.#line(line, out);
    }
    if (this.#buffer.length > this.maxLine) throw new Error("SSE line too long");
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        out.push({ type: this.#type === "" ? "message" : this.#type, data: this.#data.join("\n") });
      }
      this.#type = "";
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#type = value;
    else if (field === "data") this.#data.push(value);
  }
}
