/**
 * Property tests of the RPC codecs: every header, body and record type round-trips, struct
 * maps are written with Go's sorted keys, and random, mutated or type-confused input only ever
 * throws `DecodeError`.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../errors.ts";
import { decodeMsgpack, type MsgValue } from "../msgpack/reader.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import {
  decodeRequestBody,
  decodeResponseBody,
  encodeRequest,
  encodeRequestBody,
  encodeResponse,
  encodeResponseBody,
} from "./bodies.ts";
import {
  RPC_COMMAND_SPECS,
  type RequestBodyCommand,
  type ResponseBodyCommand,
  type RpcCommand,
  type RpcRequestBodies,
  type RpcResponseBodies,
  type RpcStreamRecords,
  type StreamCommand,
} from "./commands.ts";
import { RpcFrameReader } from "./frame-reader.ts";
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
} from "./headers.ts";
import { decodeRecord, encodeRecord, encodeRecordFrame } from "./records.ts";
import type {
  RpcCoordinate,
  KeyResponse,
  Member,
  QueryRecord,
  StatsResponse,
  StreamRecord,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Go strings: any code point (no lone surrogates), short or long (fixstr, str8, str16). */
const goString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", minLength: 30, maxLength: 300 }) },
);
const bytes = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 70_000 }) },
);
const nullableBytes = fc.option(bytes, { nil: null });
const stringMap = fc
  .uniqueArray(fc.tuple(goString, goString), { selector: ([k]) => k, maxLength: 6 })
  .map((entries) => new Map(entries));
