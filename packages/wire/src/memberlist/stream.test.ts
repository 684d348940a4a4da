import { describe, expect, it } from "vitest";
import { DecodeError, DecryptError, isSerfError } from "../errors.ts";
import { openStreamFrame } from "../security/aes-gcm.ts";
import { decodeKeyBase64, Keyring } from "../security/keyring.ts";
import {
  type MemberlistVectorCase,
  memberlistVectorCases,
  messageFromLayer,
  messageLayers,
} from "../testing/memberlist-vectors.ts";
import { bytesToHex, concatBytes, getString, hexToBytes, loadVectors } from "../testing/vectors.ts";
import { encodeMessage, encodePushPull, encodeStreamUserMessage } from "./messages.ts";
import { addLabelHeader, compressMessage } from "./packet.ts";
import {
  ENCRYPTION_NOT_CONFIGURED_TEXT,
  ENCRYPTION_REQUIRED_TEXT,
  encodeStreamMessage,
  StreamEncryptionMismatchError,
  type StreamReadOptions,
  StreamMessageReader,
  sealStreamMessage,
  tryReadStreamMessage,
} from "./stream.ts";
import type { PushPullMessage, StreamMessage } from "./types.ts";

const tcp = memberlistVectorCases(loadVectors("tcp-"));

function keysOf(c: MemberlistVectorCase): Uint8Array[] {
  return c.encryption!.keyringBase64.map(decodeKeyBase64);
}

function readOptions(c: MemberlistVectorCase): StreamReadOptions {
  return c.encryption === undefined ? {} : { keyring: Keyring.create(keysOf(c)) };
}

function recorded(c: MemberlistVectorCase): StreamMessage {
  const leaves = messageLayers(c.message);
  expect(leaves).toHaveLength(1);
  return messageFromLayer(leaves[0]!) as StreamMessage;
}

function readInChunks(bytes: Uint8Array, size: number, opts: StreamReadOptions) {
  const reader = new StreamMessageReader(opts);
  for (let i = 0; i < bytes.length; i += size) {
    reader.push(bytes.subarray(i, i + size));
    const r = reader.read();
    if (r !== undefined) return { result: r, reader, pushed: Math.min(bytes.length, i + size) };
  }
  return undefined;
}

