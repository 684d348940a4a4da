import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, DecryptError } from "../errors.ts";
import { Keyring } from "../security/keyring.ts";
import { decodeMessage, decodePushPull, encodeMessage, encodePushPull } from "./messages.ts";
import { decodePacket, encodePacket } from "./packet.ts";
import { encodeStreamMessage, StreamMessageReader, tryReadStreamMessage } from "./stream.ts";
import type {
  MemberlistMessage,
  PacketMessage,
  PushNodeState,
  PushPullMessage,
  StreamMessage,
} from "./types.ts";

const RUNS = 300;

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const text = fc.string({ unit: "grapheme", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 80 });
const addr = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
/** An omitempty `[]byte`: Go leaves out empty ones, which decode as nil. */
const optionalAddr = fc.option(addr, { nil: null });
const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 });

const ping = fc.record({
  type: fc.constant("ping" as const),
  seqNo: u32,
  node: text,
  sourceAddr: optionalAddr,
  sourcePort: u16,
  sourceNode: text,
});
const indirectPing = fc.record({
  type: fc.constant("indirect-ping" as const),
  seqNo: u32,
  target: addr,
  port: u16,
  node: text,
  nack: fc.boolean(),
  sourceAddr: optionalAddr,
  sourcePort: u16,
  sourceNode: text,
});
const ack = fc.record({
  type: fc.constant("ack" as const),
  seqNo: u32,
  payload: fc.option(bytes, { nil: null }),
});
const nack = fc.record({ type: fc.constant("nack" as const), seqNo: u32 });
const accusation = (type: "suspect" | "dead") =>
  fc.record({ type: fc.constant(type), incarnation: u32, node: text, from: text });
const alive = fc.record({
  type: fc.constant("alive" as const),
  incarnation: u32,
  node: text,
  addr,
  port: u16,
  meta: fc.uint8Array({ maxLength: 512 }),
  vsn,
});
const user = fc.record({ type: fc.constant("user" as const), payload: bytes });
const error = fc.record({ type: fc.constant("error" as const), error: text });
const nodeState: fc.Arbitrary<PushNodeState> = fc.record({
  name: text,
  addr,
  port: u16,
  meta: bytes,
  incarnation: u32,
  state: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  vsn,
});
const pushPull: fc.Arbitrary<PushPullMessage> = fc.record({
  type: fc.constant("push-pull" as const),
  join: fc.boolean(),
  nodes: fc.array(nodeState, { maxLength: 8 }),
  userState: fc.uint8Array({ maxLength: 600 }),
});

const packetMessage: fc.Arbitrary<PacketMessage> = fc.oneof(
  ping,
  indirectPing,
  ack,
  nack,
  accusation("suspect"),
  alive,
  accusation("dead"),
  user,
);
const streamMessage: fc.Arbitrary<StreamMessage> = fc.oneof(ping, ack, pushPull, user, error);
const anyMessage: fc.Arbitrary<MemberlistMessage> = fc.oneof(packetMessage, streamMessage);

const keyring = Keyring.create([new Uint8Array(16).fill(3), new Uint8Array(32).fill(4)]);
const label = fc.option(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }), {
  nil: undefined,
});

