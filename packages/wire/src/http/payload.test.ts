import { describe, expect, it } from "vitest";
import { encodeHttpPayload } from "./payload.ts";

describe("encodeHttpPayload", () => {
  it("gives UTF-8 text as text, anything else as base64", () => {
    expect(encodeHttpPayload(null)).toEqual({ payload: "", payloadEncoding: "utf8" });
    expect(encodeHttpPayload(new TextEncoder().encode("v42 é"))).toEqual({
      payload: "v42 é",
      payloadEncoding: "utf8",
    });
    expect(encodeHttpPayload(new Uint8Array([0xff, 0x00, 0x80]))).toEqual({
      payload: "/wCA",
      payloadEncoding: "base64",
    });
  });

  it("encodes large binary payloads", () => {
    const bytes = new Uint8Array(40_000).fill(0xfe);
    const { payload } = encodeHttpPayload(bytes);
    expect(Buffer.from(payload, "base64")).toEqual(Buffer.from(bytes));
  });
});