describe("vectors: every TCP stream direction", () => {
  it("finds all of them", () => {
    expect(tcp).toHaveLength(12);
    expect(tcp.filter((c) => c.encryption !== undefined)).toHaveLength(3);
    expect(tcp.filter((c) => !c.goWritten).map((c) => c.id)).toEqual([
      "tcp-encrypted-error-response/client_to_server",
      "tcp-ping-ack/client_to_server",
      "tcp-pushpull-join-from-js/client_to_server",
    ]);
  });

  it.each(tcp.map((c) => [c.id, c] as const))("%s: reads the recorded message", (_, c) => {
    const opts = readOptions(c);
    const expected = recorded(c);
    const r = tryReadStreamMessage(c.wire, opts);
    expect(r).toBeDefined();
    expect(r!.message).toEqual(expected);
    expect(r!.consumed).toBe(c.wire.length);
    expect(r!.label).toBeNull();
    expect(r!.encrypted).toBe(c.encryption !== undefined);
    expect(r!.compressed).toBe(getString(c.message, "name") === "compress");
    expect(r!.keyIndex).toBe(c.encryption?.keyIndex ?? null);

    // Every strict prefix asks for more bytes; trailing bytes are left alone.
    for (let n = 0; n < c.wire.length; n++) {
      expect(tryReadStreamMessage(c.wire.subarray(0, n), opts)).toBeUndefined();
    }
    const more = tryReadStreamMessage(concatBytes(c.wire, Uint8Array.of(0, 1, 2)), opts);
    expect(more?.consumed).toBe(c.wire.length);

    for (const size of [1, 7, 100, c.wire.length]) {
      const chunked = readInChunks(c.wire, size, opts);
      expect(chunked?.result.message).toEqual(expected);
      expect(chunked?.pushed).toBe(c.wire.length);
      expect(chunked?.reader.bufferedBytes).toBe(0);
    }
  });

  it.each(tcp.filter((c) => c.goWritten).map((c) => [c.id, c] as const))(
    "%s: re-encodes to wire_hex",
    (_, c) => {
      const msg = recorded(c);
      const compress = getString(c.message, "name") === "compress";
      if (c.encryption === undefined) {
        expect(bytesToHex(encodeStreamMessage(msg, { compress }))).toBe(bytesToHex(c.wire));
        return;
      }
      const e = c.encryption;
      const keys = keysOf(c);
      // The sender's primary key was the one that opened the frame.
      const keyring = Keyring.create(keys, keys[e.keyIndex]);
      const wire = encodeStreamMessage(msg, {
        compress,
        keyring,
        encryptionVersion: e.version,
        nonce: e.nonce,
      });
      expect(bytesToHex(wire)).toBe(bytesToHex(c.wire));
      expect(bytesToHex(openStreamFrame(keys, wire).plaintext)).toBe(bytesToHex(e.plaintext));
    },
  );

  it("answers the recorded plaintext ping to an encrypted agent exactly as Go did", () => {
    const request = tcp.find((c) => c.id === "tcp-encrypted-error-response/client_to_server")!;
    const reply = tcp.find((c) => c.id === "tcp-encrypted-error-response/server_to_client")!;
    const keyring = Keyring.create(keysOf(reply));
    let caught: unknown;
    try {
      tryReadStreamMessage(request.wire, { keyring });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StreamEncryptionMismatchError);
    expect(caught).toBeInstanceOf(DecodeError);
    const err = caught as StreamEncryptionMismatchError;
    expect(err.reason).toBe("encryption-required");
    expect(err.message).toBe(ENCRYPTION_REQUIRED_TEXT);
    expect(recorded(reply)).toEqual({ type: "error", error: err.message });
    // GossipVerifyIncoming = false accepts it as plaintext.
    expect(tryReadStreamMessage(request.wire, { keyring, verifyIncoming: false })?.message).toEqual(
      recorded(request),
    );
  });

  it("refuses an encrypted stream without a keyring with Go's text", () => {
    const c = tcp.find((x) => x.encryption !== undefined)!;
    expect(() => tryReadStreamMessage(c.wire)).toThrow(StreamEncryptionMismatchError);
    expect(() => tryReadStreamMessage(c.wire.subarray(0, 1))).toThrow(
      ENCRYPTION_NOT_CONFIGURED_TEXT,
    );
    try {
      tryReadStreamMessage(c.wire);
    } catch (err) {
      expect((err as StreamEncryptionMismatchError).reason).toBe("encryption-not-configured");
    }
  });

  it("fails with DecryptError when no installed key opens the frame", () => {
    const c = tcp.find((x) => x.encryption !== undefined)!;
    const stranger = Keyring.create([new Uint8Array(32).fill(1)]);
    expect(() => tryReadStreamMessage(c.wire, { keyring: stranger })).toThrow(DecryptError);
  });
});

const key = hexToBytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const keyring = Keyring.create([key]);
const pp: PushPullMessage = {
  type: "push-pull",
  join: false,
  nodes: Array.from({ length: 20 }, (_, i) => ({
    name: `node-${i}`,
    addr: Uint8Array.of(10, 0, 0, i),
    port: 7946,
    meta: Uint8Array.of(0xff, 0x80),
    incarnation: i + 1,
    state: (i % 4) as 0 | 1 | 2 | 3,
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  })),
  userState: new Uint8Array(300).fill(2),
};