const stringList = fc.array(goString, { maxLength: 6 });
const uint8 = fc.integer({ min: 0, max: 0xff });
const uint16 = fc.integer({ min: 0, max: 0xffff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const uint64 = fc.oneof(fc.nat(300), fc.maxSafeNat());
const int = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.maxSafeInteger());
/** Milliseconds that are whole nanoseconds within 2^51 ns, the exact range. */
const durationMs = fc.bigInt({ min: -(2n ** 51n), max: 2n ** 51n }).map((ns) => Number(ns) / 1e6);

const member: fc.Arbitrary<Member> = fc.record({
  name: goString,
  addr: fc.oneof(
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  ),
  port: uint16,
  tags: stringMap,
  status: fc.constantFrom("alive", "leaving", "left", "failed", "none"),
  protocolMin: uint8,
  protocolMax: uint8,
  protocolCur: uint8,
  delegateMin: uint8,
  delegateMax: uint8,
  delegateCur: uint8,
});
const members = fc.array(member, { maxLength: 4 });

const coordinate: fc.Arbitrary<RpcCoordinate> = fc.record({
  vec: fc.option(fc.array(fc.double(), { maxLength: 8 }), { nil: null }),
  error: fc.double(),
  adjustment: fc.double(),
  height: fc.double(),
});

const keyResponse: fc.Arbitrary<KeyResponse> = fc.record({
  keys: fc.option(
    fc
      .uniqueArray(fc.tuple(goString, int), { selector: ([k]) => k, maxLength: 4 })
      .map((e) => new Map(e)),
    { nil: null },
  ),
  messages: stringMap,
  numErr: int,
  numNodes: int,
  numResp: int,
});

const stats: fc.Arbitrary<StatsResponse> = fc
  .uniqueArray(fc.tuple(goString, stringMap), { selector: ([k]) => k, maxLength: 5 })
  .map((e) => new Map(e));

const requestBodies: { [C in RequestBodyCommand]: fc.Arbitrary<RpcRequestBodies[C]> } = {
  handshake: fc.record({ version: int32 }),
  auth: fc.record({ authKey: goString }),
  event: fc.record({ name: goString, payload: nullableBytes, coalesce: fc.boolean() }),
  "force-leave": fc.record({ node: goString, prune: fc.boolean() }),
  join: fc.record({ existing: stringList, replay: fc.boolean() }),
  "members-filtered": fc.record({ tags: stringMap, status: goString, name: goString }),
  tags: fc.record({ tags: stringMap, deleteTags: stringList }),
  stream: fc.record({ type: goString }),
  monitor: fc.record({ logLevel: goString }),
  stop: fc.record({ stop: uint64 }),
  query: fc.record({
    filterNodes: stringList,
    filterTags: stringMap,
    requestAck: fc.boolean(),
    relayFactor: uint8,
    timeoutMs: durationMs,
    name: goString,
    payload: nullableBytes,
  }),
  respond: fc.record({ id: uint64, payload: nullableBytes }),
  "install-key": fc.record({ key: goString }),
  "use-key": fc.record({ key: goString }),
  "remove-key": fc.record({ key: goString }),
  "get-coordinate": fc.record({ node: goString }),
};

const responseBodies: { [C in ResponseBodyCommand]: fc.Arbitrary<RpcResponseBodies[C]> } = {
  join: fc.record({ num: int32 }),
  members: fc.record({ members }),
  "members-filtered": fc.record({ members }),
  "install-key": keyResponse,
  "use-key": keyResponse,
  "remove-key": keyResponse,
  "list-keys": keyResponse,
  stats,
  "get-coordinate": fc.record({ coord: coordinate, ok: fc.boolean() }),
};

const streamRecord: fc.Arbitrary<StreamRecord> = fc.oneof(
  fc.record({
    event: fc.constantFrom(
      "member-join",
      "member-leave",
      "member-failed",
      "member-update",
      "member-reap",
    ) as fc.Arbitrary<"member-join">,
    members,
  }),
  fc.record({
    event: fc.constant("user" as const),
    lTime: uint64,
    name: goString,
    payload: nullableBytes,
    coalesce: fc.boolean(),
  }),
  fc.record({
    event: fc.constant("query" as const),
    id: uint64,
    lTime: uint64,
    name: goString,
    payload: nullableBytes,
  }),
);

const queryRecord: fc.Arbitrary<QueryRecord> = fc.record({
  type: fc.constantFrom("ack", "response", "done"),
  from: goString,
  payload: nullableBytes,
});

const records: { [C in StreamCommand]: fc.Arbitrary<RpcStreamRecords[C]> } = {
  stream: streamRecord,
  monitor: fc.record({ log: goString }),
  query: queryRecord,
};

const requestCommands = Object.keys(requestBodies) as RequestBodyCommand[];
const responseCommands = Object.keys(responseBodies) as ResponseBodyCommand[];
const streamCommands = Object.keys(records) as StreamCommand[];

// ---------------------------------------------------------------------------------------------
// Helpers

/** Maps as entry lists and bytes as hex, so that equality also checks map order. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString("hex") };
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [k, plain(x)]) };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** A struct map (and its nested structs: Members[], Coord) has its keys in byte order. */
function expectSortedStructKeys(v: MsgValue): void {
  if (!(v instanceof Map)) throw new Error("not a struct map");
  const keys = [...v.keys()];
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  expect(keys).toStrictEqual(sorted);
  const members = v.get("Members");
  if (Array.isArray(members)) members.forEach(expectSortedStructKeys);
  const coord = v.get("Coord");
  if (coord !== undefined) expectSortedStructKeys(coord);
}

/** Runs `f` and fails unless it returns or throws a `DecodeError`. */
function onlyDecodeError(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
  }
}

/** Every decoder of the schema, each taking one frame. */
const decoders: ReadonlyArray<readonly [string, (frame: Uint8Array) => unknown]> = [
  ["request header", decodeRequestHeader],
  ["response header", decodeResponseHeader],
  ...requestCommands.map(
    (c) => [`${c} request`, (f: Uint8Array) => decodeRequestBody(c, f)] as const,
  ),
  ...responseCommands.map(
    (c) => [`${c} response`, (f: Uint8Array) => decodeResponseBody(c, f)] as const,
  ),
  ...streamCommands.map((c) => [`${c} record`, (f: Uint8Array) => decodeRecord(c, f)] as const),
];

/** Arbitrary msgpack values (every family the agent or a client could send). */
const msgValue: fc.Arbitrary<MsgValue> = fc.letrec<{ value: MsgValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -200, max: 70_000 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.double(),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), tie("value")), {
        selector: ([k]) => k,
        maxLength: 4,
      })
      .map((e) => new Map(e)),
  ),
})).value;

