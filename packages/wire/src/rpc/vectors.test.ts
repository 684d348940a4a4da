/**
 * Every frame of every captured agent RPC connection (`shared/protocol/vectors/rpc-*.json`)
 * decodes with the typed decoder of its role and command to the recorded value, every frame
 * the Go agent wrote re-encodes byte for byte, and the byte streams of both directions split
 * into the same frames however they are chunked.
 *
 * The expected typed values are built from the recorded `decoded` JSON by the mapping below,
 * written independently of the codecs (Go field name → camelCase field, zero value for a
 * missing key, Go maps in recorded order).
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponse,
  encodeResponseBody,
} from "./bodies.ts";
import {
  hasRequestBody,
  isStreamCommand,
  type RequestBodyCommand,
  type ResponseBodyCommand,
  responseBodyFollows,
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
import { vectorsDir } from "../testing/vectors.ts";

const VECTORS_DIR = vectorsDir();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Frame {
  readonly dir: "client->agent" | "agent->client";
  readonly role: string;
  readonly hex: string;
  readonly decoded: JsonObject;
  readonly key_order?: string[];
}

interface Connection {
  readonly closed_by_agent: boolean;
  readonly frames: Frame[];
}

interface VectorFile {
  readonly name: string;
  readonly connections: Connection[];
}

function loadRpcVectors(): VectorFile[] {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.startsWith("rpc-") && f.endsWith(".json"))
    .sort()
    .map((f) => {
      const data = JSON.parse(readFileSync(join(VECTORS_DIR, f), "utf8")) as {
        connections: Connection[];
      };
      return { name: f, connections: data.connections };
    });
}

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// ---------------------------------------------------------------------------------------------
// Recorded JSON → expected typed values

function field(d: JsonObject, key: string): Json {
  return d[key] ?? null;
}
function str(d: JsonObject, key: string): string {
  const v = field(d, key);
  return v === null ? "" : (v as string);
}
function num(d: JsonObject, key: string): number {
  const v = field(d, key);
  return v === null ? 0 : (v as number);
}
function bool(d: JsonObject, key: string): boolean {
  return field(d, key) === true;
}
function bytes(d: JsonObject, key: string): Uint8Array | null {
  const v = field(d, key);
  return v === null ? null : fromHex((v as { hex: string }).hex);
}
function strings(d: JsonObject, key: string): string[] {
  const v = field(d, key);
  return v === null ? [] : (v as string[]);
}
function object(d: JsonObject, key: string): JsonObject | null {
  return field(d, key) as JsonObject | null;
}
/** A recorded Go map in recorded order. */
function map<V>(d: JsonObject | null, order?: readonly string[]): Map<string, V> {
  if (d === null) return new Map();
  return new Map((order ?? Object.keys(d)).map((k) => [k, d[k] as V]));
}

function member(d: JsonObject) {
  return {
    name: str(d, "Name"),
    addr: bytes(d, "Addr") ?? new Uint8Array(0),
    port: num(d, "Port"),
    tags: map<string>(object(d, "Tags")),
    status: str(d, "Status"),
    protocolMin: num(d, "ProtocolMin"),
    protocolMax: num(d, "ProtocolMax"),
    protocolCur: num(d, "ProtocolCur"),
    delegateMin: num(d, "DelegateMin"),
    delegateMax: num(d, "DelegateMax"),
    delegateCur: num(d, "DelegateCur"),
  };
}

function expectedRequestBody(command: RequestBodyCommand, d: JsonObject): unknown {
  switch (command) {
    case "handshake":
      return { version: num(d, "Version") };
    case "auth":
      return { authKey: str(d, "AuthKey") };
    case "event":
      return { name: str(d, "Name"), payload: bytes(d, "Payload"), coalesce: bool(d, "Coalesce") };
    case "force-leave":
      return { node: str(d, "Node"), prune: bool(d, "Prune") };
    case "join":
      return { existing: strings(d, "Existing"), replay: bool(d, "Replay") };
    case "members-filtered":
      return {
        tags: map<string>(object(d, "Tags")),
        status: str(d, "Status"),
        name: str(d, "Name"),
      };
    case "tags":
      return { tags: map<string>(object(d, "Tags")), deleteTags: strings(d, "DeleteTags") };
    case "stream":
      return { type: str(d, "Type") };
    case "monitor":
      return { logLevel: str(d, "LogLevel") };
    case "stop":
      return { stop: num(d, "Stop") };
    case "query":
      return {
        filterNodes: strings(d, "FilterNodes"),
        filterTags: map<string>(object(d, "FilterTags")),
        requestAck: bool(d, "RequestAck"),
        relayFactor: num(d, "RelayFactor"),
        timeoutMs: num(d, "Timeout") / 1e6,
        name: str(d, "Name"),
        payload: bytes(d, "Payload"),
      };
    case "respond":
      return { id: num(d, "ID"), payload: bytes(d, "Payload") };
    case "install-key":
    case "use-key":
    case "remove-key":
      return { key: str(d, "Key") };
    case "get-coordinate":
      return { node: str(d, "Node") };
  }
}

