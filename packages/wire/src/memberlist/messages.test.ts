import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../errors.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import {
  memberlistVectorCases,
  messageFromLayer,
  messageLayersWithBytes,
  pushPullFromLayer,
  serfBytesOfUserLayer,
} from "../testing/memberlist-vectors.ts";
import {
  bytesToHex,
  concatBytes,
  getHex,
  getNumber,
  getObject,
  getString,
  hexToBytes,
  loadVectors,
} from "../testing/vectors.ts";
import {
  decodeCompressBody,
  decodeMessage,
  decodePushPull,
  encodeCompressBody,
  encodeMessage,
  encodePushPull,
  encodeStreamUserMessage,
} from "./messages.ts";
import type { AliveMessage, PingMessage, PushPullMessage } from "./types.ts";

const cases = memberlistVectorCases(loadVectors("udp-", "tcp-"));
const layers = cases.flatMap((c) =>
  messageLayersWithBytes(c.message, c.plain).map((l) => ({ ...l, id: c.id, go: c.goWritten })),
);

/** Msgpack body (no type byte) written with the gossip dialect. */
function body(type: number, build: (w: MsgpackWriter) => void): Uint8Array {
  const w = new MsgpackWriter("gossip").byte(type);
  build(w);
  return w.finish();
}

const enc = new TextEncoder();

describe("vectors: every recorded memberlist message", () => {
  it("finds all of them", () => {
    expect(cases).toHaveLength(33);
    expect(layers).toHaveLength(43);
    expect(layers.filter((l) => l.go)).toHaveLength(40);
  });

  it.each(layers.map((l, i) => [`${l.id} #${i} ${getString(l.layer, "name")}`, l] as const))(
    "%s decodes to the recorded fields and re-encodes byte for byte",
    (_, { layer, bytes, go }) => {
      const name = getString(layer, "name");
      if (layer.bytes_hex !== undefined) expect(bytesToHex(bytes)).toBe(layer.bytes_hex);
      if (layer.msgpack_hex !== undefined) {
        expect(bytesToHex(bytes.subarray(1))).toBe(layer.msgpack_hex);
      }
      if (layer.type !== undefined) expect(bytes[0]).toBe(getNumber(layer, "type"));
      if (layer.total_len !== undefined) expect(bytes.length).toBe(getNumber(layer, "total_len"));
      const expected = messageFromLayer(layer);
      const decoded = decodeMessage(bytes);
      expect(decoded).toEqual(expected);
      if (name === "user") {
        expect(decoded.type === "user" && bytesToHex(decoded.payload)).toBe(
          bytesToHex(serfBytesOfUserLayer(layer)),
        );
      }
      if (name === "pushPull") {
        const pp = pushPullFromLayer(layer);
        const header = getObject(getObject(layer, "header"), "fields");
        expect(pp.nodes).toHaveLength(getNumber(header, "Nodes"));
        expect(pp.userState).toHaveLength(getNumber(header, "UserStateLen"));
        const us = getObject(layer, "user_state");
        expect(bytesToHex(pp.userState)).toBe(
          bytesToHex(
            concatBytes(Uint8Array.of(getNumber(us, "serf_type")), getHex(us, "msgpack_hex")),
          ),
        );
        expect(decodePushPull(bytes)).toEqual(pp);
      }
      if (go) expect(bytesToHex(encodeMessage(expected))).toBe(bytesToHex(bytes));
    },
  );
});

