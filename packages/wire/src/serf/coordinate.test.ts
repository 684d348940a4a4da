import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../errors.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import {
  type Coordinate,
  decodeAckPayload,
  decodeCoordinate,
  encodeAckPayload,
  encodeCoordinate,
  newCoordinate,
} from "./coordinate.ts";

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

const ZERO = "cb0000000000000000";

describe("coordinate ack payload", () => {
  it("encodes a fresh coordinate as Go does (udp-ack-compressed)", () => {
    expect(toHex(encodeAckPayload(newCoordinate()))).toBe(
      `0184aa41646a7573746d656e74${ZERO}a54572726f72cb3ff8000000000000` +
        `a6486569676874cb3ee4f8b588e368f1a356656398${ZERO.repeat(8)}`,
    );
  });

  it("returns null for an empty payload and rejects unknown versions", () => {
    expect(decodeAckPayload(null)).toBeNull();
    expect(decodeAckPayload(new Uint8Array(0))).toBeNull();
    const payload = encodeAckPayload(newCoordinate());
    payload[0] = 2;
    expect(() => decodeAckPayload(payload)).toThrow(/version 2/);
  });

  it("accepts integers in place of doubles, like Go", () => {
    const w = new MsgpackWriter();
    w.byte(1).mapHeader(4);
    w.str("Adjustment").int(0);
    w.str("Error").int(1);
    w.str("Height").int(0);
    w.str("Vec").arrayHeader(8);
    for (let i = 0; i < 8; i++) w.int(i - 4);
    expect(decodeAckPayload(w.finish())).toEqual({
      vec: [-4, -3, -2, -1, 0, 1, 2, 3],
      error: 1,
      adjustment: 0,
      height: 0,
    });
  });

  it("round-trips any doubles bit for bit", () => {
    const coord: fc.Arbitrary<Coordinate> = fc.record({
      vec: fc.array(fc.double(), { minLength: 8, maxLength: 8 }),
      error: fc.double(),
      adjustment: fc.double(),
      height: fc.double(),
    });
    fc.assert(
      fc.property(coord, (c) => {
        const payload = encodeAckPayload(c);
        const decoded = decodeAckPayload(payload);
        expect(decoded).toEqual(c);
        expect(toHex(encodeAckPayload(decoded ?? newCoordinate()))).toBe(toHex(payload));
        expect(toHex(encodeCoordinate(c))).toBe(toHex(payload.subarray(1)));
        expect(decodeCoordinate(encodeCoordinate(c))).toEqual(c);
      }),
    );
  });

  it("throws only DecodeError on random payloads", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), (rest) => {
        try {
          decodeAckPayload(Uint8Array.from([1, ...rest]));
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
