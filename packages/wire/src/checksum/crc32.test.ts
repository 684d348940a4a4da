import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32.ts";
import { vectorsDir } from "../testing/vectors.ts";

const VECTORS_DIR = vectorsDir();

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Bit-at-a-time CRC-32, straight from the definition, to check the table-driven one against. */
function referenceCrc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32", () => {
  it("matches known IEEE CRC-32 values", () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
    expect(crc32(ascii("abc"))).toBe(0x352441c2);
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it("returns an unsigned 32-bit integer", () => {
    // 0xcbf43926 has the top bit set: a signed result would be negative.
    const c = crc32(ascii("123456789"));
    expect(c).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(c)).toBe(true);
  });

  it("agrees with the bitwise definition for every length and alignment", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(crc32(view)).toBe(referenceCrc32(view));
      }),
      { numRuns: 500 },
    );
    for (let n = 0; n <= 40; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      expect(crc32(data)).toBe(referenceCrc32(data));
    }
  });

  it("works on Node Buffers", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
});

interface CrcCase {
  readonly name: string;
  readonly packet: Uint8Array;
  readonly layer: Record<string, unknown>;
}

/** Every hasCrc layer in the vectors, with the (decrypted) packet bytes it wraps. */
function crcCases(): CrcCase[] {
  const cases: CrcCase[] = [];
  for (const file of readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const top = JSON.parse(readFileSync(join(VECTORS_DIR, file), "utf8")) as Record<
      string,
      unknown
    >;
    const encryption = top.encryption as Record<string, unknown> | undefined;
    const packetHex = (encryption?.plaintext_hex ?? top.wire_hex) as string | undefined;
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${path}[${i}]`);
      } else if (typeof node === "object" && node !== null) {
        const obj = node as Record<string, unknown>;
        if (typeof obj.crc32_field_hex === "string") {
          if (packetHex === undefined) throw new Error(`${file}${path}: no packet bytes`);
          cases.push({ name: `${file}${path}`, packet: fromHex(packetHex), layer: obj });
        }
        for (const [k, v] of Object.entries(obj)) walk(v, `${path}.${k}`);
      }
    };
    walk(top, "");
  }
  return cases;
}

describe("crc32 over the captured hasCrc packets", () => {
  const cases = crcCases();

  it("finds the vectors", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const field = c.layer.crc32_field_hex as string;
    expect(c.packet[0]).toBe(12); // hasCrc type byte
    expect(Buffer.from(c.packet.subarray(1, 5)).toString("hex")).toBe(field);
    const expected = Number.parseInt(field, 16);
    expect(crc32(c.packet.subarray(5))).toBe(expected);
    if (typeof c.layer.crc32_computed_over_rest === "string") {
      expect(c.layer.crc32_computed_over_rest).toBe(field);
    }
    if (typeof c.layer.total_len === "number") expect(c.packet.length).toBe(c.layer.total_len);
    // A single flipped bit is caught.
    const damaged = c.packet.slice(5);
    damaged[damaged.length >> 1]! ^= 0x10;
    expect(crc32(damaged)).not.toBe(expected);
  });
});