describe("encodeMessage", () => {
  const ping: PingMessage = {
    type: "ping",
    seqNo: 1,
    node: "node-b",
    sourceAddr: Uint8Array.of(127, 0, 0, 1),
    sourcePort: 7946,
    sourceNode: "node-a",
  };

  it("leaves out empty omitempty fields of ping, in Go's key order", () => {
    const bare = encodeMessage({ ...ping, sourceAddr: null, sourcePort: 0, sourceNode: "" });
    expect(bytesToHex(bare)).toBe(
      bytesToHex(body(0, (w) => w.mapHeader(2).str("Node").str("node-b").str("SeqNo").uint(1))),
    );
    const emptyAddr = encodeMessage({ ...ping, sourceAddr: new Uint8Array(0) });
    expect(bytesToHex(emptyAddr)).toBe(
      bytesToHex(
        body(0, (w) =>
          w
            .mapHeader(4)
            .str("Node")
            .str("node-b")
            .str("SeqNo")
            .uint(1)
            .str("SourceNode")
            .str("node-a")
            .str("SourcePort")
            .uint(7946),
        ),
      ),
    );
  });

  it("leaves out empty omitempty fields of indirect ping but keeps the others", () => {
    const out = encodeMessage({
      type: "indirect-ping",
      seqNo: 0,
      target: new Uint8Array(0),
      port: 0,
      node: "",
      nack: false,
      sourceAddr: null,
      sourcePort: 0,
      sourceNode: "",
    });
    expect(bytesToHex(out)).toBe(
      bytesToHex(
        body(1, (w) =>
          w
            .mapHeader(5)
            .str("Nack")
            .bool(false)
            .str("Node")
            .str("")
            .str("Port")
            .uint(0)
            .str("SeqNo")
            .uint(0)
            .str("Target")
            .bytes(new Uint8Array(0)),
        ),
      ),
    );
  });

  it("writes a nil payload as c0 and an empty one as a0", () => {
    expect(bytesToHex(encodeMessage({ type: "ack", seqNo: 5, payload: null }))).toBe(
      "0282a75061796c6f6164c0a55365714e6f05",
    );
    expect(bytesToHex(encodeMessage({ type: "ack", seqNo: 5, payload: new Uint8Array(0) }))).toBe(
      "0282a75061796c6f6164a0a55365714e6f05",
    );
  });

  it("writes 32+ byte strings and bytes as str16, never str8 or bin", () => {
    const meta = new Uint8Array(40).fill(7);
    const alive: AliveMessage = {
      type: "alive",
      incarnation: 70000,
      node: "n".repeat(33),
      addr: Uint8Array.of(10, 0, 0, 1),
      port: 7946,
      meta,
      vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
    };
    const hex = bytesToHex(encodeMessage(alive));
    expect(hex).toContain(`a44d657461da0028${"07".repeat(40)}`);
    expect(hex).toContain(`a44e6f6465da0021${"6e".repeat(33)}`);
    expect(hex).toContain("ab496e6361726e6174696f6ece00011170");
  });

  it("rejects numbers outside their Go types", () => {
    expect(() => encodeMessage({ type: "nack", seqNo: -1 })).toThrow(EncodeError);
    expect(() => encodeMessage({ type: "nack", seqNo: 2 ** 32 })).toThrow(EncodeError);
    expect(() => encodeMessage({ type: "nack", seqNo: 1.5 })).toThrow(EncodeError);
    expect(() => encodeMessage({ ...ping, sourcePort: 65536 })).toThrow(EncodeError);
    expect(() =>
      encodePushPull({
        type: "push-pull",
        join: false,
        nodes: [
          {
            name: "a",
            addr: new Uint8Array(4),
            port: 1,
            meta: new Uint8Array(0),
            incarnation: 1,
            state: 4 as 0,
            vsn: new Uint8Array(6),
          },
        ],
        userState: new Uint8Array(0),
      }),
    ).toThrow(EncodeError);
  });

  it("writes user messages raw in packets and with a header on streams", () => {
    const payload = Uint8Array.of(1, 2, 3);
    expect(bytesToHex(encodeMessage({ type: "user", payload }))).toBe("08010203");
    expect(bytesToHex(encodeStreamUserMessage(payload))).toBe(
      `0881aa${bytesToHex(enc.encode("UserMsgLen"))}03010203`,
    );
  });

  it("round-trips the compress body", () => {
    const bytes = encodeCompressBody({ algo: 0, buf: Uint8Array.of(9, 9) });
    expect(bytesToHex(bytes)).toBe("0982a4416c676f00a3427566a20909");
    expect(decodeCompressBody(bytes, 1)).toEqual({
      body: { algo: 0, buf: Uint8Array.of(9, 9) },
      end: bytes.length,
    });
  });
});

