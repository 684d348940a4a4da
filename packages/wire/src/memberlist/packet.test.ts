import { describe, expect, it } from "vitest";
import { crc32 } from "../checksum/crc32.ts";
import { lzwCompress } from "../compress/lzw.ts";
import { DecodeError, DecryptError, EncodeError } from "../errors.ts";
import { openPacket, sealPayload } from "../security/aes-gcm.ts";
import { decodeKeyBase64, Keyring } from "../security/keyring.ts";
import {
  type MemberlistVectorCase,
  memberlistVectorCases,
  messageFromLayer,
  messageLayers,
} from "../testing/memberlist-vectors.ts";
import {
  bytesToHex,
  concatBytes,
  getArray,
  getHex,
  getNumber,
  getObject,
  getString,
  hexToBytes,
  type JsonObject,
  loadVectors,
} from "../testing/vectors.ts";
import { encodeCompressBody, encodeMessage } from "./messages.ts";
import {
  addCrc,
  addLabelHeader,
  compressIfShorter,
  compressMessage,
  decodeCompound,
  decodePacket,
  decompressMessage,
  encodeCompound,
  encodeCompounds,
  encodePacket,
  openIncomingPacket,
  sealOutgoingPacket,
  stripLabelHeader,
  verifyCrc,
} from "./packet.ts";
import type { PacketMessage } from "./types.ts";

const udp = memberlistVectorCases(loadVectors("udp-"));

function keyringOf(c: MemberlistVectorCase): Keyring {
  return Keyring.create(c.encryption!.keyringBase64.map(decodeKeyBase64));
}

/**
 * Checks one recorded layer against `bytes` using the framing decoders, and returns our
 * encoding of the layer rebuilt from the recorded fields (bottom-up).
 */
function checkLayer(layer: JsonObject, bytes: Uint8Array): Uint8Array {
  const name = getString(layer, "name");
  if (layer.total_len !== undefined) expect(bytes.length).toBe(getNumber(layer, "total_len"));
  if (layer.type !== undefined) expect(bytes[0]).toBe(getNumber(layer, "type"));
  switch (name) {
    case "hasCrc": {
      expect(bytesToHex(bytes.subarray(1, 5))).toBe(getString(layer, "crc32_field_hex"));
      expect(crc32(bytes.subarray(5)).toString(16).padStart(8, "0")).toBe(
        getString(layer, "crc32_computed_over_rest"),
      );
      const { payload, hadCrc } = verifyCrc(bytes);
      expect(hadCrc).toBe(true);
      return addCrc(checkLayer(getObject(layer, "inner"), payload));
    }
    case "compress": {
      expect(getNumber(layer, "Algo")).toBe(0);
      const inner = decompressMessage(bytes, 1 << 20);
      expect(bytesToHex(inner)).toBe(getString(layer, "decompressed_hex"));
      const rebuilt = checkLayer(getObject(layer, "inner"), inner);
      // Go's compressed buffer, re-wrapped, and our own compression of the rebuilt message.
      expect(
        bytesToHex(encodeCompressBody({ algo: 0, buf: getHex(layer, "Buf_compressed_hex") })),
      ).toBe(bytesToHex(bytes));
      return compressMessage(rebuilt);
    }
    case "compound": {
      const { parts, truncated } = decodeCompound(bytes);
      expect(truncated).toBe(0);
      expect(parts).toHaveLength(getNumber(layer, "count"));
      expect(parts.map((p) => p.length)).toEqual(getArray(layer, "lengths"));
      const recorded = getArray(layer, "parts") as JsonObject[];
      return encodeCompound(parts.map((p, i) => checkLayer(recorded[i]!, p)));
    }
    default:
      expect(bytesToHex(bytes)).toBe(getString(layer, "bytes_hex"));
      return encodeMessage(messageFromLayer(layer));
  }
}

function hasLayer(layer: JsonObject, name: string): boolean {
  if (getString(layer, "name") === name) return true;
  if (layer.inner !== undefined) return hasLayer(getObject(layer, "inner"), name);
  return false;
}

