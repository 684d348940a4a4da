import { readFileSync } from "node:fs";
import {
  type AliveMessage,
  decodeKeyBase64,
  encodeMessage,
  Keyring,
  type PingMessage,
} from "@serf-ts/wire";
import { vectorsDir } from "@serf-ts/wire/testing";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "./packet-pipeline.ts";

const VECTORS = vectorsDir();

function hex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, "hex"));
}

function vector(name: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(`${VECTORS}/${name}.json`, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const ping: PingMessage = {
  type: "ping",
  seqNo: 7,
  node: "b",
  sourceAddr: Uint8Array.of(127, 0, 0, 1),
  sourcePort: 7946,
  sourceNode: "a",
};

function alive(i: number): AliveMessage {
  return {
    type: "alive",
    incarnation: 1,
    node: `node-${i}`,
    addr: Uint8Array.of(127, 0, 0, i),
    port: 7946,
    meta: Uint8Array.of(0xff, 0x80),
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  };
}

const key1 = new Uint8Array(32).fill(1);
const key2 = new Uint8Array(16).fill(2);

describe("PacketPipeline: packets", () => {
  it("sends a single small message as is (no compound, not compressed, no CRC)", () => {
    const p = new PacketPipeline();
    const [pkt] = p.encodeOutgoing([ping], { crc: false });
    expect(pkt).toEqual(encodeMessage(ping));
    const back = p.decodeIncoming(pkt!, "127.0.0.1:1");
    expect(back.messages).toHaveLength(1);
    expect(back.messages[0]).toMatchObject({ type: "ping", seqNo: 7, node: "b" });
    expect(back.hadCrc).toBe(false);
  });

  it("builds a compound, compresses it when shorter and adds a CRC when asked", () => {
    const p = new PacketPipeline();
    const parts = [1, 2, 3, 4, 5].map((i) => encodeMessage(alive(i)));
    const [pkt] = p.encodeOutgoing(parts, { crc: true });
    expect(pkt![0]).toBe(12); // hasCrc outermost
    expect(pkt![5]).toBe(9); // compressed compound inside
    const back = p.decodeIncoming(pkt!, "x:1");
    expect(back.hadCrc).toBe(true);
    expect(back.messages.map((m) => (m as AliveMessage).node)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `node-${i}`),
    );
  });

  it("does not compress when compression is disabled", () => {
    const p = new PacketPipeline({ enableCompression: false });
    const parts = [1, 2, 3].map((i) => encodeMessage(alive(i)));
    const [pkt] = p.encodeOutgoing(parts, { crc: false });
    expect(pkt![0]).toBe(7);
  });

  it("splits more than 255 parts into several datagrams", () => {
    const p = new PacketPipeline({ enableCompression: false });
    const parts = Array.from({ length: 300 }, () => encodeMessage({ type: "nack", seqNo: 1 }));
    const out = p.encodeOutgoing(parts, { crc: false });
    expect(out.length).toBe(2);
    const total = out.reduce((n, d) => n + p.decodeIncoming(d, "x:1").messages.length, 0);
    expect(total).toBe(300);
  });

  it("encrypts with the primary key (version 1, 29 bytes overhead) and decrypts with any key", () => {
    const ring = Keyring.create([key1, key2]);
    const a = new PacketPipeline({ keyring: ring, enableCompression: false });
    const plain = encodeMessage(ping);
    const [pkt] = a.encodeOutgoing([ping], { crc: false });
    expect(pkt![0]).toBe(1);
    expect(pkt!.length).toBe(plain.length + 29);
    expect(a.packetOverheadBytes).toBe(29);
    // A receiver whose primary is key2 but that also holds key1.
    const b = new PacketPipeline({ keyring: Keyring.create([key2, key1]) });
    expect(b.decodeIncoming(pkt!, "x:1")).toMatchObject({ encrypted: true });
    expect(b.decodeIncoming(pkt!, "x:1").messages).toHaveLength(1);
  });

  it("drops undecryptable and plaintext packets when verifying incoming, counting them", () => {
    const p = new PacketPipeline({ keyring: Keyring.create([key1]) });
    const other = new PacketPipeline({ keyring: Keyring.create([key2]) });
    const [foreign] = other.encodeOutgoing([ping], { crc: false });
    expect(p.decodeIncoming(foreign!, "x:1").messages).toHaveLength(0);
    expect(p.decodeIncoming(encodeMessage(ping), "x:1").messages).toHaveLength(0);
    expect(p.stats.decryptFailures).toBe(2);
    expect(p.stats.badPackets).toBe(2);
  });

  it("falls back to plaintext when gossipVerifyIncoming is false", () => {
    const p = new PacketPipeline({ keyring: Keyring.create([key1]), gossipVerifyIncoming: false });
    const back = p.decodeIncoming(encodeMessage(ping), "x:1");
    expect(back.messages).toHaveLength(1);
    expect(back.encrypted).toBe(false);
    expect(p.stats.plaintextAccepted).toBe(1);
  });

  it("sends plaintext when gossipVerifyOutgoing is false", () => {
    const p = new PacketPipeline({ keyring: Keyring.create([key1]), gossipVerifyOutgoing: false });
    const [pkt] = p.encodeOutgoing([ping], { crc: false });
    expect(pkt).toEqual(encodeMessage(ping));
  });

  it("never throws on garbage; counts bad CRCs, bad parts and truncation", () => {
    const p = new PacketPipeline();
    for (const junk of [
      new Uint8Array(0),
      Uint8Array.of(0xee),
      Uint8Array.of(12, 0, 0, 0, 0, 4),
      Uint8Array.of(7, 2, 0, 1, 0, 50, 11),
      Uint8Array.of(9, 0x82),
    ]) {
      expect(() => p.decodeIncoming(junk, "x:1")).not.toThrow();
    }
    expect(p.stats.badPackets).toBeGreaterThanOrEqual(4);
    expect(p.stats.decodeErrors).toBeGreaterThanOrEqual(4);
  });

  it("keeps good parts when one compound part is bad", () => {
    const p = new PacketPipeline({ enableCompression: false });
    const [pkt] = p.encodeOutgoing([encodeMessage(ping), Uint8Array.of(0xee, 1)], { crc: false });
    const back = p.decodeIncoming(pkt!, "x:1");
    expect(back.messages).toHaveLength(1);
    expect(p.stats.decodeErrors).toBe(1);
  });

  it("decodes captured Go packets (vectors)", () => {
    const crc = vector("udp-gossip-crc-lzw-compound");
    if (crc !== undefined) {
      const back = new PacketPipeline().decodeIncoming(hex(crc.wire_hex as string), "x:1");
      expect(back.hadCrc).toBe(true);
      expect(back.messages.length).toBeGreaterThan(1);
    }
    const enc = vector("udp-encrypted-install-key-query");
    if (enc !== undefined) {
      const keys = (enc.encryption as { keyring_base64: string[] }).keyring_base64.map(
        decodeKeyBase64,
      );
      const p = new PacketPipeline({ keyring: Keyring.create(keys) });
      const back = p.decodeIncoming(hex(enc.wire_hex as string), "x:1");
      expect(back.encrypted).toBe(true);
      expect(back.messages.map((m) => m.type)).toEqual(["user", "user"]);
    }
  });
});

describe("PacketPipeline: streams", () => {
  it("stream messages are always compressed (even when longer) and round-trip", () => {
    const p = new PacketPipeline();
    const bytes = p.encodeStream(ping);
    expect(bytes[0]).toBe(9);
    const r = p.createStreamReader();
    r.push(bytes);
    expect(r.read()?.message).toMatchObject({ type: "ping", seqNo: 7 });
  });

  it("encrypted streams use a 0a frame and read back with any key", () => {
    const a = new PacketPipeline({ keyring: Keyring.create([key1]) });
    const b = new PacketPipeline({ keyring: Keyring.create([key2, key1]) });
    const bytes = a.encodeStream(ping);
    expect(bytes[0]).toBe(10);
    const r = b.createStreamReader();
    r.push(bytes.subarray(0, 10));
    expect(r.read()).toBeUndefined();
    r.push(bytes.subarray(10));
    expect(r.read()).toMatchObject({ encrypted: true, compressed: true, keyIndex: 1 });
  });

  it("answers a plaintext stream to an encrypted node with Go's encrypted errResp", () => {
    const server = new PacketPipeline({ keyring: Keyring.create([key1]) });
    const plainClient = new PacketPipeline();
    const reader = server.createStreamReader();
    reader.push(plainClient.encodeStream(ping));
    let reply: Uint8Array | undefined;
    try {
      reader.read();
    } catch (err) {
      reply = server.errorReplyFor(err);
    }
    expect(reply).toBeDefined();
    expect(reply![0]).toBe(10);
    const clientWithKey = new PacketPipeline({
      keyring: Keyring.create([key1]),
    }).createStreamReader();
    clientWithKey.push(reply!);
    expect(clientWithKey.read()?.message).toEqual({
      type: "error",
      error: "Encryption is configured but remote state is not encrypted",
    });
  });

  it("answers an encrypted stream to a node without keys with Go's error text", () => {
    const server = new PacketPipeline();
    const reader = server.createStreamReader();
    reader.push(new PacketPipeline({ keyring: Keyring.create([key1]) }).encodeStream(ping));
    let reply: Uint8Array | undefined;
    try {
      reader.read();
    } catch (err) {
      reply = server.errorReplyFor(err);
    }
    const r = new PacketPipeline().createStreamReader();
    r.push(reply!);
    expect(r.read()?.message).toEqual({
      type: "error",
      error: "Remote state is encrypted and encryption is not configured",
    });
  });

  it("reads Go's captured encrypted errResp", () => {
    const v = vector("tcp-encrypted-error-response");
    if (v === undefined) return;
    const s2c = v.server_to_client as {
      wire_hex: string;
      encryption: { keyring_base64: string[] };
    };
    const keys = s2c.encryption.keyring_base64.map(decodeKeyBase64);
    const r = new PacketPipeline({ keyring: Keyring.create(keys) }).createStreamReader();
    r.push(hex(s2c.wire_hex));
    expect(r.read()?.message).toEqual({
      type: "error",
      error: "Encryption is configured but remote state is not encrypted",
    });
  });

  it("other unreadable requests get no reply (Go just closes)", () => {
    const p = new PacketPipeline();
    const reader = p.createStreamReader();
    reader.push(Uint8Array.of(0xee));
    let reply: Uint8Array | undefined = Uint8Array.of(1);
    try {
      reader.read();
    } catch (err) {
      reply = p.errorReplyFor(err);
    }
    expect(reply).toBeUndefined();
  });
});
