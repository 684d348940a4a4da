import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../errors.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import { decodeFilter, decodeSerfMessage, encodeFilter, encodeSerfMessage } from "./messages.ts";
import {
  type QueryFilter,
  type QueryMessage,
  type SerfMember,
  type SerfMessage,
  SerfMessageType,
  type UserEventCollection,
} from "./types.ts";

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const goString = fc.string({ unit: "binary", maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 48 });
const nullableBytes = fc.option(bytes, { nil: null });
const ip = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
const lTime = fc.maxSafeNat();
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const stringMap = fc
  .uniqueArray(fc.tuple(goString, goString), { selector: (e) => e[0], maxLength: 6 })
  .map((e) => new Map(e));

const filterArb: fc.Arbitrary<QueryFilter> = fc.oneof(
  fc.record({ type: fc.constant("node" as const), nodes: fc.array(goString, { maxLength: 5 }) }),
  fc.record({ type: fc.constant("tag" as const), tag: goString, expr: goString }),
);

const collectionArb: fc.Arbitrary<UserEventCollection> = fc.record({
  lTime,
  events: fc.array(fc.record({ name: goString, payload: nullableBytes }), { maxLength: 3 }),
});

const memberArb: fc.Arbitrary<SerfMember> = fc.record({
  name: goString,
  addr: ip,
  port: u16,
  tags: stringMap,
  status: fc.integer({ min: -5, max: 10 }),
  protocolMin: u8,
  protocolMax: u8,
  protocolCur: u8,
  delegateMin: u8,
  delegateMax: u8,
  delegateCur: u8,
});

const queryArb: fc.Arbitrary<QueryMessage> = fc.record({
  type: fc.constant("query" as const),
  lTime,
  id: u32,
  addr: ip,
  port: u16,
  sourceNode: goString,
  filters: fc.option(
    fc.array(
      fc.oneof(
        filterArb.map(encodeFilter),
        bytes, // undecodable filters stay raw bytes
      ),
      { maxLength: 4 },
    ),
    { nil: null },
  ),
  flags: u32,
  relayFactor: u8,
  timeoutNs: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  name: goString,
  payload: nullableBytes,
});

const messageArb: fc.Arbitrary<SerfMessage> = fc.oneof(
  fc.record({ type: fc.constant("leave" as const), lTime, node: goString, prune: fc.boolean() }),
  fc.record({ type: fc.constant("join" as const), lTime, node: goString }),
  fc.record({
    type: fc.constant("push-pull" as const),
    lTime,
    statusLTimes: fc
      .uniqueArray(fc.tuple(goString, lTime), { selector: (e) => e[0], maxLength: 6 })
      .map((e) => new Map(e)),
    leftMembers: fc.array(goString, { maxLength: 4 }),
    eventLTime: lTime,
    events: fc.array(fc.option(collectionArb, { nil: null }), { maxLength: 16 }),
    queryLTime: lTime,
  }),
  fc.record({
    type: fc.constant("user-event" as const),
    lTime,
    name: goString,
    payload: nullableBytes,
    cc: fc.boolean(),
  }),
  queryArb,
  fc.record({
    type: fc.constant("query-response" as const),
    lTime,
    id: u32,
    from: goString,
    flags: u32,
    payload: nullableBytes,
  }),
  fc.record({
    type: fc.constant("conflict-response" as const),
    member: fc.option(memberArb, { nil: null }),
  }),
  fc.record({ type: fc.constant("key-request" as const), key: bytes }),
  fc.record({
    type: fc.constant("key-response" as const),
    result: fc.boolean(),
    message: goString,
    keys: fc.option(fc.array(goString, { maxLength: 4 }), { nil: null }),
    primaryKey: goString,
  }),
  fc.record({
    type: fc.constant("relay" as const),
    destAddr: fc.record({ ip, port: u16, zone: goString }),
    destName: goString,
    message: bytes,
  }),
);

function expectOnlyDecodeError(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
  }
}

// ---------------------------------------------------------------------------------------------

