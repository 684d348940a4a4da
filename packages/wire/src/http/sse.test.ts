import { describe, expect, it } from "vitest";
import { formatSseEvent, SSE_KEEPALIVE, SseParser } from "./sse.ts";

describe("SSE", () => {
  it("round-trips events split at every position", () => {
    const text =
      formatSseEvent("user", { name: "a\nb", payload: "é" }) +
      SSE_KEEPALIVE +
      formatSseEvent("done", {});
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(got).toEqual([
        { type: "user", data: JSON.stringify({ name: "a\nb", payload: "é" }) },
        { type: "done", data: "{}" },
      ]);
    }
  });

  it("accepts CRLF, multi-line data and defaults the type", () => {
    expect(new SseParser().push("data: a\r\ndata:b\r\n\r\n")).toEqual([
      { type: "message", data: "a\nb" },
    ]);
  });

  it("bounds an unterminated line", () => {
    const p = new SseParser(10);
    expect(() => p.push("data: 0123456789")).toThrow("SSE line too long");
  });
});