/** Writes any msgpack value; `Uint8Array` alternates between str and bin. */
function writeValue(w: MsgpackWriter, v: MsgValue, asBin: boolean): void {
  if (v === null) w.nil();
  else if (typeof v === "boolean") w.bool(v);
  else if (typeof v === "bigint") w.int(v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) w.int(v);
    else w.float64(v);
  } else if (v instanceof Uint8Array) {
    if (asBin) w.bytes(v);
    else w.str(v);
  } else if (Array.isArray(v)) {
    w.arrayHeader(v.length);
    for (const x of v) writeValue(w, x, !asBin);
  } else {
    w.mapHeader(v.size);
    for (const [k, x] of v) {
      w.str(k);
      writeValue(w, x, !asBin);
    }
  }
}

function encodeValue(v: MsgValue, asBin = false): Uint8Array {
  const w = new MsgpackWriter("rpc");
  writeValue(w, v, asBin);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------

describe("rpc codecs: round trips", () => {
  it("request and response headers", () => {
    fc.assert(
      fc.property(goString, uint64, (s, seq) => {
        const req = { command: s, seq };
        expect(decodeRequestHeader(encodeRequestHeader(req))).toStrictEqual(req);
        const resp = { error: s, seq };
        expect(decodeResponseHeader(encodeResponseHeader(resp))).toStrictEqual(resp);
        expectSortedStructKeys(decodeMsgpack(encodeRequestHeader(req)));
        expectSortedStructKeys(decodeMsgpack(encodeResponseHeader(resp)));
      }),
    );
  });

  for (const command of requestCommands) {
    it(`${command} request body`, () => {
      const arb = requestBodies[command] as fc.Arbitrary<RpcRequestBodies[typeof command]>;
      fc.assert(
        fc.property(arb, uint64, (body, seq) => {
          const bytes = encodeRequestBody(command, body);
          expect(plain(decodeRequestBody(command, bytes))).toStrictEqual(plain(body));
          expectSortedStructKeys(decodeMsgpack(bytes));
          // The whole request is the header followed by the body.
          const whole = (encodeRequest as (c: string, s: number, b: unknown) => Uint8Array)(
            command,
            seq,
            body,
          );
          expect(Buffer.from(whole)).toStrictEqual(
            Buffer.concat([encodeRequestHeader({ command, seq }), bytes]),
          );
        }),
        { numRuns: 60 },
      );
    });
  }

  for (const command of responseCommands) {
    it(`${command} response body`, () => {
      const arb = responseBodies[command] as fc.Arbitrary<RpcResponseBodies[typeof command]>;
      fc.assert(
        fc.property(arb, goString, uint64, (body, error, seq) => {
          const bytes = encodeResponseBody(command, body);
          expect(plain(decodeResponseBody(command, bytes))).toStrictEqual(plain(body));
          if (command !== "stats") expectSortedStructKeys(decodeMsgpack(bytes));
          const whole = (
            encodeResponse as (
              c: string,
              h: { error: string; seq: number },
              b: unknown,
            ) => Uint8Array
          )(command, { error, seq }, body);
          expect(Buffer.from(whole)).toStrictEqual(
            Buffer.concat([encodeResponseHeader({ error, seq }), bytes]),
          );
        }),
        { numRuns: 60 },
      );
    });
  }

  for (const command of streamCommands) {
    it(`${command} records`, () => {
      const arb = records[command] as fc.Arbitrary<RpcStreamRecords[typeof command]>;
      fc.assert(
        fc.property(arb, uint64, (record, seq) => {
          const bytes = encodeRecord(command, record);
          expect(plain(decodeRecord(command, bytes))).toStrictEqual(plain(record));
          expectSortedStructKeys(decodeMsgpack(bytes));
          expect(Buffer.from(encodeRecordFrame(command, seq, record))).toStrictEqual(
            Buffer.concat([encodeResponseHeader({ error: "", seq }), bytes]),
          );
        }),
        { numRuns: 80 },
      );
    });
  }

  it("query timeouts are whole nanoseconds on the wire", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (ms) => {
        const body = { ...minimalQuery, timeoutMs: ms };
        const wire = decodeMsgpack(encodeRequestBody("query", body)) as Map<string, MsgValue>;
        expect(wire.get("Timeout")).toBe(Math.round(ms * 1e6) + 0);
      }),
    );
  });
});

