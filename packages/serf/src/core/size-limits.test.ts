import { isSerfError } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import {
  checkEncodedUserEventSize,
  checkQueryResponseSize,
  checkQuerySize,
  checkRelaySize,
  checkUserEventSizeBeforeEncoding,
  SIZE_LIMIT_ERROR_CODE,
  SizeLimitError,
} from "./size-limits.ts";

describe("size limits (§6.1, §7.1, §7.4)", () => {
  it("user events: name + payload ≤ configured limit and ≤ 9 KiB", () => {
    expect(() => checkUserEventSizeBeforeEncoding(12, 500)).not.toThrow();
    expect(() => checkUserEventSizeBeforeEncoding(12, 501)).toThrow(
      "user event exceeds configured limit of 512 bytes before encoding",
    );
    expect(() => checkUserEventSizeBeforeEncoding(1, 9216, 20_000)).toThrow(
      "user event exceeds sane limit of 9216 bytes before encoding",
    );
    expect(() => checkEncodedUserEventSize(513)).toThrow(
      "encoded user event exceeds configured limit of 512 bytes after encoding",
    );
    expect(() => checkEncodedUserEventSize(9217, 20_000)).toThrow("sane limit of 9216");
  });

  it("queries, responses and relays: ≤ 1024 by default", () => {
    expect(() => checkQuerySize(1024)).not.toThrow();
    expect(() => checkQuerySize(1025)).toThrow("query exceeds limit of 1024 bytes");
    expect(() => checkQueryResponseSize(1025)).toThrow("response exceeds limit of 1024 bytes");
    expect(() => checkRelaySize(2000, 1500)).toThrow(
      "relayed response exceeds limit of 1500 bytes",
    );
  });

  it("throws a typed SerfError with size and limit", () => {
    try {
      checkQuerySize(2000, 100);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SizeLimitError);
      expect(isSerfError(err)).toBe(true);
      const e = err as SizeLimitError;
      expect([e.code, e.size, e.limit]).toEqual([SIZE_LIMIT_ERROR_CODE, 2000, 100]);
    }
  });
});