describe("encodeStreamMessage", () => {
  it("always compresses when compression is enabled, even when longer", () => {
    const ack: StreamMessage = { type: "ack", seqNo: 1, payload: null };
    const plain = encodeMessage(ack);
    const out = encodeStreamMessage(ack, { compress: true });
    expect(out[0]).toBe(9);
    expect(out.length).toBeGreaterThan(plain.length);
    expect(out).toEqual(compressMessage(plain));
    expect(encodeStreamMessage(ack, { compress: false })).toEqual(plain);
  });

  it("writes user messages in the stream form", () => {
    const payload = Uint8Array.of(5, 6, 7);
    const out = encodeStreamMessage({ type: "user", payload }, { compress: false });
    expect(out).toEqual(encodeStreamUserMessage(payload));
    expect(tryReadStreamMessage(out)?.message).toEqual({ type: "user", payload });
    expect(tryReadStreamMessage(out.subarray(0, out.length - 1))).toBeUndefined();
  });

  it("frames encrypted messages as 0a | length | payload with 29 bytes of overhead", () => {
    const msg: StreamMessage = { type: "error", error: "boom" };
    const inner = compressMessage(encodeMessage(msg));
    const out = encodeStreamMessage(msg, { compress: true, keyring });
    expect(out[0]).toBe(10);
    expect(new DataView(out.buffer).getUint32(1)).toBe(inner.length + 29);
    expect(out.length).toBe(5 + inner.length + 29);
    expect(tryReadStreamMessage(out, { keyring })?.message).toEqual(msg);
    const v0 = encodeStreamMessage(msg, { compress: false, keyring, encryptionVersion: 0 });
    expect(tryReadStreamMessage(v0, { keyring })?.message).toEqual(msg);
  });

  it("puts the label in a header (dialer only) and in the additional data", () => {
    const request = encodeStreamMessage(pp, { compress: true, keyring, label: "blue" });
    expect(bytesToHex(request.subarray(0, 6))).toBe(
      `f404${bytesToHex(new TextEncoder().encode("blue"))}`,
    );
    const r = tryReadStreamMessage(request, { keyring });
    expect(r?.label).toBe("blue");
    expect(r?.message).toEqual(pp);

    const reply = encodeStreamMessage(pp, {
      compress: true,
      keyring,
      label: "blue",
      labelHeader: false,
    });
    expect(reply[0]).toBe(10);
    expect(tryReadStreamMessage(reply, { keyring, label: "blue" })?.message).toEqual(pp);
    expect(() => tryReadStreamMessage(reply, { keyring })).toThrow(DecryptError);
    expect(() => tryReadStreamMessage(reply, { keyring, label: "red" })).toThrow(DecryptError);

    const plain = encodeStreamMessage(pp, { compress: false, label: "blue" });
    expect(tryReadStreamMessage(plain)?.label).toBe("blue");
    expect(tryReadStreamMessage(plain)?.consumed).toBe(plain.length);
    expect(tryReadStreamMessage(plain.subarray(0, 1))).toBeUndefined();
    expect(() => tryReadStreamMessage(Uint8Array.of(0xf4, 0))).toThrow(DecodeError);
  });

  it("sealStreamMessage without a label matches the plain frame format", () => {
    const inner = encodeMessage({ type: "ack", seqNo: 3, payload: null });
    const nonce = new Uint8Array(12).fill(9);
    const frame = sealStreamMessage(inner, keyring, { nonce });
    expect(openStreamFrame([key], frame).plaintext).toEqual(inner);
  });
});