describe("decodeMessage: Go's lenient rules", () => {
  const mapPing = (build: (w: MsgpackWriter) => void) => decodeMessage(body(0, build));

  it("accepts a struct as an array in Go declaration order", () => {
    const m = mapPing((w) =>
      w
        .arrayHeader(5)
        .uint(7)
        .str("me")
        .bytes(Uint8Array.of(1, 2, 3, 4))
        .uint(99)
        .str("src"),
    );
    expect(m).toEqual({
      type: "ping",
      seqNo: 7,
      node: "me",
      sourceAddr: Uint8Array.of(1, 2, 3, 4),
      sourcePort: 99,
      sourceNode: "src",
    });
    // Shorter arrays leave zero values, longer ones are skipped.
    expect(mapPing((w) => w.arrayHeader(1).uint(3))).toMatchObject({ seqNo: 3, node: "" });
    expect(
      mapPing((w) => w.arrayHeader(7).uint(3).str("").nil().uint(0).str("").uint(1).uint(2)),
    ).toMatchObject({ seqNo: 3 });
  });

  it("skips unknown keys, treats miscased keys as unknown, nil as zero", () => {
    const m = mapPing((w) =>
      w.mapHeader(4).str("Foo").uint(1).str("seqNo").uint(9).str("Node").nil().str("SeqNo").uint(4),
    );
    expect(m).toEqual({
      type: "ping",
      seqNo: 4,
      node: "",
      sourceAddr: null,
      sourcePort: 0,
      sourceNode: "",
    });
    expect(decodeMessage(Uint8Array.of(0x02, 0xc0))).toEqual({
      type: "ack",
      seqNo: 0,
      payload: null,
    });
  });

  it("accepts bin and arrays of small integers for []byte fields", () => {
    const bin = hexToBytes("0081aa536f7572636541646472c4047f000001");
    expect(decodeMessage(bin)).toMatchObject({ sourceAddr: Uint8Array.of(127, 0, 0, 1) });
    const arr = mapPing((w) => w.mapHeader(1).str("SourceAddr").arrayHeader(2).uint(1).uint(255));
    expect(arr).toMatchObject({ sourceAddr: Uint8Array.of(1, 255) });
    expect(() => mapPing((w) => w.mapHeader(1).str("SourceAddr").arrayHeader(1).uint(256))).toThrow(
      DecodeError,
    );
  });

  it("accepts str8 strings and 0/1 for bools", () => {
    const name = "x".repeat(42);
    const m = decodeMessage(
      concatBytes(hexToBytes("0081a44e6f6465d92a"), enc.encode(name)),
    ) as PingMessage;
    expect(m.node).toBe(name);
    expect(decodeMessage(body(1, (w) => w.mapHeader(1).str("Nack").uint(1)))).toMatchObject({
      nack: true,
    });
  });

  it("rejects floats, negative and overflowing values in integer fields", () => {
    const bad = [
      (w: MsgpackWriter) => w.mapHeader(1).str("SeqNo").float64(1.5),
      (w: MsgpackWriter) => w.mapHeader(1).str("SeqNo").int(-1),
      (w: MsgpackWriter) =>
        w
          .mapHeader(1)
          .str("SeqNo")
          .uint(2 ** 32),
      (w: MsgpackWriter) => w.mapHeader(1).str("SourcePort").uint(65536),
      (w: MsgpackWriter) => w.mapHeader(1).str("Node").uint(1),
      (w: MsgpackWriter) => w.mapHeader(1).str("SourceAddr").bool(true),
      (w: MsgpackWriter) => w.uint(5),
      (w: MsgpackWriter) => w.str("ping"),
    ];
    for (const b of bad) expect(() => mapPing(b)).toThrow(DecodeError);
  });

  it("ignores bytes after the body, rejects empty, truncated and unknown input", () => {
    const good = encodeMessage({ type: "nack", seqNo: 36 });
    expect(decodeMessage(concatBytes(good, Uint8Array.of(0xc1, 0xff)))).toEqual({
      type: "nack",
      seqNo: 36,
    });
    expect(() => decodeMessage(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeMessage(good.subarray(0, good.length - 1))).toThrow(DecodeError);
    expect(() => decodeMessage(Uint8Array.of(2))).toThrow(DecodeError);
    for (const t of [7, 9, 10, 12, 14, 244, 255]) {
      expect(() => decodeMessage(Uint8Array.of(t, 0x80))).toThrow(DecodeError);
    }
  });

  it("decodes an empty user payload", () => {
    expect(decodeMessage(Uint8Array.of(8))).toEqual({ type: "user", payload: new Uint8Array(0) });
  });
});

describe("push/pull", () => {
  const node = {
    name: "node-a",
    addr: Uint8Array.of(127, 0, 0, 1),
    port: 7946,
    meta: Uint8Array.of(0xff, 0x80),
    incarnation: 3,
    state: 3 as const,
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
  };
  const pp: PushPullMessage = {
    type: "push-pull",
    join: true,
    nodes: [node, { ...node, name: "node-b", state: 0 }],
    userState: Uint8Array.of(2, 0x80),
  };

  function header(nodes: number, userStateLen: number, join = false): Uint8Array {
    return body(6, (w) =>
      w
        .mapHeader(3)
        .str("Join")
        .bool(join)
        .str("Nodes")
        .int(nodes)
        .str("UserStateLen")
        .int(userStateLen),
    );
  }

  it("round-trips and ignores trailing bytes", () => {
    const bytes = encodePushPull(pp);
    expect(decodePushPull(bytes)).toEqual(pp);
    expect(decodeMessage(concatBytes(bytes, Uint8Array.of(1, 2)))).toEqual(pp);
  });

  it("treats a negative user state length as none and rejects a negative node count", () => {
    expect(decodePushPull(header(0, -5))).toEqual({
      type: "push-pull",
      join: false,
      nodes: [],
      userState: new Uint8Array(0),
    });
    expect(() => decodePushPull(header(-1, 0))).toThrow(DecodeError);
  });

  it("bounds node count and user state", () => {
    expect(() => decodePushPull(header(11, 0), { maxPushPullNodes: 10 })).toThrow(/limit/);
    expect(() => decodePushPull(header(0, 101), { maxUserStateBytes: 100 })).toThrow(/limit/);
    // A count the input cannot hold is truncation, whatever the limit.
    expect(() => decodePushPull(header(1000, 0))).toThrow(/truncated push\/pull: 0 of 1000/);
    expect(() => decodePushPull(header(0, 3))).toThrow(/truncated push\/pull user state/);
    expect(() => decodePushPull(Uint8Array.of(6))).toThrow(/truncated push\/pull header/);
    expect(() => decodePushPull(Uint8Array.of(0))).toThrow(DecodeError);
  });

  it("drops node states with a state number Go's merge ignores", () => {
    const bytes = encodePushPull(pp);
    // Rewrite the first node's `State 03` into `State 07`.
    const hex = bytesToHex(bytes).replace("a5537461746503", "a5537461746507");
    expect(decodePushPull(hexToBytes(hex)).nodes).toEqual([pp.nodes[1]]);
  });
});
