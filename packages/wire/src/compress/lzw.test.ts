import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, ErrorCode } from "../errors.ts";
import { lzwCompress, lzwDecompress } from "./lzw.ts";
import { vectorsDir } from "../testing/vectors.ts";

const VECTORS_DIR = vectorsDir();

const CLEAR = 256;
const EOF = 257;
const UNBOUNDED = Number.POSITIVE_INFINITY;

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Deterministic pseudo-random bytes drawn from the first `alphabet` byte values. */
function pseudoRandom(length: number, alphabet: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) % alphabet;
  }
  return out;
}

/**
 * Packs codes LSB-first with the widths a reader expects: 9 bits after a clear, one more each
 * time the count of codes since the clear makes `hi` reach `1 << width`, at most 12 bits.
 */
function packCodes(codes: readonly number[]): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = EOF;
  for (const code of codes) {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
    if (code === CLEAR) {
      width = 9;
      hi = EOF;
    } else if (code !== EOF) {
      hi++;
      if (hi === 1 << width) {
        if (width < 12) width++;
        else hi--;
      }
    }
  }
  if (nBits > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}

/**
 * A deliberately plain LZW writer (a `Map` per dictionary, codes collected in an array), to
 * check the optimised one against. `leadingClear: false` behaves like Go before 1.17.
 */
function referenceCompress(data: Uint8Array, leadingClear = true): Uint8Array {
  const codes: number[] = leadingClear ? [CLEAR] : [];
  if (data.length > 0) {
    let dict = new Map<number, number>();
    let hi = EOF;
    let w = data[0]!;
    const advance = (): void => {
      hi++;
      if (hi === 4095) {
        codes.push(CLEAR);
        dict = new Map();
        hi = EOF;
      }
    };
    for (const b of data.subarray(1)) {
      const key = w * 256 + b;
      const hit = dict.get(key);
      if (hit !== undefined) {
        w = hit;
        continue;
      }
      codes.push(w);
      w = b;
      const before = hi;
      advance();
      if (hi > before) dict.set(key, hi);
    }
    codes.push(w);
    advance();
  }
  codes.push(EOF);
  return packCodes(codes);
}

/** Runs `fn`; returns what it threw, failing the test if it threw anything but a DecodeError. */
function decodeErrorOf(fn: () => unknown): DecodeError | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe(ErrorCode.DECODE);
    return err as DecodeError;
  }
  return undefined;
}

function expectDecodeError(fn: () => unknown, message?: RegExp): void {
  const err = decodeErrorOf(fn);
  expect(err, "expected a DecodeError").toBeDefined();
  if (message !== undefined) expect(err?.message).toMatch(message);
}

interface VectorCase {
  readonly name: string;
  readonly compressed: Uint8Array;
  readonly decompressed: Uint8Array;
}

/**
 * Every LZW buffer in the captured vectors (UDP and TCP): objects carrying `<Field>_compressed_hex`
 * next to `decompressed_hex` (the compress message, type 9, names it `Buf_compressed_hex`).
 * Every compress layer must carry such a pair, so none is skipped silently.
 */