describe("vectors: every UDP packet", () => {
  it("finds all of them", () => {
    expect(udp).toHaveLength(21);
    expect(udp.filter((c) => c.encryption !== undefined)).toHaveLength(3);
    expect(udp.every((c) => c.goWritten)).toBe(true);
  });

  it.each(udp.map((c) => [c.id, c] as const))(
    "%s: decodes layer by layer and re-encodes to wire_hex",
    (_, c) => {
      let plain = c.wire;
      if (c.encryption !== undefined) {
        const e = c.encryption;
        const keyring = keyringOf(c);
        const opened = openIncomingPacket(c.wire, keyring);
        expect(opened.label).toBeNull();
        expect(opened.keyIndex).toBe(e.keyIndex);
        expect(bytesToHex(opened.packet)).toBe(bytesToHex(e.plaintext));
        plain = opened.packet;
        const key = keyring.keys()[e.keyIndex]!;
        expect(bytesToHex(sealPayload(key, plain, undefined, e.version, e.nonce))).toBe(
          bytesToHex(c.wire),
        );
      }
      const rebuilt = checkLayer(c.message, plain);
      expect(bytesToHex(rebuilt)).toBe(bytesToHex(plain));

      // The high-level pair.
      const expected = messageLayers(c.message).map(messageFromLayer) as PacketMessage[];
      const decoded = decodePacket(plain);
      expect(decoded.errors).toEqual([]);
      expect(decoded.truncated).toBe(0);
      expect(decoded.label).toBeNull();
      expect(decoded.hadCrc).toBe(getString(c.message, "name") === "hasCrc");
      expect(decoded.messages).toEqual(expected);

      // Every Go agent ran with compression enabled: the strictly-shorter rule must reproduce
      // Go's choice for every packet, compressed or not.
      const packet = encodePacket(expected.map(encodeMessage), {
        compress: true,
        crc: decoded.hadCrc,
      });
      expect(bytesToHex(packet)).toBe(bytesToHex(plain));
      expect(hasLayer(c.message, "compress")).toBe(packet[0] === 9 || packet[5] === 9);
    },
  );
});

describe("compound", () => {
  const a = Uint8Array.of(0x0b, 0x81, 0xa5, 0x53, 0x65, 0x71, 0x4e, 0x6f, 0x01);
  const b = Uint8Array.of(8, 1, 2);

  it("encodes count, big-endian lengths and parts", () => {
    expect(bytesToHex(encodeCompound([a, b]))).toBe(`070200090003${bytesToHex(a)}080102`);
    expect(bytesToHex(encodeCompound([]))).toBe("0700");
  });

  it("throws beyond 255 parts or a 65535-byte part", () => {
    const parts = Array.from({ length: 256 }, () => b);
    expect(() => encodeCompound(parts)).toThrow(EncodeError);
    expect(encodeCompound(parts.slice(1))[1]).toBe(255);
    expect(() => encodeCompound([new Uint8Array(65536)])).toThrow(EncodeError);
    expect(() => encodePacket(parts, { compress: false, crc: false })).toThrow(EncodeError);
    expect(() => encodePacket([], { compress: false, crc: false })).toThrow(EncodeError);
  });

  it("splits many messages into compounds of at most 255", () => {
    const parts = Array.from({ length: 511 }, () => b);
    const out = encodeCompounds(parts);
    expect(out.map((p) => p[0])).toEqual([7, 7, 8]);
    expect(out.map((p) => p[1])).toEqual([255, 255, 1]);
    expect(encodeCompounds([b])).toEqual([b]);
  });

  it("counts truncated parts instead of throwing", () => {
    const full = encodeCompound([a, b, b]);
    expect(decodeCompound(full)).toEqual({ parts: [a, b, b], truncated: 0 });
    expect(decodeCompound(full.subarray(0, full.length - 1))).toEqual({
      parts: [a, b],
      truncated: 1,
    });
    expect(decodeCompound(full.subarray(0, 8 + 5))).toEqual({ parts: [], truncated: 3 });
    // Bytes after the last part are ignored.
    expect(decodeCompound(concatBytes(full, Uint8Array.of(1))).parts).toHaveLength(3);
    expect(() => decodeCompound(Uint8Array.of(7))).toThrow("missing compound length byte");
    expect(() => decodeCompound(Uint8Array.of(7, 2, 0, 1))).toThrow("truncated len slice");

    const d = decodePacket(full.subarray(0, full.length - 1));
    expect(d.messages).toEqual([
      { type: "nack", seqNo: 1 },
      { type: "user", payload: b.subarray(1) },
    ]);
    expect(d.truncated).toBe(1);
    expect(d.errors).toEqual([]);
  });
});