describe("serf message codec", () => {
  it("writes the documented examples (serf.md §3)", () => {
    expect(toHex(encodeSerfMessage({ type: "join", lTime: 1, node: "node-b" }))).toBe(
      toHex(fromHex("01 82 a54c54696d65 01 a44e6f6465 a66e6f64652d62")),
    );
    expect(
      toHex(encodeSerfMessage({ type: "leave", lTime: 3, node: "node-c", prune: false })),
    ).toBe(toHex(fromHex("00 83 a54c54696d65 03 a44e6f6465 a66e6f64652d63 a55072756e65 c2")));
  });

  it("numbers the message types as serf.md §2", () => {
    expect(SerfMessageType).toEqual({
      LEAVE: 0,
      JOIN: 1,
      PUSH_PULL: 2,
      USER_EVENT: 3,
      QUERY: 4,
      QUERY_RESPONSE: 5,
      CONFLICT_RESPONSE: 6,
      KEY_REQUEST: 7,
      KEY_RESPONSE: 8,
      RELAY: 9,
    });
  });

  it("round-trips every message type", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(messageArb, (msg) => {
        seen.add(msg.type);
        const encoded = encodeSerfMessage(msg);
        const decoded = decodeSerfMessage(encoded);
        expect(decoded).toEqual(msg);
        // Byte-identical again (Map entry order included).
        expect(toHex(encodeSerfMessage(decoded))).toBe(toHex(encoded));
      }),
      { numRuns: 1000 },
    );
    expect(seen.size).toBe(10);
  });

  it("keeps a leading U+FEFF in names and tags (found by the property above)", () => {
    const msg: SerfMessage = {
      type: "conflict-response",
      member: {
        name: "\uFEFFnode",
        addr: Uint8Array.from([127, 0, 0, 1]),
        port: 7946,
        tags: new Map([["", "\uFEFF"]]),
        status: 0,
        protocolMin: 0,
        protocolMax: 0,
        protocolCur: 0,
        delegateMin: 0,
        delegateMax: 0,
        delegateCur: 0,
      },
    };
    expect(decodeSerfMessage(encodeSerfMessage(msg))).toEqual(msg);
    const event: SerfMessage = {
      type: "user-event",
      lTime: 1,
      name: "\uFEFFdeploy",
      payload: null,
      cc: false,
    };
    expect(decodeSerfMessage(encodeSerfMessage(event))).toEqual(event);
  });

  it("round-trips query filters", () => {
    fc.assert(
      fc.property(filterArb, (f) => {
        const encoded = encodeFilter(f);
        expect(decodeFilter(encoded)).toEqual(f);
        expect(toHex(encodeFilter(decodeFilter(encoded)))).toBe(toHex(encoded));
      }),
    );
  });

  it("throws only DecodeError on random bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 256 }), (t, rest) => {
        const input = new Uint8Array(rest.length + 1);
        input[0] = t;
        input.set(rest, 1);
        expectOnlyDecodeError(() => decodeSerfMessage(input));
        expectOnlyDecodeError(() => decodeFilter(rest));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (input) => {
        expectOnlyDecodeError(() => decodeSerfMessage(input));
      }),
    );
  });

  it("throws only DecodeError on mutated valid messages", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: u8 }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: u8 }),
    );
    fc.assert(
      fc.property(messageArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, muts) => {
        let b = Array.from(encodeSerfMessage(msg));
        for (const m of muts) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.kind === "set") b[at] = m.value;
          else if (m.kind === "cut") b = b.slice(0, at);
          else b.splice(at, 0, m.value);
        }
        expectOnlyDecodeError(() => decodeSerfMessage(Uint8Array.from(b)));
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects empty input, unknown types and bad bodies with DecodeError", () => {
    expect(() => decodeSerfMessage(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeSerfMessage(fromHex("0a80"))).toThrow(/unknown serf message type 10/);
    expect(() => decodeSerfMessage(fromHex("01"))).toThrow(DecodeError);
    expect(() => decodeSerfMessage(fromHex("0191"))).toThrow(DecodeError);
    // LTime beyond 2^53.
    expect(() => decodeSerfMessage(fromHex("0181a54c54696d65cf0020000000000001"))).toThrow(
      DecodeError,
    );
    // Port beyond uint16, RelayFactor beyond uint8, a non-integral float in an integer field.
    // (Go also rejects integral floats there; the msgpack reader cannot tell them apart.)
    expect(() => decodeSerfMessage(fromHex("0481a4506f7274ce00010000"))).toThrow(DecodeError);
    expect(() => decodeSerfMessage(fromHex("0481ab52656c6179466163746f72cd0100"))).toThrow(
      DecodeError,
    );
    expect(() => decodeSerfMessage(fromHex("0181a54c54696d65cb3ff8000000000000"))).toThrow(
      DecodeError,
    );
    expect(() => decodeFilter(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeFilter(fromHex("0280"))).toThrow(/unknown query filter type 2/);
    expect(() => decodeFilter(fromHex("0081"))).toThrow(DecodeError);
  });

  it("accepts what Go accepts: bin, str8, byte arrays, missing keys, nil, extra keys, trailing bytes", () => {
    const w = new MsgpackWriter("rpc");
    w.byte(SerfMessageType.USER_EVENT).mapHeader(4);
    w.str("Name").str("x".repeat(40)); // str8 in the rpc dialect
    w.str("Payload").bytes(fromHex("0102")); // bin8
    w.str("Extra").int(-1);
    w.str("CC").int(1); // bool as integer
    w.raw(fromHex("deadbeef"));
    expect(decodeSerfMessage(w.finish())).toEqual({
      type: "user-event",
      lTime: 0,
      name: "x".repeat(40),
      payload: fromHex("0102"),
      cc: true,
    });
    // Addr as an array of small integers, Filters nil, Payload missing.
    const q = new MsgpackWriter();
    q.byte(SerfMessageType.QUERY).mapHeader(2);
    q.str("Addr").arrayHeader(4).uint(127).uint(0).uint(0).uint(1);
    q.str("Filters").nil();
    const decoded = decodeSerfMessage(q.finish());
    expect(decoded).toMatchObject({
      type: "query",
      addr: fromHex("7f000001"),
      filters: null,
      payload: null,
      timeoutNs: 0,
    });
  });

  it("distinguishes nil from empty where Go does", () => {
    const base: QueryMessage = {
      type: "query",
      lTime: 1,
      id: 2,
      addr: fromHex("7f000001"),
      port: 7946,
      sourceNode: "a",
      filters: null,
      flags: 0,
      relayFactor: 0,
      timeoutNs: -5,
      name: "q",
      payload: null,
    };
    const nil = toHex(encodeSerfMessage(base));
    expect(nil).toContain(`${toHex(new TextEncoder().encode("Filters"))}c0`);
    expect(nil).toContain(`${toHex(new TextEncoder().encode("Payload"))}c0`);
    expect(nil).toContain(`${toHex(new TextEncoder().encode("Timeout"))}fb`);
    const empty = toHex(encodeSerfMessage({ ...base, filters: [], payload: new Uint8Array(0) }));
    expect(empty).toContain(`${toHex(new TextEncoder().encode("Filters"))}90`);
    expect(empty).toContain(`${toHex(new TextEncoder().encode("Payload"))}a0`);
  });

  it("writes a relay as header + raw inner message", () => {
    const inner = encodeSerfMessage({
      type: "query-response",
      lTime: 2,
      id: 7,
      from: "node-a",
      flags: 1,
      payload: null,
    });
    const relay = encodeSerfMessage({
      type: "relay",
      destAddr: { ip: fromHex("7f000002"), port: 7946, zone: "" },
      destName: "node-b",
      message: inner,
    });
    expect(toHex(relay)).toBe(
      `0982a8446573744164647283a24950a47f000002a4506f7274cd1f0aa45a6f6e65a0a8446573744e616d65a66e6f64652d62${toHex(inner)}`,
    );
    const decoded = decodeSerfMessage(relay);
    expect(decoded.type === "relay" && toHex(decoded.message)).toBe(toHex(inner));
  });

  it("rejects values that do not fit their Go types with EncodeError", () => {
    const q: QueryMessage = {
      type: "query",
      lTime: 1,
      id: 1,
      addr: fromHex("7f000001"),
      port: 7946,
      sourceNode: "a",
      filters: null,
      flags: 0,
      relayFactor: 0,
      timeoutNs: 0,
      name: "q",
      payload: null,
    };
    const bad: Partial<QueryMessage>[] = [
      { port: 65536 },
      { relayFactor: 256 },
      { id: 2 ** 32 },
      { flags: -1 },
      { lTime: 1.5 },
      { lTime: Number.MAX_SAFE_INTEGER + 1 },
      { timeoutNs: 0.5 },
    ];
    for (const b of bad) {
      expect(() => encodeSerfMessage({ ...q, ...b })).toThrow(EncodeError);
    }
  });
});