function expectedResponseBody(
  command: ResponseBodyCommand,
  d: JsonObject,
  order: readonly string[] | undefined,
): unknown {
  switch (command) {
    case "join":
      return { num: num(d, "Num") };
    case "members":
    case "members-filtered":
      return { members: (field(d, "Members") as JsonObject[]).map(member) };
    case "install-key":
    case "use-key":
    case "remove-key":
    case "list-keys": {
      const keys = object(d, "Keys");
      return {
        keys: keys === null ? null : map<number>(keys),
        messages: map<string>(object(d, "Messages")),
        numErr: num(d, "NumErr"),
        numNodes: num(d, "NumNodes"),
        numResp: num(d, "NumResp"),
      };
    }
    case "stats":
      return new Map(
        (order ?? Object.keys(d)).map((k) => [k, map<string>(d[k] as JsonObject)] as const),
      );
    case "get-coordinate": {
      const c = object(d, "Coord") ?? {};
      return {
        coord: {
          vec: field(c, "Vec") as number[] | null,
          error: num(c, "Error"),
          adjustment: num(c, "Adjustment"),
          height: num(c, "Height"),
        },
        ok: bool(d, "Ok"),
      };
    }
  }
}

function expectedRecord(command: StreamCommand, d: JsonObject): unknown {
  switch (command) {
    case "monitor":
      return { log: str(d, "Log") };
    case "query":
      return { type: str(d, "Type"), from: str(d, "From"), payload: bytes(d, "Payload") };
    case "stream": {
      const event = str(d, "Event");
      if (event === "user") {
        return {
          event,
          lTime: num(d, "LTime"),
          name: str(d, "Name"),
          payload: bytes(d, "Payload"),
          coalesce: bool(d, "Coalesce"),
        };
      }
      if (event === "query") {
        return {
          event,
          id: num(d, "ID"),
          lTime: num(d, "LTime"),
          name: str(d, "Name"),
          payload: bytes(d, "Payload"),
        };
      }
      return { event, members: (field(d, "Members") as JsonObject[]).map(member) };
    }
  }
}

/** Maps as entry lists and bytes as hex, so that equality also checks map order. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: toHex(v) };
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [k, plain(x)]) };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Walking a connection

interface Counts {
  frames: number;
  decoded: number;
  agentReencoded: number;
  clientHeadersReencoded: number;
  clientBodiesRoundTripped: number;
  pairsReencoded: number;
}

const REQUEST_HEADER = "request header";
const REQUEST_BODY = "request body";
const RESPONSE_HEADER = "response header";
const RESPONSE_BODY = "response body / stream record";

/**
 * Decodes (and for agent frames re-encodes) every frame of `conn`, tracking per Seq which
 * request is awaiting its reply and which streams are open, to know which schema applies.
 */
function checkConnection(conn: Connection, counts: Counts): void {
  const pending = new Map<number, string>();
  const openStreams = new Map<number, StreamCommand>();
  let clientBody: RequestBodyCommand | null = null;
  type Next =
    | { kind: "body"; command: ResponseBodyCommand; header: Frame }
    | { kind: "record"; command: StreamCommand; header: Frame; seq: number };
  let agentNext: Next | null = null;

  for (const frame of conn.frames) {
    counts.frames++;
    const bytes = fromHex(frame.hex);
    if (frame.dir === "client->agent") {
      if (frame.role === REQUEST_HEADER) {
        expect(clientBody, "a request body was expected").toBeNull();
        const header = decodeRequestHeader(bytes);
        expect(header).toStrictEqual({
          command: str(frame.decoded, "Command"),
          seq: num(frame.decoded, "Seq"),
        });
        expect(toHex(encodeRequestHeader(header))).toBe(frame.hex);
        counts.clientHeadersReencoded++;
        pending.set(header.seq, header.command);
        clientBody = hasRequestBody(header.command) ? header.command : null;
      } else {
        expect(frame.role).toBe(REQUEST_BODY);
        expect(clientBody, "unexpected request body").not.toBeNull();
        const command = clientBody as RequestBodyCommand;
        const body = decodeRequestBody(command, bytes);
        expect(plain(body)).toStrictEqual(plain(expectedRequestBody(command, frame.decoded)));
        const again = decodeRequestBody(command, encodeRequestBody(command, body));
        expect(plain(again)).toStrictEqual(plain(body));
        counts.clientBodiesRoundTripped++;
        clientBody = null;
      }
      counts.decoded++;
      continue;
    }

    if (frame.role === RESPONSE_HEADER) {
      expect(agentNext, "a response body or record was expected").toBeNull();
      const header = decodeResponseHeader(bytes);
      const expected = { error: str(frame.decoded, "Error"), seq: num(frame.decoded, "Seq") };
      expect(header).toStrictEqual(expected);
      expect(toHex(encodeResponseHeader(expected))).toBe(frame.hex);
      const command = pending.get(header.seq);
      if (command !== undefined) {
        pending.delete(header.seq);
        if (isStreamCommand(command) && header.error === "") openStreams.set(header.seq, command);
        if (responseBodyFollows(command, header.error)) {
          agentNext = { kind: "body", command: command as ResponseBodyCommand, header: frame };
        } else {
          // Header-only reply: the same bytes from the whole-reply encoder.
          expect(toHex(encodeResponseForTest(command, expected))).toBe(frame.hex);
          counts.pairsReencoded++;
        }
      } else {
        const stream = openStreams.get(header.seq);
        expect(stream, `header for seq ${header.seq} matches no request or stream`).toBeDefined();
        expect(header.error).toBe("");
        agentNext = {
          kind: "record",
          command: stream as StreamCommand,
          header: frame,
          seq: header.seq,
        };
      }
    } else {
      expect(frame.role).toBe(RESPONSE_BODY);
      expect(agentNext, "unexpected response body").not.toBeNull();
      const next = agentNext as Next;
      if (next.kind === "body") {
        const body = decodeResponseBody(next.command, bytes);
        const expected = expectedResponseBody(next.command, frame.decoded, frame.key_order);
        expect(plain(body)).toStrictEqual(plain(expected));
        expect(toHex(encodeResponseBody(next.command, expected as never))).toBe(frame.hex);
        const h = decodeResponseHeader(fromHex(next.header.hex));
        expect(toHex(encodeResponse(next.command, h, expected as never))).toBe(
          next.header.hex + frame.hex,
        );
      } else {
        const record = decodeRecord(next.command, bytes);
        const expected = expectedRecord(next.command, frame.decoded);
        expect(plain(record)).toStrictEqual(plain(expected));
        expect(toHex(encodeRecord(next.command, expected as never))).toBe(frame.hex);
        expect(toHex(encodeRecordFrame(next.command, next.seq, expected as never))).toBe(
          next.header.hex + frame.hex,
        );
      }
      counts.pairsReencoded++;
      agentNext = null;
    }
    counts.decoded++;
    counts.agentReencoded++;
  }
  expect(clientBody).toBeNull();
  expect(agentNext).toBeNull();
}