describe("decodePacket", () => {
  const nack = encodeMessage({ type: "nack", seqNo: 7 });
  const user = encodeMessage({ type: "user", payload: Uint8Array.of(1, 2, 3) });

  it("drops only the bad part of a compound", () => {
    const d = decodePacket(
      encodeCompound([nack, Uint8Array.of(0, 0xc1), Uint8Array.of(), Uint8Array.of(42), user]),
    );
    expect(d.messages).toEqual([
      { type: "nack", seqNo: 7 },
      { type: "user", payload: Uint8Array.of(1, 2, 3) },
    ]);
    expect(d.errors).toHaveLength(3);
    for (const e of d.errors) expect(e).toBeInstanceOf(DecodeError);
  });

  it("handles any nesting of compound and compress", () => {
    const inner = encodeCompound([nack, compressMessage(encodeCompound([user, nack]))]);
    const packet = addCrc(compressMessage(encodeCompound([compressMessage(inner), user])));
    const d = decodePacket(packet);
    expect(d.errors).toEqual([]);
    expect(d.hadCrc).toBe(true);
    expect(d.messages.map((m) => m.type)).toEqual(["nack", "user", "nack", "user"]);
  });

  it("bounds nesting and decompressed size", () => {
    let p = nack;
    for (let i = 0; i < 20; i++) p = encodeCompound([p]);
    const d = decodePacket(p);
    expect(d.messages).toEqual([]);
    expect(d.errors[0]?.message).toMatch(/nesting/);
    expect(decodePacket(p, { maxNesting: 32 }).messages).toHaveLength(1);

    const big = compressMessage(encodeMessage({ type: "user", payload: new Uint8Array(5000) }));
    expect(decodePacket(big).messages).toHaveLength(1);
    const small = decodePacket(big, { maxDecompressedBytes: 1000 });
    expect(small.messages).toEqual([]);
    expect(small.errors).toHaveLength(1);
    // The budget is shared by all compress layers of the packet.
    const two = decodePacket(encodeCompound([big, big]), { maxDecompressedBytes: 6000 });
    expect(two.messages).toHaveLength(1);
    expect(two.errors).toHaveLength(1);
  });

  it("verifies the CRC and drops the whole packet on mismatch", () => {
    const packet = addCrc(encodeCompound([nack, user]));
    expect(bytesToHex(packet.subarray(1, 5))).toBe(
      crc32(packet.subarray(5)).toString(16).padStart(8, "0"),
    );
    const bad = packet.slice();
    bad[packet.length - 1]! ^= 1;
    const d = decodePacket(bad);
    expect(d.messages).toEqual([]);
    expect(d.hadCrc).toBe(false);
    expect(d.errors[0]?.message).toMatch(/invalid checksum/);
    expect(() => verifyCrc(bad)).toThrow(DecodeError);
    // Shorter than a CRC header: not a CRC packet, and 12 is no message type.
    expect(verifyCrc(Uint8Array.of(12, 0, 0))).toEqual({
      payload: Uint8Array.of(12, 0, 0),
      hadCrc: false,
    });
    expect(decodePacket(Uint8Array.of(12, 0, 0)).errors).toHaveLength(1);
    // A CRC anywhere but outermost is not understood.
    expect(decodePacket(encodeCompound([addCrc(nack)])).errors).toHaveLength(1);
  });

  it("rejects bad compress layers", () => {
    const unknownAlgo = encodeCompressBody({ algo: 1, buf: lzwCompress(nack) });
    expect(decodePacket(unknownAlgo).errors[0]?.message).toMatch(/unknown algorithm 1/);
    const badLzw = encodeCompressBody({ algo: 0, buf: Uint8Array.of(0xff, 0xff) });
    expect(decodePacket(badLzw).errors).toHaveLength(1);
    const empty = compressMessage(new Uint8Array(0));
    expect(decodePacket(empty).errors).toHaveLength(1);
  });

  it("reports stream-only and unknown types as errors", () => {
    for (const t of [6, 10, 13, 14, 200]) {
      const d = decodePacket(Uint8Array.of(t, 0x80));
      expect(d.messages).toEqual([]);
      expect(d.errors).toHaveLength(1);
    }
    expect(decodePacket(new Uint8Array(0)).errors).toHaveLength(1);
  });
});

describe("encodePacket", () => {
  it("compresses only when strictly shorter", () => {
    const small = encodeMessage({ type: "nack", seqNo: 1 });
    expect(encodePacket([small], { compress: true, crc: false })).toEqual(small);
    const big = encodeMessage({ type: "user", payload: new Uint8Array(200).fill(65) });
    const out = encodePacket([big], { compress: true, crc: false });
    expect(out[0]).toBe(9);
    expect(out.length).toBeLessThan(big.length);
    expect(compressIfShorter(big)).toEqual(out);
    // Equal length is not shorter: find inputs whose compressed form is exactly as long.
    let equal = 0;
    for (let n = 1; n < 300; n++) {
      const m = Uint8Array.from({ length: n }, (_, i) => (i % 7) * 31);
      const c = compressMessage(m);
      if (c.length === m.length) {
        equal++;
        expect(compressIfShorter(m)).toBe(m);
      } else {
        expect(compressIfShorter(m)).toEqual(c.length < m.length ? c : m);
      }
    }
    expect(equal).toBeGreaterThan(0);
  });

  it("adds CRC after compression and the label outermost", () => {
    const big = encodeMessage({ type: "user", payload: new Uint8Array(200).fill(65) });
    const out = encodePacket([big, big], { compress: true, crc: true, label: "prod" });
    expect(bytesToHex(out.subarray(0, 6))).toBe(
      `f404${bytesToHex(new TextEncoder().encode("prod"))}`,
    );
    expect(out[6]).toBe(12);
    expect(out[11]).toBe(9);
    const d = decodePacket(out);
    expect(d.label).toBe("prod");
    expect(d.hadCrc).toBe(true);
    expect(d.messages).toHaveLength(2);
  });
});

