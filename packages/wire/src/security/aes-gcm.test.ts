import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, DecryptError, EncodeError, KeyError } from "../errors.ts";
import {
  type EncryptionVersion,
  encryptedLength,
  encryptedOverhead,
  MAX_STREAM_FRAME_PAYLOAD,
  openPacket,
  openPayload,
  openStreamFrame,
  readStreamFrameHeader,
  sealPacket,
  sealPayload,
  sealStreamFrame,
} from "./aes-gcm.ts";
import { decodeKeyBase64, Keyring } from "./keyring.ts";
import { vectorsDir } from "../testing/vectors.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

// ---------------------------------------------------------------------------------------------
// Captured vectors: every object in every vector file that carries an `encryption` record next
// to its `wire_hex` is a case (UDP datagrams at top level, TCP directions per stream side).

interface EncryptionRecord {
  keyring_base64: string[];
  decrypted_with_key_index: number;
  version_byte: number;
  nonce_hex: string;
  plaintext_hex: string;
  tag_hex?: string;
  frame_type_byte?: number;
  length_field?: number;
  additional_data_hex?: string;
  additional_data?: string;
}

interface VectorCase {
  name: string;
  stream: boolean;
  wireHex: string;
  enc: EncryptionRecord;
}

function collectCases(): { cases: VectorCase[]; files: string[] } {
  const dir = vectorsDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
  const cases: VectorCase[] = [];
  const walk = (node: unknown, name: string): void => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, `${name}[${i}]`);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const obj = node as Record<string, unknown>;
    const enc = obj.encryption;
    if (typeof enc === "object" && enc !== null && typeof obj.wire_hex === "string") {
      const record = enc as EncryptionRecord;
      cases.push({
        name,
        stream: record.frame_type_byte !== undefined,
        wireHex: obj.wire_hex,
        enc: record,
      });
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k !== "encryption") walk(v, `${name}.${k}`);
    }
  };
  for (const file of files) {
    walk(JSON.parse(readFileSync(join(dir, file), "utf8")), file.replace(/\.json$/, ""));
  }
  return { cases, files };
}

const { cases: vectorCases, files: vectorFiles } = collectCases();

describe("captured encrypted vectors", () => {
  it("finds the encrypted vectors", () => {
    expect(vectorCases.length).toBeGreaterThan(3);
    // Every udp-/tcp-encrypted-* file contributes at least one case.
    const encryptedFiles = vectorFiles.filter((f) => /^(udp|tcp)-encrypted-/.test(f));
    expect(encryptedFiles.length).toBeGreaterThan(3);
    for (const f of encryptedFiles) {
      const id = f.replace(/\.json$/, "");
      expect(vectorCases.some((c) => c.name.startsWith(`${id}.`) || c.name === id)).toBe(true);
    }
    expect(vectorCases.some((c) => c.stream)).toBe(true);
    expect(vectorCases.some((c) => !c.stream)).toBe(true);
  });

  it.each(vectorCases)("$name opens and re-seals byte for byte", ({ stream, wireHex, enc }) => {
    const keys = enc.keyring_base64.map(decodeKeyBase64);
    const keyring = Keyring.create(keys);
    const wire = unhex(wireHex);
    const version = enc.version_byte as EncryptionVersion;
    const nonce = unhex(enc.nonce_hex);
    const key = keys[enc.decrypted_with_key_index]!;
    expect(wire[0] === 0x0a ? wire[5] : wire[0]).toBe(version);

    if (stream) {
      expect(enc.frame_type_byte).toBe(0x0a);
      const { length } = readStreamFrameHeader(wire);
      expect(length).toBe(enc.length_field);
      expect(length).toBe(wire.length - 5);
      expect(hex(wire.subarray(0, 5))).toBe(enc.additional_data_hex);

      const opened = openStreamFrame(keyring.keys(), wire);
      expect(hex(opened.plaintext)).toBe(enc.plaintext_hex);
      expect(opened.keyIndex).toBe(enc.decrypted_with_key_index);

      expect(hex(sealStreamFrame(key, opened.plaintext, version, nonce))).toBe(wireHex);
      // Without the header as additional data the tag does not verify.
      expect(() => openPayload(keyring.keys(), wire.subarray(5), undefined)).toThrow(DecryptError);
    } else {
      expect(enc.additional_data).toBe("none");
      const opened = openPacket(keyring, wire);
      expect(hex(opened.plaintext)).toBe(enc.plaintext_hex);
      expect(opened.keyIndex).toBe(enc.decrypted_with_key_index);
      if (enc.tag_hex !== undefined) expect(hex(wire.subarray(wire.length - 16))).toBe(enc.tag_hex);

      expect(hex(sealPayload(key, opened.plaintext, undefined, version, nonce))).toBe(wireHex);
      if (enc.decrypted_with_key_index === 0) {
        expect(hex(sealPacket(keyring, opened.plaintext, version, nonce))).toBe(wireHex);
      }
      // A label (memberlist >= 0.3) would be additional data: the 0.2.2 packet fails then.
      expect(() => openPacket(keyring, wire, new TextEncoder().encode("lbl"))).toThrow(
        DecryptError,
      );
    }
    expect(wire.length).toBe(
      encryptedLength(version, unhex(enc.plaintext_hex).length) + (stream ? 5 : 0),
    );

    // Key order does not matter for opening; the index follows the order given.
    const reversed = [...keyring.keys()].reverse();
    const again = stream ? openStreamFrame(reversed, wire) : openPayload(reversed, wire, undefined);
    expect(hex(again.plaintext)).toBe(enc.plaintext_hex);
    expect(again.keyIndex).toBe(keys.length - 1 - enc.decrypted_with_key_index);

    // Only the other key installed: nothing opens it.
    const others = keys.filter((_, i) => i !== enc.decrypted_with_key_index);
    const wrong = others.length > 0 ? others : [new Uint8Array(32).fill(0x42)];
    const fail = () =>
      stream ? openStreamFrame(wrong, wire) : openPayload(wrong, wire, undefined);
    expect(fail).toThrow(DecryptError);
    expect(fail).toThrow("No installed keys could decrypt the message");
  });
});

