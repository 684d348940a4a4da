import { readFileSync } from "node:fs";
import { type AliveMessage, decodeKeyBase64, Keyring, type PingMessage } from "@serf-ts/wire";
import { encodeMessage, openPacket, openPayload } from "@serf-ts/wire/codec";
import { vectorsDir } from "@serf-ts/wire/testing";
import { describe, expect, it } from "vitest";
import { noopLogger } from "./logger.ts";
import { PacketPipeline, StreamLabelError } from "./packet-pipeline.ts";

const VECTORS = vectorsDir();

function hex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, "hex"));
}

/** A captured vector; a missing or unreadable file fails the test (never skips it). */
function vector(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${VECTORS}/${name}.json`, "utf8")) as Record<string, unknown>;
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
    const plain = new PacketPipeline().decodeIncoming(hex(crc.wire_hex as string), "x:1");
    expect(plain.hadCrc).toBe(true);
    expect(plain.messages.length).toBeGreaterThan(1);
    const enc = vector("udp-encrypted-install-key-query");
    const keys = (enc.encryption as { keyring_base64: string[] }).keyring_base64.map(
      decodeKeyBase64,
    );
    const p = new PacketPipeline({ keyring: Keyring.create(keys) });
    const back = p.decodeIncoming(hex(enc.wire_hex as string), "x:1");
    expect(back.encrypted).toBe(true);
    expect(back.messages.map((m) => m.type)).toEqual(["user", "user"]);
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

  it("answers a stream no key opens with an errResp under its own key (Go's wrong-key join)", () => {
    const server = new PacketPipeline({ keyring: Keyring.create([key1]) });
    const wrongKey = new PacketPipeline({ keyring: Keyring.create([key2]) });
    const reader = server.createStreamReader();
    reader.push(wrongKey.encodeStream(ping));
    let reply: Uint8Array | undefined;
    try {
      reader.read();
    } catch (err) {
      expect((err as Error).message).toBe("No installed keys could decrypt the message");
      reply = server.errorReplyFor(err);
    }
    expect(reply).toBeDefined();
    expect(reply![0]).toBe(10);
    // The joiner cannot open it either: its join fails with that text, not EOF.
    const joinerReader = wrongKey.createStreamReader();
    joinerReader.push(reply!);
    expect(() => joinerReader.read()).toThrow("No installed keys could decrypt the message");
    // Under the server's key it is Go's errResp.
    const r = new PacketPipeline({ keyring: Keyring.create([key1]) }).createStreamReader();
    r.push(reply!);
    expect(r.read()?.message).toEqual({
      type: "error",
      error: "No installed keys could decrypt the message",
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

describe("PacketPipeline: cluster label (memberlist >= 0.3)", () => {
  const header = (label: string): number[] => [0xf4, label.length, ...Buffer.from(label)];
  const from = "127.0.0.1:1";

  function readInbound(server: PacketPipeline, bytes: Uint8Array): unknown {
    const r = server.createInboundStreamReader(from);
    r.push(bytes);
    try {
      return r.read();
    } catch (err) {
      return err;
    }
  }

  it("no label: packets and streams are unchanged (memberlist 0.2.2 bytes)", () => {
    const p = new PacketPipeline({ label: "" });
    expect(p.encodeOutgoing([ping], { crc: false })[0]).toEqual(
      new PacketPipeline().encodeOutgoing([ping], { crc: false })[0],
    );
    expect(p.encodeStream(ping)).toEqual(new PacketPipeline().encodeStream(ping));
    expect(p.encodeStreamReply(ping)).toEqual(p.encodeStream(ping));
    expect(p.labelOverheadBytes).toBe(0);
  });

  it("labelled plaintext packet: header outermost, round trip", () => {
    const a = new PacketPipeline({ label: "blue" });
    const [pkt] = a.encodeOutgoing([ping], { crc: true });
    expect([...pkt!.subarray(0, 6)]).toEqual(header("blue"));
    expect(pkt![6]).toBe(12); // hasCrc inside the header
    expect(a.labelOverheadBytes).toBe(6);
    const back = new PacketPipeline({ label: "blue" }).decodeIncoming(pkt!, from);
    expect(back.messages[0]).toMatchObject({ type: "ping", seqNo: 7 });
    expect(back.hadCrc).toBe(true);
  });

  it("labelled encrypted packet: header in clear, label is the GCM additional data", () => {
    const kr = Keyring.create([key1]);
    const a = new PacketPipeline({ label: "blue", keyring: kr });
    const [pkt] = a.encodeOutgoing([ping], { crc: false });
    expect([...pkt!.subarray(0, 6)]).toEqual(header("blue"));
    expect(pkt![6]).toBe(1); // encryption version 1
    expect(pkt!.length).toBe(6 + 29 + encodeMessage(ping).length);
    expect(a.packetOverheadBytes).toBe(29 + 6);
    // The ciphertext opens with the label bytes as AAD, and only with them.
    const body = pkt!.subarray(6);
    expect(openPacket(kr, body, Buffer.from("blue")).plaintext).toEqual(encodeMessage(ping));
    expect(() => openPacket(kr, body)).toThrow();
    const b = new PacketPipeline({ label: "blue", keyring: Keyring.create([key1]) });
    const back = b.decodeIncoming(pkt!, from);
    expect(back).toMatchObject({ encrypted: true });
    expect(back.messages[0]).toMatchObject({ type: "ping", seqNo: 7 });
  });

  it("a tampered label fails decryption even when the receiver accepts it", () => {
    const a = new PacketPipeline({ label: "blue", keyring: Keyring.create([key1]) });
    const [pkt] = a.encodeOutgoing([ping], { crc: false });
    const tampered = Uint8Array.from(pkt!);
    tampered.set(Buffer.from("bluf"), 2);
    const b = new PacketPipeline({ label: "bluf", keyring: Keyring.create([key1]) });
    expect(b.decodeIncoming(tampered, from).messages).toEqual([]);
    expect(b.stats).toMatchObject({ decryptFailures: 1, badPackets: 1, rejectedLabels: 0 });
    // Stripping the header (an unlabelled receiver) does not help either.
    const c = new PacketPipeline({ keyring: Keyring.create([key1]) });
    expect(c.decodeIncoming(pkt!.subarray(6), from).messages).toEqual([]);
    expect(c.stats.decryptFailures).toBe(1);
  });

  it("drops packets with another label or none, counting and logging like Go", () => {
    const lines: string[] = [];
    const logger = {
      ...noopLogger,
      error: (msg: string) => lines.push(msg),
      child: () => logger,
    };
    const b = new PacketPipeline({ label: "blue", logger });
    const [red] = new PacketPipeline({ label: "red" }).encodeOutgoing([ping], { crc: false });
    const [none] = new PacketPipeline().encodeOutgoing([ping], { crc: false });
    expect(b.decodeIncoming(red!, from).messages).toEqual([]);
    expect(b.decodeIncoming(none!, from).messages).toEqual([]);
    expect(b.decodeIncoming(Uint8Array.of(0xf4, 0, 1), from).messages).toEqual([]);
    expect(b.stats).toMatchObject({ packetsIn: 3, badPackets: 3, rejectedLabels: 3 });
    expect(lines).toEqual([
      'discarding packet with unacceptable label "red"',
      'discarding packet with unacceptable label ""',
      "label header cannot be empty when present",
    ]);
    // An unlabelled node drops labelled packets too.
    const plain = new PacketPipeline();
    const [blue] = b.encodeOutgoing([ping], { crc: false });
    expect(plain.decodeIncoming(blue!, from).messages).toEqual([]);
    expect(plain.stats.rejectedLabels).toBe(1);
  });

  it("skipInboundLabelCheck accepts unlabelled traffic (label still AAD), drops labelled", () => {
    const kr = Keyring.create([key1]);
    const b = new PacketPipeline({ label: "blue", skipInboundLabelCheck: true, keyring: kr });
    const [labelled] = new PacketPipeline({ label: "blue", keyring: kr }).encodeOutgoing([ping], {
      crc: false,
    });
    // Unlabelled, encrypted with "blue" as AAD (what a label-stripping transport hands on).
    expect(b.decodeIncoming(labelled!.subarray(6), from).messages).toHaveLength(1);
    expect(b.decodeIncoming(labelled!, from).messages).toEqual([]);
    expect(b.stats).toMatchObject({ rejectedLabels: 1, badPackets: 1 });
    // Unlabelled, encrypted without AAD (a 0.2.2 node): authentication fails.
    const [old] = new PacketPipeline({ keyring: kr }).encodeOutgoing([ping], { crc: false });
    expect(b.decodeIncoming(old!, from).messages).toEqual([]);
    expect(b.stats.decryptFailures).toBe(1);
    // Plaintext, no keyring: unlabelled accepted.
    const p = new PacketPipeline({ label: "blue", skipInboundLabelCheck: true });
    const [plain] = new PacketPipeline().encodeOutgoing([ping], { crc: false });
    expect(p.decodeIncoming(plain!, from).messages).toHaveLength(1);
  });

  it("streams: the dialer writes the header, the reply has none; both round-trip", () => {
    for (const keyring of [undefined, Keyring.create([key1])]) {
      const client = new PacketPipeline({ label: "blue", keyring });
      const server = new PacketPipeline({ label: "blue", keyring });
      const req = client.encodeStream(ping);
      expect([...req.subarray(0, 6)]).toEqual(header("blue"));
      expect(req[6]).toBe(keyring === undefined ? 9 : 10);
      const r = server.createInboundStreamReader(from);
      r.push(req.subarray(0, 3)); // the header may arrive in pieces
      expect(r.read()).toBeUndefined();
      r.push(req.subarray(3));
      expect(r.read()).toMatchObject({ label: null, message: { type: "ping", seqNo: 7 } });
      const reply = server.encodeStreamReply(ping);
      expect(reply[0]).toBe(keyring === undefined ? 9 : 10);
      const cr = client.createStreamReader();
      cr.push(reply);
      expect(cr.read()?.message).toMatchObject({ type: "ping", seqNo: 7 });
    }
  });

  it("streams: the 5 frame bytes then the label are the GCM additional data", () => {
    const kr = Keyring.create([key1]);
    const reply = new PacketPipeline({ label: "blue", keyring: kr }).encodeStreamReply(ping);
    const aad = new Uint8Array([...reply.subarray(0, 5), ...Buffer.from("blue")]);
    expect(() => openPayload(kr.keys(), reply.subarray(5), aad)).not.toThrow();
    expect(() => openPayload(kr.keys(), reply.subarray(5), reply.subarray(0, 5))).toThrow();
    // A dialer with another label (or none) cannot read it.
    const other = new PacketPipeline({ label: "red", keyring: kr }).createStreamReader();
    other.push(reply);
    expect(() => other.read()).toThrow();
    // A request whose label header was tampered fails decryption at a receiver accepting it.
    const req = new PacketPipeline({ label: "blue", keyring: kr }).encodeStream(ping);
    const tampered = Uint8Array.from(req);
    tampered.set(Buffer.from("bluf"), 2);
    const server = new PacketPipeline({ label: "bluf", keyring: kr });
    const err = readInbound(server, tampered);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(StreamLabelError);
  });

  it("streams: other labels and unlabelled requests are refused without a reply", () => {
    const server = new PacketPipeline({ label: "blue", keyring: Keyring.create([key1]) });
    const red = new PacketPipeline({ label: "red", keyring: Keyring.create([key1]) });
    const plain = new PacketPipeline();
    expect(readInbound(server, red.encodeStream(ping))).toBeInstanceOf(StreamLabelError);
    // Without the label check this plaintext stream would get an errResp; here it gets none.
    expect(readInbound(server, plain.encodeStream(ping))).toBeInstanceOf(StreamLabelError);
    expect(readInbound(server, Uint8Array.of(0xf4, 0))).toBeInstanceOf(StreamLabelError);
    expect(server.stats).toMatchObject({ rejectedLabels: 3, badStreams: 3 });
    // An unlabelled server refuses labelled requests.
    const plainServer = new PacketPipeline();
    const blue = new PacketPipeline({ label: "blue" }).encodeStream(ping);
    expect(readInbound(plainServer, blue)).toBeInstanceOf(StreamLabelError);
  });

  it("streams: skipInboundLabelCheck accepts unlabelled requests with our label as AAD", () => {
    const kr = Keyring.create([key1]);
    const server = new PacketPipeline({ label: "blue", skipInboundLabelCheck: true, keyring: kr });
    const labelled = new PacketPipeline({ label: "blue", keyring: kr }).encodeStream(ping);
    expect(readInbound(server, labelled.subarray(6))).toMatchObject({
      message: { type: "ping" },
    });
    expect(readInbound(server, labelled)).toBeInstanceOf(StreamLabelError);
    expect(server.stats.rejectedLabels).toBe(1);
  });

  it("rejects labels over 255 bytes", () => {
    expect(() => new PacketPipeline({ label: "x".repeat(256) })).toThrow(RangeError);
    expect(new PacketPipeline({ label: "x".repeat(255) }).labelOverheadBytes).toBe(257);
  });
});