/** `encodeResponse` for a command only known at run time, without a body. */
function encodeResponseForTest(command: string, header: { error: string; seq: number }) {
  return (encodeResponse as (c: string, h: typeof header) => Uint8Array)(command, header);
}

/** The bytes each side wrote, in order. */
function streamOf(conn: Connection, dir: Frame["dir"]): { bytes: Uint8Array; frames: string[] } {
  const frames = conn.frames.filter((f) => f.dir === dir).map((f) => f.hex);
  return { bytes: fromHex(frames.join("")), frames };
}

/** A deterministic PRNG (mulberry32) so a failure can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function splitRandomly(bytes: Uint8Array, random: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const n = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------

const files = loadRpcVectors();

describe("rpc vectors", () => {
  it("finds the vectors directory", () => {
    expect(existsSync(VECTORS_DIR)).toBe(true);
    expect(files.map((f) => f.name)).toStrictEqual([
      "rpc-auth.json",
      "rpc-event-stream-user.json",
      "rpc-handshake.json",
      "rpc-join.json",
      "rpc-keys-encrypted.json",
      "rpc-keys-unencrypted.json",
      "rpc-leave.json",
      "rpc-members.json",
      "rpc-monitor-stop.json",
      "rpc-query-respond.json",
      "rpc-stats-coordinate.json",
      "rpc-stream-member-tags-force-leave.json",
    ]);
  });

  const counts: Counts = {
    frames: 0,
    decoded: 0,
    agentReencoded: 0,
    clientHeadersReencoded: 0,
    clientBodiesRoundTripped: 0,
    pairsReencoded: 0,
  };

  for (const file of files) {
    file.connections.forEach((conn, i) => {
      it(`${file.name} connection ${i}: frames decode and agent frames re-encode`, () => {
        checkConnection(conn, counts);
      });
    });
  }

  it("checked every frame", () => {
    // 289 frames: 80 request headers, 70 request bodies, 98 response headers and 41 response
    // bodies / stream records.
    expect(counts).toStrictEqual({
      frames: 289,
      decoded: 289,
      agentReencoded: 139,
      clientHeadersReencoded: 80,
      clientBodiesRoundTripped: 70,
      pairsReencoded: 98,
    });
  });

  for (const file of files) {
    file.connections.forEach((conn, i) => {
      for (const dir of ["client->agent", "agent->client"] as const) {
        it(`${file.name} connection ${i} ${dir}: RpcFrameReader splits random chunks`, () => {
          const { bytes, frames } = streamOf(conn, dir);
          for (let seed = 1; seed <= 50; seed++) {
            const random = prng(seed * 7919 + i);
            const reader = new RpcFrameReader();
            const got: string[] = [];
            const maxChunk = seed <= 10 ? seed : 1 + Math.floor(random() * 600);
            for (const chunk of splitRandomly(bytes, random, maxChunk)) {
              for (const f of reader.push(chunk)) got.push(toHex(f));
            }
            reader.finish();
            expect(got).toStrictEqual(frames);
          }
        });
      }
    });
  }
});