// ---------------------------------------------------------------------------------------------

const KEY16 = new Uint8Array(16).fill(0x11);
const KEY24 = new Uint8Array(24).fill(0x22);
const KEY32 = new Uint8Array(32).fill(0x33);
const NONCE = unhex("000102030405060708090a0b");

function expectOnlyWireErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecryptError || err instanceof DecodeError) return;
    throw err;
  }
}

describe("sealPayload / openPayload", () => {
  it("reports the overhead", () => {
    expect(encryptedOverhead(1)).toBe(29);
    expect(encryptedOverhead(0)).toBe(45);
    expect(encryptedLength(1, 100)).toBe(129);
    expect(encryptedLength(0, 0)).toBe(45);
    expect(encryptedLength(0, 15)).toBe(45);
    expect(encryptedLength(0, 16)).toBe(61);
  });

  it("round-trips with 16, 24 and 32 byte keys in both versions", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(KEY16, KEY24, KEY32),
        fc.constantFrom<EncryptionVersion>(0, 1),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        (key, version, plain, aad) => {
          const sealed = sealPayload(key, plain, aad, version);
          expect(sealed[0]).toBe(version);
          expect(sealed.length).toBe(encryptedLength(version, plain.length));
          expect(sealed.length - plain.length).toBeLessThanOrEqual(encryptedOverhead(version));
          const opened = openPayload([KEY16, KEY24, KEY32], sealed, aad);
          expect(opened.plaintext).toEqual(plain);
          expect(opened.keyIndex).toBe([KEY16, KEY24, KEY32].indexOf(key));
        },
      ),
    );
  });

  it("uses the AES variant that matches the key size", () => {
    const a = sealPayload(KEY16, new Uint8Array(5), undefined, 1, NONCE);
    const b = sealPayload(new Uint8Array(32).fill(0x11), new Uint8Array(5), undefined, 1, NONCE);
    expect(hex(a)).not.toBe(hex(b));
    expect(() => openPayload([KEY32, KEY24], a, undefined)).toThrow(DecryptError);
  });

  it("version 1 has no padding and an exact 29-byte overhead", () => {
    for (const n of [0, 1, 15, 16, 17, 32]) {
      const sealed = sealPayload(KEY32, new Uint8Array(n), undefined, 1, NONCE);
      expect(sealed.length).toBe(n + 29);
      expect(hex(sealed.subarray(1, 13))).toBe(hex(NONCE));
    }
  });

  it("version 0 PKCS#7-pads, a full block when aligned", () => {
    for (const n of [0, 1, 5, 15, 16, 17, 31, 32, 33]) {
      const plain = new Uint8Array(n).map((_, i) => i);
      const sealed = sealPayload(KEY32, plain, undefined, 0, NONCE);
      const padLen = 16 - (n % 16);
      expect(sealed.length).toBe(1 + 12 + n + padLen + 16);
      // The version byte is not authenticated: as version 1 the padding stays visible.
      const asV1 = sealed.slice();
      asV1[0] = 1;
      const raw = openPayload([KEY32], asV1, undefined).plaintext;
      expect(raw.length).toBe(n + padLen);
      expect(hex(raw)).toBe(hex(plain) + hex(new Uint8Array(padLen).fill(padLen)));
      expect(openPayload([KEY32], sealed, undefined).plaintext).toEqual(plain);
      // Version 0 output equals version 1 of the manually padded plaintext.
      expect(hex(sealPayload(KEY32, raw, undefined, 1, NONCE).subarray(1))).toBe(
        hex(sealed.subarray(1)),
      );
    }
  });

  it("rejects bad version-0 padding after a successful open", () => {
    const bad = [
      new Uint8Array(16), // pad byte 0
      new Uint8Array(16).fill(17), // pad byte > 16
      new Uint8Array([...new Uint8Array(13), 1, 3, 3]), // inconsistent pad bytes
      new Uint8Array(20).fill(1), // not block aligned
    ];
    for (const raw of bad) {
      const sealed = sealPayload(KEY16, raw, undefined, 1, NONCE);
      sealed[0] = 0;
      expect(() => openPayload([KEY16], sealed, undefined)).toThrow("Invalid PKCS#7 padding");
      expect(() => openPayload([KEY16], sealed, undefined)).toThrow(DecryptError);
    }
  });

  it("fails with a wrong key, wrong AAD or no keys", () => {
    const sealed = sealPayload(KEY32, new Uint8Array([1, 2, 3]), undefined, 1);
    const other = new Uint8Array(32).fill(0x34);
    expect(() => openPayload([other], sealed, undefined)).toThrow(DecryptError);
    expect(() => openPayload([other], sealed, undefined)).toThrow(
      "No installed keys could decrypt the message",
    );
    expect(() => openPayload([], sealed, undefined)).toThrow(DecryptError);
    expect(() => openPayload([KEY32], sealed, new Uint8Array([1]))).toThrow(DecryptError);
    const withAad = sealPayload(KEY32, new Uint8Array([1, 2, 3]), new Uint8Array([9]), 1);
    expect(() => openPayload([KEY32], withAad, undefined)).toThrow(DecryptError);
    expect(openPayload([other, KEY32], withAad, new Uint8Array([9])).keyIndex).toBe(1);
  });

  it("reports malformed payloads with Go's texts", () => {
    expect(() => openPayload([KEY16], new Uint8Array(0), undefined)).toThrow(
      "Cannot decrypt empty payload",
    );
    expect(() => openPayload([KEY16], new Uint8Array(40).fill(2), undefined)).toThrow(
      "Unsupported encryption version 2",
    );
    expect(() => openPayload([KEY16], new Uint8Array(28).fill(1), undefined)).toThrow(
      "Payload is too small to decrypt: 28",
    );
    expect(() => openPayload([KEY16], new Uint8Array(44), undefined)).toThrow(
      "Payload is too small to decrypt: 44",
    );
    for (const len of [0, 1, 28, 44]) {
      expect(() => openPayload([KEY16], new Uint8Array(len), undefined)).toThrow(DecryptError);
    }
  });

  it("validates keys, nonce and version when sealing", () => {
    expect(() => sealPayload(new Uint8Array(8), new Uint8Array(1), undefined, 1)).toThrow(KeyError);
    expect(() => openPayload([new Uint8Array(8)], new Uint8Array(40), undefined)).toThrow(KeyError);
    expect(() => sealPayload(KEY16, new Uint8Array(1), undefined, 1, new Uint8Array(8))).toThrow(
      EncodeError,
    );
    expect(() =>
      sealPayload(KEY16, new Uint8Array(1), undefined, 2 as EncryptionVersion, NONCE),
    ).toThrow(EncodeError);
  });

  it("uses a fresh random nonce per message", () => {
    const a = sealPayload(KEY16, new Uint8Array(4), undefined, 1);
    const b = sealPayload(KEY16, new Uint8Array(4), undefined, 1);
    expect(hex(a.subarray(1, 13))).not.toBe(hex(b.subarray(1, 13)));
  });

  it("truncated or mutated payloads only throw DecryptError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EncryptionVersion>(0, 1),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(),
        (version, plain, pos, xor, cut) => {
          const sealed = sealPayload(KEY24, plain, undefined, version);
          const mutated = sealed.slice();
          const i = pos % mutated.length;
          mutated[i] = mutated[i]! ^ xor;
          let opened: { plaintext: Uint8Array } | undefined;
          try {
            opened = openPayload([KEY16, KEY24], mutated, undefined);
          } catch (err) {
            expect(err).toBeInstanceOf(DecryptError);
          }
          // Only the (unauthenticated) version byte may change without failing the tag.
          if (opened !== undefined) expect(i).toBe(0);
          const truncated = sealed.subarray(0, cut % sealed.length);
          expect(() => openPayload([KEY24], truncated, undefined)).toThrow(DecryptError);
        },
      ),
    );
  });

  it("arbitrary bytes only throw DecryptError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expectOnlyWireErrors(() => openPayload([KEY16, KEY32], bytes, undefined));
        expectOnlyWireErrors(() => openPacket(Keyring.create([KEY32]), bytes));
      }),
    );
  });
});

