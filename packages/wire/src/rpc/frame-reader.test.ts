import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../errors.ts";
import { decodeMsgpack, type MsgValue, msgpackValueEnd } from "../msgpack/reader.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import { DEFAULT_MAX_FRAME_BYTES, RpcFrameReader } from "./frame-reader.ts";

const msgValue: fc.Arbitrary<MsgValue> = fc.letrec<{ value: MsgValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -40_000, max: 70_000 }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.double(),
    fc.uint8Array({ maxLength: 40 }),
    fc.uint8Array({ minLength: 250, maxLength: 300 }),
    fc.array(tie("value"), { maxLength: 20 }),
    fc
      .uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), tie("value")), {
        selector: ([k]) => k,
        maxLength: 20,
      })
      .map((e) => new Map(e)),
  ),
})).value;

function write(w: MsgpackWriter, v: MsgValue, flip: boolean): void {
  if (v === null) w.nil();
  else if (typeof v === "boolean") w.bool(v);
  else if (typeof v === "bigint") w.int(v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) w.int(v);
    else w.float64(v);
  } else if (v instanceof Uint8Array) {
    if (flip) w.bytes(v);
    else w.str(v);
  } else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const x of v) write(w, x, !flip);
  } else {
    w.mapHeader(v.size);
    for (const [k, x] of v) {
      w.str(k);
      write(w, x, !flip);
    }
  }
}

function encode(v: MsgValue): Uint8Array {
  const w = new MsgpackWriter("rpc");
  write(w, v, false);
  return w.finish();
}

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** The frames `msgpackValueEnd` finds in `bytes`, and whether it threw. */
function oracle(bytes: Uint8Array): { frames: string[]; failed: boolean } {
  const frames: string[] = [];
  let pos = 0;
  try {
    while (pos < bytes.length) {
      const end = msgpackValueEnd(bytes, pos);
      if (end < 0) break;
      frames.push(Buffer.from(bytes.subarray(pos, end)).toString("hex"));
      pos = end;
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { frames, failed: true };
  }
  return { frames, failed: false };
}

/** Pushes the chunks, collecting frames until the reader throws. */
function run(reader: RpcFrameReader, chunks: Uint8Array[]): { frames: string[]; failed: boolean } {
  const frames: string[] = [];
  try {
    // A final empty push reports a failure held back to deliver earlier frames first.
    for (const c of [...chunks, new Uint8Array(0)]) {
      for (const f of reader.push(c)) frames.push(Buffer.from(f).toString("hex"));
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { frames, failed: true };
  }
  return { frames, failed: false };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("RpcFrameReader", () => {
  it("yields back-to-back objects however the stream is chunked", () => {
    fc.assert(
      fc.property(
        fc.array(msgValue, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (values, cuts) => {
          const frames = values.map(encode);
          const stream = Buffer.concat(frames);
          const reader = new RpcFrameReader();
          const got = run(reader, split(stream, cuts));
          expect(got).toStrictEqual({ frames: frames.map(hex), failed: false });
          expect(reader.bufferedBytes).toBe(0);
          reader.finish();
          // Every frame is exactly one msgpack object.
          for (const f of frames) expect(() => decodeMsgpack(f)).not.toThrow();
        },
      ),
    );
  });

  it("agrees with msgpackValueEnd on arbitrary bytes", () => {
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc
        .tuple(fc.array(msgValue, { maxLength: 3 }), fc.uint8Array({ maxLength: 8 }))
        .map(([vs, tail]) => Buffer.concat([...vs.map(encode), tail])),
    );
    fc.assert(
      fc.property(junk, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const expected = oracle(bytes);
        const whole = run(new RpcFrameReader({ maxFrameBytes: Number.MAX_SAFE_INTEGER }), [bytes]);
        const chunked = run(
          new RpcFrameReader({ maxFrameBytes: Number.MAX_SAFE_INTEGER }),
          split(bytes, cuts),
        );
        expect(whole).toStrictEqual(expected);
        expect(chunked).toStrictEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("delivers complete objects before bad bytes, then fails for good", () => {
    const reader = new RpcFrameReader();
    const good = encode(new Map([["Seq", 1]]));
    expect(reader.push(Buffer.concat([good, Buffer.from([0xc1])])).map(hex)).toStrictEqual([
      hex(good),
    ]);
    expect(() => reader.push(good)).toThrow(DecodeError);
    expect(() => reader.finish()).toThrow(DecodeError);
    for (const bad of [0xc1, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]) {
      expect(() => new RpcFrameReader().push(Uint8Array.of(0x91, bad))).toThrow(DecodeError);
    }
  });

  it("bounds the object size, before the bytes arrive", () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(4 * 1024 * 1024);
    // A str32 header declaring 4 GiB is rejected at once.
    expect(() => new RpcFrameReader().push(Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff))).toThrow(
      DecodeError,
    );
    // An array declaring more items than the limit allows bytes.
    expect(() =>
      new RpcFrameReader({ maxFrameBytes: 100 }).push(Uint8Array.of(0xdc, 0x00, 0x64)),
    ).toThrow(DecodeError);
    // Exactly at the limit is fine, one byte over is not.
    const frame = encode(new Uint8Array(97)); // c4 61 + 97 bytes = 99 bytes
    expect(frame.length).toBe(99);
    expect(new RpcFrameReader({ maxFrameBytes: 99 }).push(frame).map(hex)).toStrictEqual([
      hex(frame),
    ]);
    expect(() => new RpcFrameReader({ maxFrameBytes: 98 }).push(frame)).toThrow(DecodeError);
    // The default limit accepts a 4 MiB bin, split in small chunks.
    const big = new MsgpackWriter("rpc").bytes(new Uint8Array(DEFAULT_MAX_FRAME_BYTES - 5));
    const bytes = big.finish();
    const reader = new RpcFrameReader();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) {
      frames.push(...reader.push(bytes.subarray(i, i + 65_536)));
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]?.length).toBe(DEFAULT_MAX_FRAME_BYTES);
  });

  it("bounds nesting like MsgpackReader", () => {
    for (const depth of [31, 32, 33, 34]) {
      for (const inner of [[], [0x00]]) {
        const bytes = Uint8Array.from([
          ...new Array(depth).fill(0x91).slice(1),
          0x90 + inner.length,
          ...inner,
        ]);
        let decoderOk = true;
        try {
          decodeMsgpack(bytes);
        } catch {
          decoderOk = false;
        }
        const got = run(new RpcFrameReader(), [bytes]);
        expect(got.failed).toBe(!decoderOk);
      }
    }
  });

  it("is linear in the input when fed one byte at a time", () => {
    // 200k tiny items in one object, fed byte by byte: a reader that rescans from the start
    // of the object on every chunk would need ~2e10 steps.
    const w = new MsgpackWriter("rpc").arrayHeader(200_000);
    for (let i = 0; i < 200_000; i++) w.int(i % 100);
    const bytes = w.finish();
    const reader = new RpcFrameReader();
    const frames: Uint8Array[] = [];
    const started = performance.now();
    for (let i = 0; i < bytes.length; i++) frames.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(frames).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("finish() reports a cut-off object", () => {
    const reader = new RpcFrameReader();
    expect(reader.push(Uint8Array.of(0x82, 0xa3))).toStrictEqual([]);
    expect(reader.bufferedBytes).toBe(2);
    expect(() => reader.finish()).toThrow(DecodeError);
    expect(() => new RpcFrameReader({ maxFrameBytes: 0 })).toThrow(RangeError);
  });
});
