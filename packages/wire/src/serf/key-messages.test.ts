import { describe, expect, it } from "vitest";
import { DecodeError } from "../errors.ts";
import {
  decodeConflictResponsePayload,
  decodeKeyRequestPayload,
  decodeKeyResponsePayload,
  encodeConflictResponsePayload,
  encodeKeyRequestPayload,
  encodeKeyResponsePayload,
  InternalQuery,
  isInternalQueryName,
} from "./key-messages.ts";

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

describe("internal query payloads", () => {
  it("names the internal queries", () => {
    expect(Object.values(InternalQuery).every(isInternalQueryName)).toBe(true);
    expect(isInternalQueryName("deploy")).toBe(false);
  });

  it("encodes key requests as Go does (udp-encrypted-* vectors)", () => {
    expect(toHex(encodeKeyRequestPayload(new Uint8Array(0)))).toBe("0781a34b6579a0");
    const key = fromHex("26babbf28ccb0648979cfd6f8302072994dc4d183a9e714fd95d86456a3c2b2a");
    const payload = encodeKeyRequestPayload(key);
    expect(toHex(payload)).toBe(`0781a34b6579da0020${toHex(key)}`);
    expect(decodeKeyRequestPayload(payload)).toEqual(key);
  });

  it("encodes key responses with nil or listed keys", () => {
    const installed = encodeKeyResponsePayload({
      result: true,
      message: "",
      keys: null,
      primaryKey: "",
    });
    expect(toHex(installed)).toBe(
      "0884a44b657973c0a74d657373616765a0aa5072696d6172794b6579a0a6526573756c74c3",
    );
    expect(decodeKeyResponsePayload(installed)).toEqual({
      type: "key-response",
      result: true,
      message: "",
      keys: null,
      primaryKey: "",
    });
  });

  it("encodes an unknown node in a conflict response as nil", () => {
    expect(toHex(encodeConflictResponsePayload(null))).toBe("06c0");
    expect(decodeConflictResponsePayload(fromHex("06c0"))).toBeNull();
  });

  it("rejects payloads of the wrong type", () => {
    expect(() => decodeKeyRequestPayload(fromHex("06c0"))).toThrow(DecodeError);
    expect(() => decodeKeyResponsePayload(fromHex("0781a34b6579a0"))).toThrow(DecodeError);
    expect(() => decodeConflictResponsePayload(fromHex("0781a34b6579a0"))).toThrow(DecodeError);
  });
});