describe("stream frames", () => {
  it("frames as 0a | length | payload with the header as AAD", () => {
    const msg = new Uint8Array([0x0d, 0x81, 0xa1, 0x45]);
    const frame = sealStreamFrame(KEY32, msg, 1, NONCE);
    expect(frame.length).toBe(5 + 29 + msg.length);
    expect(hex(frame.subarray(0, 5))).toBe("0a00000021");
    expect(readStreamFrameHeader(frame)).toEqual({ length: 33 });
    expect(hex(frame.subarray(5))).toBe(
      hex(sealPayload(KEY32, msg, frame.subarray(0, 5), 1, NONCE)),
    );
    const opened = openStreamFrame([KEY16, KEY32], frame);
    expect(opened.plaintext).toEqual(msg);
    expect(opened.keyIndex).toBe(1);
  });

  it("round-trips version 0 frames", () => {
    const msg = new Uint8Array(32).fill(7);
    const frame = sealStreamFrame(KEY16, msg, 0);
    expect(readStreamFrameHeader(frame).length).toBe(1 + 12 + 48 + 16);
    expect(openStreamFrame([KEY16], frame).plaintext).toEqual(msg);
  });

  it("validates the header", () => {
    expect(() => readStreamFrameHeader(new Uint8Array([0x0a, 0, 0]))).toThrow(DecodeError);
    expect(() => readStreamFrameHeader(new Uint8Array([0x09, 0, 0, 0, 1]))).toThrow(DecodeError);
    const limit = MAX_STREAM_FRAME_PAYLOAD;
    const at = new Uint8Array([0x0a, 0, 0, 0, 0]);
    new DataView(at.buffer).setUint32(1, limit);
    expect(readStreamFrameHeader(at)).toEqual({ length: limit });
    new DataView(at.buffer).setUint32(1, limit + 1);
    expect(() => readStreamFrameHeader(at)).toThrow(DecodeError);
    expect(() => readStreamFrameHeader(at)).toThrow(
      `Remote node state is larger than limit (${limit + 1})`,
    );
    new DataView(at.buffer).setUint32(1, 0xffffffff);
    expect(() => readStreamFrameHeader(at)).toThrow("(4294967295)");
    expect(() => openStreamFrame([KEY16], at)).toThrow(DecodeError);
    const small = new Uint8Array([0x0a, 0, 0, 0, 100]);
    expect(() => readStreamFrameHeader(small, 99)).toThrow(DecodeError);
    expect(readStreamFrameHeader(small, 100)).toEqual({ length: 100 });
  });

  it("rejects frames whose size disagrees with the header", () => {
    const frame = sealStreamFrame(KEY16, new Uint8Array(10), 1, NONCE);
    expect(() => openStreamFrame([KEY16], frame.subarray(0, frame.length - 1))).toThrow(
      DecodeError,
    );
    const longer = new Uint8Array(frame.length + 1);
    longer.set(frame);
    expect(() => openStreamFrame([KEY16], longer)).toThrow(DecodeError);
  });

  it("authenticates the length field", () => {
    const frame = sealStreamFrame(KEY16, new Uint8Array(10), 1, NONCE);
    expect(openStreamFrame([KEY16], frame).plaintext).toEqual(new Uint8Array(10));
    // Re-frame the payload under another (consistent) header: the AAD no longer matches.
    const payload = frame.subarray(5);
    const longer = new Uint8Array(5 + payload.length + 1);
    longer.set([0x0a, 0, 0, 0, payload.length + 1]);
    longer.set(payload, 5);
    expect(() => openStreamFrame([KEY16], longer)).toThrow(DecryptError);
  });

  it("refuses to seal a payload no receiver accepts", () => {
    expect(() => sealStreamFrame(KEY16, new Uint8Array(MAX_STREAM_FRAME_PAYLOAD), 1)).toThrow(
      EncodeError,
    );
  });

  it("truncated or mutated frames only throw DecodeError or DecryptError", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(),
        (msg, pos, xor, cut) => {
          const frame = sealStreamFrame(KEY32, msg, 1);
          const mutated = frame.slice();
          const i = pos % mutated.length;
          mutated[i] = mutated[i]! ^ xor;
          let ok = false;
          try {
            openStreamFrame([KEY32], mutated);
            ok = true;
          } catch (err) {
            expect(err instanceof DecodeError || err instanceof DecryptError).toBe(true);
          }
          // Every byte is authenticated or checked except the version byte.
          if (ok) expect(i).toBe(5);
          const truncated = frame.subarray(0, cut % frame.length);
          let thrown: unknown;
          try {
            openStreamFrame([KEY32], truncated);
          } catch (err) {
            thrown = err;
          }
          expect(thrown instanceof DecodeError || thrown instanceof DecryptError).toBe(true);
        },
      ),
    );
  });

  it("arbitrary bytes only throw DecodeError or DecryptError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc
            .tuple(fc.nat({ max: 80 }), fc.uint8Array({ maxLength: 80 }))
            .map(([len, body]) => new Uint8Array([0x0a, 0, 0, 0, len, ...body])),
        ),
        (bytes) => {
          expectOnlyWireErrors(() => openStreamFrame([KEY16, KEY24], bytes));
          expectOnlyWireErrors(() => readStreamFrameHeader(bytes));
        },
      ),
    );
  });
});