const minimalQuery = {
  filterNodes: [],
  filterTags: new Map<string, string>(),
  requestAck: false,
  relayFactor: 0,
  timeoutMs: 0,
  name: "",
  payload: null,
};

describe("rpc codecs: hostile input only throws DecodeError", () => {
  it("random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (frame) => {
        for (const [, decode] of decoders) onlyDecodeError(() => decode(frame));
      }),
      { numRuns: 400 },
    );
  });

  it("random msgpack values, and Go field names with random values", () => {
    const goFieldNames = [
      ...new Set(
        `Command Seq Error Version AuthKey Name Payload Coalesce Node Prune Existing Replay Num
         Members Addr DelegateCur DelegateMax DelegateMin Port ProtocolCur ProtocolMax
         ProtocolMin Status Tags DeleteTags Type LogLevel Stop FilterNodes FilterTags
         RequestAck RelayFactor Timeout ID Key Keys Messages NumErr NumNodes NumResp Coord Ok
         Adjustment Height Vec Event LTime From Log`.split(/\s+/),
      ),
    ];
    const structLike = fc
      .uniqueArray(fc.tuple(fc.constantFrom(...goFieldNames), msgValue), {
        selector: ([k]) => k,
        maxLength: 8,
      })
      .map((e): MsgValue => new Map(e));
    fc.assert(
      fc.property(fc.oneof(msgValue, structLike), fc.boolean(), (value, asBin) => {
        const frame = encodeValue(value, asBin);
        for (const [, decode] of decoders) onlyDecodeError(() => decode(frame));
      }),
      { numRuns: 400 },
    );
  });

  it("mutated, truncated and extended valid encodings", () => {
    const valid = fc.oneof(
      ...requestCommands.map((c) =>
        (requestBodies[c] as fc.Arbitrary<never>).map((b) => encodeRequestBody(c, b)),
      ),
      ...responseCommands.map((c) =>
        (responseBodies[c] as fc.Arbitrary<never>).map((b) => encodeResponseBody(c, b)),
      ),
      ...streamCommands.map((c) =>
        (records[c] as fc.Arbitrary<never>).map((r) => encodeRecord(c, r)),
      ),
    );
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      tail: fc.uint8Array({ maxLength: 4 }),
    });
    fc.assert(
      fc.property(valid, mutation, (frame, m) => {
        const b = Uint8Array.from(frame);
        for (const [at, value] of m.flips) if (b.length > 0) b[at % b.length] = value;
        const cut = m.cut === null ? b : b.subarray(0, m.cut % (b.length + 1));
        const mutated = Buffer.concat([cut, m.tail]);
        for (const [, decode] of decoders) onlyDecodeError(() => decode(mutated));
        const reader = new RpcFrameReader({ maxFrameBytes: 1024 });
        onlyDecodeError(() => {
          reader.push(mutated);
          reader.finish();
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe("rpc codecs: encoders reject values Go cannot hold", () => {
  it("out-of-range integers throw EncodeError", () => {
    const bad: Array<() => unknown> = [
      () => encodeRequestHeader({ command: "members", seq: -1 }),
      () => encodeRequestHeader({ command: "members", seq: 2 ** 53 }),
      () => encodeRequestBody("handshake", { version: 2 ** 31 }),
      () => encodeRequestBody("query", { ...minimalQuery, relayFactor: 256 }),
      () => encodeRequestBody("query", { ...minimalQuery, timeoutMs: Number.NaN }),
      () => encodeRequestBody("query", { ...minimalQuery, timeoutMs: 2 ** 63 / 1e6 }),
      () => encodeRequestBody("stop", { stop: 1.5 }),
      () => encodeResponseBody("join", { num: 2 ** 31 }),
      () => encodeRecord("query", { type: "bogus" as "ack", from: "", payload: null }),
      () => encodeRecord("stream", { event: "member-bogus" as "member-join", members: [] }),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: "SERF_ERR_ENCODE" }));
  });

  it("a huge but valid timeout is written as int64", () => {
    const ms = 2 ** 62 / 1e6;
    const wire = decodeMsgpack(encodeRequestBody("query", { ...minimalQuery, timeoutMs: ms }));
    expect((wire as Map<string, MsgValue>).get("Timeout")).toBe(2n ** 62n);
    expect(
      decodeRequestBody("query", encodeRequestBody("query", { ...minimalQuery, timeoutMs: ms }))
        .timeoutMs,
    ).toBe(ms);
  });
});

describe("rpc codecs: lenient decoding (what Go accepts)", () => {
  const w = () => new MsgpackWriter("rpc");

  it("missing keys and nil are zero values; unknown keys are ignored", () => {
    const frame = w().mapHeader(2).str("Bogus").int(5).str("Payload").nil().finish();
    expect(decodeRequestBody("event", frame)).toStrictEqual({
      name: "",
      payload: null,
      coalesce: false,
    });
    expect(decodeResponseBody("get-coordinate", w().nil().finish())).toStrictEqual({
      coord: { vec: null, error: 0, adjustment: 0, height: 0 },
      ok: false,
    });
    expect(decodeResponseBody("stats", w().nil().finish())).toStrictEqual(new Map());
  });

  it("[]byte fields accept str as well as bin; ints any width; floats accept ints", () => {
    const event = w().mapHeader(3);
    event.str("Name").str("deploy").str("Payload").str("v1").str("Coalesce").int(1);
    expect(decodeRequestBody("event", event.finish())).toStrictEqual({
      name: "deploy",
      payload: Uint8Array.from(Buffer.from("v1")),
      coalesce: true,
    });
    // Seq as uint64 cf, Timeout as int64 d3.
    const seq = Uint8Array.from([0x82, 0xa7, ...Buffer.from("Command"), 0xa0, 0xa3]);
    const header = Buffer.concat([
      seq,
      Buffer.from("Seq"),
      Buffer.from([0xcf, 0, 0, 0, 0, 0, 0, 0, 9]),
    ]);
    expect(decodeRequestHeader(header)).toStrictEqual({ command: "", seq: 9 });
    const q = w()
      .mapHeader(1)
      .str("Timeout")
      .raw(Uint8Array.from([0xd3, 0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0]))
      .finish();
    expect(decodeRequestBody("query", q).timeoutMs).toBe(1000);
    const coord = w().mapHeader(2).str("Coord").mapHeader(2).str("Height").int(2).str("Vec");
    coord.arrayHeader(2).int(1).float64(0.5).str("Ok").bool(true);
    expect(decodeResponseBody("get-coordinate", coord.finish())).toStrictEqual({
      coord: { vec: [1, 0.5], error: 0, adjustment: 0, height: 2 },
      ok: true,
    });
  });

  it("rejects values a Go field cannot hold", () => {
    const cases = [
      w().mapHeader(1).str("Seq").int(-1).finish(),
      w().mapHeader(1).str("Seq").str("1").finish(),
      w()
        .mapHeader(1)
        .str("Seq")
        .uint(2n ** 60n)
        .finish(),
      w().arrayHeader(0).finish(),
    ];
    for (const frame of cases) expect(() => decodeRequestHeader(frame)).toThrow(DecodeError);
    const relay = w().mapHeader(1).str("RelayFactor").int(256).finish();
    expect(() => decodeRequestBody("query", relay)).toThrow(DecodeError);
    const event = w().mapHeader(1).str("Event").str("member-bogus").finish();
    expect(() => decodeRecord("stream", event)).toThrow(DecodeError);
    const type = w().mapHeader(1).str("Type").str("bogus").finish();
    expect(() => decodeRecord("query", type)).toThrow(DecodeError);
    const trailing = Buffer.concat([encodeResponseHeader({ error: "", seq: 1 }), Buffer.from([0])]);
    expect(() => decodeResponseHeader(trailing)).toThrow(DecodeError);
  });

  it("decoders of commands without that body throw", () => {
    const frame = encodeResponseHeader({ error: "", seq: 1 });
    const anyCommand = "leave" as RpcCommand;
    expect(RPC_COMMAND_SPECS.leave.requestBody).toBe(false);
    expect(() => decodeRequestBody(anyCommand as RequestBodyCommand, frame)).toThrow(DecodeError);
    expect(() => decodeResponseBody(anyCommand as ResponseBodyCommand, frame)).toThrow(DecodeError);
    expect(() => decodeRecord(anyCommand as StreamCommand, frame)).toThrow(DecodeError);
  });
});
