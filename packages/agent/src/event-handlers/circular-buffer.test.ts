import { describe, expect, it } from "vitest";
import { CircularBuffer } from "./circular-buffer.ts";

describe("CircularBuffer", () => {
  it("keeps the most recent bytes and counts all", () => {
    const buf = new CircularBuffer(4);
    buf.write(Uint8Array.of(1, 2));
    expect([...buf.bytes()]).toEqual([1, 2]);
    buf.write(Uint8Array.of(3, 4, 5));
    expect([...buf.bytes()]).toEqual([2, 3, 4, 5]);
    buf.write(Uint8Array.of(6, 7, 8, 9, 10, 11));
    expect([...buf.bytes()]).toEqual([8, 9, 10, 11]);
    buf.write(Uint8Array.of(12));
    expect([...buf.bytes()]).toEqual([9, 10, 11, 12]);
    expect(buf.totalWritten).toBe(12);
    expect(() => new CircularBuffer(0)).toThrow(RangeError);
  });
});