function vectorCases(): VectorCase[] {
  const cases: VectorCase[] = [];
  const files = readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
  if (files.length === 0) throw new Error(`no vectors in ${VECTORS_DIR}`);
  for (const file of files) {
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${path}[${i}]`);
        return;
      }
      if (typeof node !== "object" || node === null) return;
      const obj = node as Record<string, unknown>;
      const compressedKeys = Object.keys(obj).filter(
        (k) => k.endsWith("_compressed_hex") && typeof obj[k] === "string",
      );
      if (obj.name === "compress" || obj.type === 9 || compressedKeys.length > 0) {
        const decompressed = obj.decompressed_hex;
        if (compressedKeys.length !== 1 || typeof decompressed !== "string") {
          throw new Error(`${file}${path}: compress layer without a compressed/decompressed pair`);
        }
        cases.push({
          name: `${file}${path}`,
          compressed: fromHex(obj[compressedKeys[0]!] as string),
          decompressed: fromHex(decompressed),
        });
      }
      for (const [k, v] of Object.entries(obj)) walk(v, `${path}.${k}`);
    };
    walk(JSON.parse(readFileSync(join(VECTORS_DIR, file), "utf8")), "");
  }
  return cases;
}

describe("lzw against the captured Go buffers", () => {
  const cases = vectorCases();

  it("finds the compressed vectors (UDP and TCP)", () => {
    expect(cases.length).toBeGreaterThan(10);
    expect(cases.some((c) => c.name.startsWith("udp-"))).toBe(true);
    expect(cases.some((c) => c.name.startsWith("tcp-"))).toBe(true);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(toHex(lzwDecompress(c.compressed, UNBOUNDED))).toBe(toHex(c.decompressed));
    expect(toHex(lzwDecompress(c.compressed, c.decompressed.length))).toBe(toHex(c.decompressed));
    expect(toHex(lzwCompress(c.decompressed))).toBe(toHex(c.compressed));
    expect(toHex(referenceCompress(c.decompressed))).toBe(toHex(c.compressed));
    // Go >= 1.17 writers start with a clear code: low 9 bits of the stream are 256.
    expect(c.compressed[0]).toBe(0);
    expect((c.compressed[1] ?? 0) & 1).toBe(1);
  });
});

describe("lzwCompress", () => {
  it("writes clear + end for empty input, and a leading clear before data", () => {
    expect(toHex(lzwCompress(new Uint8Array(0)))).toBe("000302");
    expect(lzwDecompress(lzwCompress(new Uint8Array(0)), 0)).toEqual(new Uint8Array(0));
    // clear(9) 'A'(9) end(9) -> 27 bits, 4 bytes.
    expect(toHex(lzwCompress(Uint8Array.of(0x41)))).toBe(toHex(packCodes([CLEAR, 0x41, EOF])));
    expect(toHex(lzwCompress(Uint8Array.of(0x41)))).toBe("00830404"); // Go 1.19's output
  });

  it("uses the pending entry for runs (KwKwK) like Go", () => {
    // "aaaa": 'a', then 258 ("aa", defined by the code being read), then 'a'.
    const aaaa = lzwCompress(new TextEncoder().encode("aaaa"));
    expect(toHex(aaaa)).toBe(toHex(packCodes([CLEAR, 0x61, 258, 0x61, EOF])));
    expect(toHex(aaaa)).toBe("00c3080c1310"); // Go 1.19's output
  });

  it("returns a fresh buffer on every call", () => {
    const first = lzwCompress(pseudoRandom(500, 256, 1));
    const copy = first.slice();
    lzwCompress(pseudoRandom(500, 256, 2));
    lzwDecompress(lzwCompress(pseudoRandom(5000, 3, 3)), UNBOUNDED);
    expect(first).toEqual(copy);
  });

  it("matches the reference writer on random data", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc
            .tuple(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(255), { maxLength: 3000 }))
            .map(([alphabet, xs]) => Uint8Array.from(xs, (x) => x % alphabet)),
        ),
        (data) => {
          expect(toHex(lzwCompress(data))).toBe(toHex(referenceCompress(data)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("matches the reference writer across dictionary resets (> 100 KB)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100_001, max: 400_000 }),
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (length, alphabet, seed) => {
          const data = pseudoRandom(length, alphabet, seed);
          const compressed = lzwCompress(data);
          expect(Buffer.from(compressed).equals(referenceCompress(data))).toBe(true);
          expect(Buffer.from(lzwDecompress(compressed, length)).equals(data)).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe("lzwDecompress", () => {
  it("round-trips random data", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 5000 }),
          fc
            .array(fc.constantFrom(0, 1, 0x61, 0xff), { maxLength: 5000 })
            .map((xs) => Uint8Array.from(xs)),
        ),
        (data) => {
          expect(lzwDecompress(lzwCompress(data), data.length)).toEqual(data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("round-trips long inputs that overflow the 12-bit dictionary many times", () => {
    const inputs = [
      pseudoRandom(300_000, 256, 7), // incompressible: a reset every ~3838 codes
      pseudoRandom(250_000, 4, 8),
      new Uint8Array(1 << 20), // zeros: long strings, many KwKwK codes
      new TextEncoder().encode("serf memberlist gossip ".repeat(10_000)),
    ];
    for (const data of inputs) {
      const compressed = lzwCompress(data);
      expect(Buffer.from(compressed).equals(referenceCompress(data))).toBe(true);
      expect(Buffer.from(lzwDecompress(compressed, data.length)).equals(data)).toBe(true);
    }
  });

  it("accepts streams without the leading clear code (pre-1.17 Go writers)", () => {
    expect(lzwDecompress(packCodes([0x41, 0x42, 258, EOF]), 10)).toEqual(
      Uint8Array.of(0x41, 0x42, 0x41, 0x42),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.nat(3), (raw, shift) => {
        const data = raw.map((b) => b >> (shift * 2));
        const compressed = referenceCompress(data, false);
        expect(lzwDecompress(compressed, data.length)).toEqual(data);
      }),
      { numRuns: 200 },
    );
    const long = pseudoRandom(200_000, 16, 9);
    expect(Buffer.from(lzwDecompress(referenceCompress(long, false), UNBOUNDED)).equals(long)).toBe(
      true,
    );
  });

  it("ignores bytes after the end code", () => {
    const data = new TextEncoder().encode("hello hello hello");
    const compressed = lzwCompress(data);
    const padded = Uint8Array.from([...compressed, 0xff, 0x00, 0x12, 0x34]);
    expect(lzwDecompress(padded, UNBOUNDED)).toEqual(data);
  });

  it("handles clear codes mid-stream and repeated clears", () => {
    expect(lzwDecompress(packCodes([CLEAR, 0x41, 0x42, CLEAR, CLEAR, 0x43, 258, EOF]), 99)).toEqual(
      Uint8Array.of(0x41, 0x42, 0x43, 0x43, 0x43),
    );
  });

  it("stops adding entries when the 12-bit table is full, until a clear", () => {
    // 3839 literals define entries 258..4095 (entry k = literal k-258, literal k-257); after
    // that the table is full, more literals add nothing, and 4095 is still the last pair.
    const literals = Array.from({ length: 3900 }, (_, i) => (i * 7) & 0xff);
    const codes = [...literals, 4095, 300, EOF];
    const expected = [
      ...literals,
      literals[3837]!,
      literals[3838]!,
      literals[300 - 258]!,
      literals[300 - 257]!,
    ];
    expect(Array.from(lzwDecompress(packCodes(codes), UNBOUNDED))).toEqual(expected);
  });

  it("rejects an empty input and input that ends before the end code", () => {
    expectDecodeError(() => lzwDecompress(new Uint8Array(0), 100), /end/);
    expectDecodeError(() => lzwDecompress(Uint8Array.of(0x00), 100), /end/);
    expectDecodeError(() => lzwDecompress(packCodes([CLEAR, 0x41, 0x42]), 100), /end/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const compressed = lzwCompress(data);
        // The end code always reaches into the last byte.
        expectDecodeError(() => lzwDecompress(compressed.subarray(0, -1), UNBOUNDED));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects codes above the next dictionary code", () => {
    expectDecodeError(() => lzwDecompress(packCodes([CLEAR, 258, EOF]), 100), /invalid code/);
    expectDecodeError(() => lzwDecompress(packCodes([258, EOF]), 100), /invalid code/);
    expectDecodeError(() => lzwDecompress(packCodes([0x41, 259, EOF]), 100), /invalid code/);
    expectDecodeError(() => lzwDecompress(packCodes([0x41, 0x42, 260, EOF]), 100), /invalid code/);
    expectDecodeError(() => lzwDecompress(packCodes([0x41, CLEAR, 258, EOF]), 100), /invalid/);
    // ...but the code being defined (KwKwK) is fine.
    expect(lzwDecompress(packCodes([0x41, 258, EOF]), 100)).toEqual(Uint8Array.of(65, 65, 65));
  });

  it("never produces more than maxOutputBytes", () => {
    const data = new Uint8Array(2_000_000).fill(0x20);
    const bomb = lzwCompress(data);
    expect(bomb.length).toBeLessThan(10_000);
    expect(lzwDecompress(bomb, data.length).length).toBe(data.length);
    expectDecodeError(() => lzwDecompress(bomb, data.length - 1), /exceeds/);
    expectDecodeError(() => lzwDecompress(bomb, 1000), /exceeds/);
    expectDecodeError(() => lzwDecompress(lzwCompress(Uint8Array.of(1)), 0), /exceeds/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), (input, max) => {
        const compressed = lzwCompress(input);
        if (input.length <= max) {
          expect(lzwDecompress(compressed, max)).toEqual(input);
        } else {
          expectDecodeError(() => lzwDecompress(compressed, max), /exceeds/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a maxOutputBytes that is not a size", () => {
    const ok = lzwCompress(Uint8Array.of(1, 2, 3));
    for (const bad of [-1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(() => lzwDecompress(ok, bad)).toThrow(RangeError);
    }
  });

  it("only ever throws DecodeError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(5000), (bytes, max) => {
        let out: Uint8Array | undefined;
        decodeErrorOf(() => {
          out = lzwDecompress(bytes, max);
        });
        if (out !== undefined) expect(out.length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 3000 },
    );
  });

  it("only ever throws DecodeError on mutated valid streams", () => {
    const sources = [
      ...vectorCases().map((c) => c.compressed),
      lzwCompress(pseudoRandom(20_000, 5, 11)),
      lzwCompress(pseudoRandom(9_000, 256, 12)),
    ];
    fc.assert(
      fc.property(
        fc.nat(sources.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.nat(50_000),
        (which, flips, cut, max) => {
          const mutated = sources[which]!.slice();
          for (const [at, mask] of flips) mutated[at % mutated.length]! ^= mask;
          const input = cut === undefined ? mutated : mutated.subarray(0, cut % mutated.length);
          let out: Uint8Array | undefined;
          decodeErrorOf(() => {
            out = lzwDecompress(input, max);
          });
          if (out !== undefined) expect(out.length).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