describe("packets", () => {
  it("seal with the primary key, open with any key", () => {
    const ring = Keyring.create([KEY16, KEY24]);
    const plain = new Uint8Array([0, 1, 2]);
    const sealed = sealPacket(ring, plain);
    expect(sealed[0]).toBe(1);
    expect(openPayload([KEY16], sealed, undefined).plaintext).toEqual(plain);
    ring.use(KEY24);
    const rotated = sealPacket(ring, plain);
    expect(openPayload([KEY24], rotated, undefined).plaintext).toEqual(plain);
    expect(openPacket(ring, sealed)).toEqual({ plaintext: plain, keyIndex: 1 });
    expect(openPacket(ring, rotated)).toEqual({ plaintext: plain, keyIndex: 0 });
    ring.remove(KEY16);
    expect(() => openPacket(ring, sealed)).toThrow(DecryptError);
  });

  it("supports version 0 and a fixed nonce", () => {
    const ring = Keyring.create([KEY32]);
    const plain = new Uint8Array(16).fill(3);
    const sealed = sealPacket(ring, plain, 0, NONCE);
    expect(hex(sealed)).toBe(hex(sealPayload(KEY32, plain, undefined, 0, NONCE)));
    expect(sealed.length).toBe(1 + 12 + 32 + 16);
    expect(openPacket(ring, sealed).plaintext).toEqual(plain);
  });

  it("uses a label as additional data", () => {
    const ring = Keyring.create([KEY32]);
    const label = new TextEncoder().encode("cluster-a");
    const plain = new Uint8Array([8, 9]);
    const sealed = sealPacket(ring, plain, 1, NONCE, label);
    expect(hex(sealed)).toBe(hex(sealPayload(KEY32, plain, label, 1, NONCE)));
    expect(openPacket(ring, sealed, label).plaintext).toEqual(plain);
    expect(() => openPacket(ring, sealed)).toThrow(DecryptError);
    expect(() => openPacket(ring, sealed, new TextEncoder().encode("cluster-b"))).toThrow(
      DecryptError,
    );
    // An empty label is the same as no label (memberlist 0.2.2 compatible).
    const unlabelled = sealPacket(ring, plain, 1, NONCE, new Uint8Array(0));
    expect(hex(unlabelled)).toBe(hex(sealPacket(ring, plain, 1, NONCE)));
  });
});