describe("label header", () => {
  it("adds and strips f4 len label", () => {
    const body = Uint8Array.of(0x0b, 0x80);
    const labelled = addLabelHeader(body, "dc1");
    expect(bytesToHex(labelled)).toBe("f403" + "646331" + "0b80");
    expect(stripLabelHeader(labelled)).toEqual({ label: "dc1", rest: body });
    expect(addLabelHeader(body, "")).toBe(body);
    expect(stripLabelHeader(body)).toEqual({ label: null, rest: body });
    expect(() => addLabelHeader(body, "x".repeat(256))).toThrow(EncodeError);
    expect(addLabelHeader(body, "x".repeat(255))[1]).toBe(255);
  });

  it("rejects empty and truncated headers", () => {
    expect(() => stripLabelHeader(Uint8Array.of(0xf4))).toThrow(/truncated/);
    expect(() => stripLabelHeader(Uint8Array.of(0xf4, 0))).toThrow(/empty/);
    expect(() => stripLabelHeader(Uint8Array.of(0xf4, 3, 1))).toThrow(/truncated/);
    const d = decodePacket(Uint8Array.of(0xf4, 0, 11));
    expect(d.errors).toHaveLength(1);
    expect(d.messages).toEqual([]);
  });
});

describe("sealOutgoingPacket / openIncomingPacket", () => {
  const key = hexToBytes("00112233445566778899aabbccddeeff");
  const other = hexToBytes("ffeeddccbbaa99887766554433221100");
  const keyring = Keyring.create([key, other]);
  const packet = encodePacket([encodeMessage({ type: "nack", seqNo: 9 })], {
    compress: false,
    crc: true,
  });

  it("encrypts without additional data when unlabelled (0.2.2)", () => {
    const sealed = sealOutgoingPacket(packet, keyring);
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBe(packet.length + 29);
    expect(openPacket(keyring, sealed).plaintext).toEqual(packet);
    const opened = openIncomingPacket(sealed, Keyring.create([other, key]));
    expect(opened).toEqual({ packet, label: null, keyIndex: 1 });
    expect(decodePacket(opened.packet).messages).toEqual([{ type: "nack", seqNo: 9 }]);
    expect(sealOutgoingPacket(packet, keyring, 0).length % 16).toBe((1 + 12 + 16) % 16);
  });

  it("keeps the label in clear and authenticates it", () => {
    const labelled = encodePacket([encodeMessage({ type: "nack", seqNo: 9 })], {
      compress: false,
      crc: false,
      label: "blue",
    });
    const sealed = sealOutgoingPacket(labelled, keyring);
    expect(stripLabelHeader(sealed).label).toBe("blue");
    const opened = openIncomingPacket(sealed, keyring);
    expect(opened.label).toBe("blue");
    expect(decodePacket(opened.packet).messages).toEqual([{ type: "nack", seqNo: 9 }]);
    // Another label (or none) fails authentication.
    const relabelled = addLabelHeader(stripLabelHeader(sealed).rest, "red");
    expect(() => openIncomingPacket(relabelled, keyring)).toThrow(DecryptError);
    expect(() => openIncomingPacket(stripLabelHeader(sealed).rest, keyring)).toThrow(DecryptError);
  });
});

describe("msgpack dialect of the framing", () => {
  it("writes Buf in the str family: fixstr below 32 bytes, str16 above", () => {
    const short = compressMessage(Uint8Array.of(11, 0x80));
    expect(bytesToHex(short)).toMatch(/^0982a4416c676f00a3427566a[0-9a-f]/);
    const noisy = Uint8Array.from({ length: 100 }, (_, i) => (i * 151) & 0xff);
    const c = compressMessage(noisy);
    const len = lzwCompress(noisy).length;
    expect(bytesToHex(c.subarray(0, 15))).toBe(
      `0982a4416c676f00a3427566da${len.toString(16).padStart(4, "0")}`,
    );
  });
});