/** Byte-level damage to a valid encoding: flips, cuts, insertions, overwrites. */
function mutated(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      base,
      fc.array(
        fc.tuple(
          fc.constantFrom("flip", "cut", "insert", "set"),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([b, edits]) => {
      let out = Array.from(b);
      for (const [op, at, v] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (op === "flip" && out.length > 0) out[i] = out[i]! ^ (1 << (v % 8));
        else if (op === "cut") out = out.slice(0, i);
        else if (op === "insert") out.splice(i, 0, v);
        else if (out.length > 0) out[i] = v;
      }
      return Uint8Array.from(out);
    });
}

function onlyDecodeErrors(f: () => unknown, allowDecrypt = false): void {
  try {
    f();
  } catch (err) {
    if (allowDecrypt && err instanceof DecryptError) return;
    if (!(err instanceof DecodeError)) throw err;
  }
}

describe("round trips (property)", () => {
  it("decodeMessage(encodeMessage(m)) = m for every message type", () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("decodePushPull(encodePushPull(m)) = m", () => {
    fc.assert(
      fc.property(pushPull, (m) => {
        expect(decodePushPull(encodePushPull(m))).toEqual(m);
      }),
      { numRuns: RUNS },
    );
  });

  it("decodePacket(encodePacket(ms)) = ms, with any framing", () => {
    fc.assert(
      fc.property(
        fc.array(packetMessage, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        label,
        (ms, compress, crc, lab) => {
          const packet = encodePacket(ms.map(encodeMessage), {
            compress,
            crc,
            ...(lab === undefined ? {} : { label: lab }),
          });
          const d = decodePacket(packet);
          expect(d.errors).toEqual([]);
          expect(d.truncated).toBe(0);
          expect(d.hadCrc).toBe(crc);
          expect(d.label).toBe(lab ?? null);
          expect(d.messages).toEqual(ms);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("tryReadStreamMessage(encodeStreamMessage(m)) = m, with any framing", () => {
    fc.assert(
      fc.property(
        streamMessage,
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0 as const, 1 as const),
        label,
        fc.integer({ min: 1, max: 64 }),
        (m, compress, encrypt, version, lab, chunk) => {
          const wire = encodeStreamMessage(m, {
            compress,
            keyring: encrypt ? keyring : undefined,
            encryptionVersion: version,
            label: lab,
          });
          const opts = { keyring: encrypt ? keyring : undefined };
          const r = tryReadStreamMessage(wire, opts);
          expect(r?.message).toEqual(m);
          expect(r?.consumed).toBe(wire.length);
          expect(r?.label).toBe(lab ?? null);
          expect(tryReadStreamMessage(wire.subarray(0, wire.length - 1), opts)).toBeUndefined();
          const reader = new StreamMessageReader(opts);
          let got: StreamMessage | undefined;
          for (let i = 0; i < wire.length && got === undefined; i += chunk) {
            reader.push(wire.subarray(i, i + chunk));
            got = reader.read()?.message;
          }
          expect(got).toEqual(m);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("hostile input (property)", () => {
  const validMessage = anyMessage.map(encodeMessage);
  const validPacket = fc
    .tuple(fc.array(packetMessage, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean())
    .map(([ms, compress, crc]) => encodePacket(ms.map(encodeMessage), { compress, crc }));
  const validStream = fc
    .tuple(streamMessage, fc.boolean())
    .map(([m, compress]) => encodeStreamMessage(m, { compress }));
  const validEncryptedStream = fc
    .tuple(streamMessage, fc.boolean())
    .map(([m, compress]) => encodeStreamMessage(m, { compress, keyring }));
  const input = (valid: fc.Arbitrary<Uint8Array>) =>
    fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(valid));

  it("decodeMessage throws only DecodeError", () => {
    fc.assert(
      fc.property(input(validMessage), (b) => onlyDecodeErrors(() => decodeMessage(b))),
      { numRuns: RUNS * 5 },
    );
  });

  it("decodePacket never throws and reports only DecodeErrors", () => {
    fc.assert(
      fc.property(input(validPacket), (b) => {
        const d = decodePacket(b);
        for (const e of d.errors) expect(e).toBeInstanceOf(DecodeError);
        expect(d.truncated).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it("tryReadStreamMessage throws only DecodeError (including the mismatch errors)", () => {
    fc.assert(
      fc.property(input(validStream), (b) => {
        onlyDecodeErrors(() => tryReadStreamMessage(b));
        const reader = new StreamMessageReader();
        reader.push(b);
        onlyDecodeErrors(() => reader.read());
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it("with a keyring, it throws only DecodeError or DecryptError", () => {
    fc.assert(
      fc.property(input(validEncryptedStream), (b) => {
        onlyDecodeErrors(() => tryReadStreamMessage(b, { keyring }), true);
        onlyDecodeErrors(() => tryReadStreamMessage(b, { keyring, verifyIncoming: false }), true);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