describe("tryReadStreamMessage / StreamMessageReader", () => {
  it("parses a plain push/pull incrementally", () => {
    const bytes = encodePushPull(pp);
    for (let n = 0; n < bytes.length; n++) {
      expect(tryReadStreamMessage(bytes.subarray(0, n))).toBeUndefined();
    }
    const r = tryReadStreamMessage(bytes);
    expect(r?.message).toEqual(pp);
    expect(r?.compressed).toBe(false);
    const chunked = readInChunks(bytes, 3, {});
    expect(chunked?.result.message).toEqual(pp);
  });

  it("keeps bytes after a message for the next read", () => {
    const a = encodeStreamMessage({ type: "ack", seqNo: 1, payload: null }, { compress: false });
    const b = encodeStreamMessage({ type: "error", error: "x" }, { compress: true });
    const reader = new StreamMessageReader();
    reader.push(concatBytes(a, b));
    expect(reader.read()?.message).toEqual({ type: "ack", seqNo: 1, payload: null });
    expect(reader.bufferedBytes).toBe(b.length);
    expect(reader.read()?.message).toEqual({ type: "error", error: "x" });
    expect(reader.read()).toBeUndefined();
  });

  it("rejects message types that are not stream messages", () => {
    for (const m of [
      encodeMessage({ type: "nack", seqNo: 1 }),
      encodeMessage({ type: "suspect", incarnation: 1, node: "a", from: "b" }),
      Uint8Array.of(7, 0),
      Uint8Array.of(12, 0, 0, 0, 0),
    ]) {
      expect(() => tryReadStreamMessage(m)).toThrow(/Received invalid msgType/);
      expect(() => tryReadStreamMessage(compressMessage(m))).toThrow(/Received invalid msgType/);
    }
    // Nested compression or encryption is not unwrapped again (as in Go).
    const twice = compressMessage(compressMessage(encodeMessage({ type: "error", error: "x" })));
    expect(() => tryReadStreamMessage(twice)).toThrow(/Received invalid msgType \(9\)/);
  });

  it("bounds frame length, message size and decompressed size", () => {
    const header = Uint8Array.of(10, 0x01, 0x40, 0x00, 0x01);
    expect(() => tryReadStreamMessage(header, { keyring })).toThrow(
      "Remote node state is larger than limit (20971521)",
    );
    const bytes = encodePushPull(pp);
    expect(() => tryReadStreamMessage(bytes.subarray(0, 200), { maxMessageBytes: 100 })).toThrow(
      /larger than the limit/,
    );
    expect(() => tryReadStreamMessage(bytes, { maxMessageBytes: 100 })).toThrow(
      /larger than the limit/,
    );
    expect(tryReadStreamMessage(bytes.subarray(0, 50), { maxMessageBytes: 100 })).toBeUndefined();
    const compressed = encodeStreamMessage(pp, { compress: true });
    expect(() => tryReadStreamMessage(compressed, { maxDecompressedBytes: 100 })).toThrow(
      DecodeError,
    );
    expect(() => tryReadStreamMessage(bytes, { limits: { maxPushPullNodes: 5 } })).toThrow(/limit/);
  });

  it("rejects an empty encrypted or decompressed message", () => {
    const emptyFrame = sealStreamMessage(new Uint8Array(0), keyring);
    expect(() => tryReadStreamMessage(emptyFrame, { keyring })).toThrow(DecodeError);
    const emptyCompressed = compressMessage(new Uint8Array(0));
    expect(() => tryReadStreamMessage(emptyCompressed)).toThrow(DecodeError);
    const framedEmptyCompressed = sealStreamMessage(emptyCompressed, keyring);
    expect(() => tryReadStreamMessage(framedEmptyCompressed, { keyring })).toThrow(DecodeError);
  });

  it("reports a truncated user message inside a complete frame", () => {
    const user = encodeStreamUserMessage(Uint8Array.of(1, 2, 3));
    const frame = sealStreamMessage(user.subarray(0, user.length - 1), keyring);
    expect(() => tryReadStreamMessage(frame, { keyring })).toThrow(/Failed to read full user/);
  });

  it("throws only Serf errors for a labelled garbage stream", () => {
    const garbage = addLabelHeader(Uint8Array.of(0xc1, 0xc1), "x");
    let caught: unknown;
    try {
      tryReadStreamMessage(garbage);
    } catch (err) {
      caught = err;
    }
    expect(isSerfError(caught)).toBe(true);
  });
});
