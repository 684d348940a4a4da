/**
 * memberlist 0.2.2 message codecs: one type byte followed by the msgpack body (memberlist.md
 * §3-§4), byte-identical to what Go writes and as lenient as Go when reading.
 *
 * Encoding: struct maps with Go's sorted keys, the gossip dialect (str family for strings and
 * `[]byte`, no str8), `omitempty` only where Go has it (`SourceAddr`, `SourcePort`,
 * `SourceNode` of ping and indirect ping).
 *
 * Decoding follows go-msgpack 0.5.5: exact-name keys, unknown keys skipped, missing keys and
 * nil give zero values, a struct may also come as an array of its fields in Go declaration
 * order, and bytes after the body are ignored. Every failure is a `DecodeError`.
 */

import { DecodeError, EncodeError } from "../errors.ts";
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  type MsgMap,
  MsgpackReader,
  type MsgValue,
  msgpackValueEnd,
} from "../msgpack/reader.ts";
import { StructReader } from "../msgpack/struct.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import {
  type AckMessage,
  type AliveMessage,
  type DeadMessage,
  type ErrorMessage,
  type IndirectPingMessage,
  type MemberlistMessage,
  MessageType,
  type NackMessage,
  type NodeStateCode,
  type PingMessage,
  type PushNodeState,
  type PushPullMessage,
  type SuspectMessage,
} from "./types.ts";

/** Bounds for decoding untrusted messages: msgpack bounds plus push/pull sizes. */
export interface MessageDecodeLimits extends DecodeLimits {
  /** Most node states a push/pull may announce. @default 1_048_576 */
  readonly maxPushPullNodes: number;
  /** Largest push/pull user state (and stream user message) in bytes. @default 20 MiB */
  readonly maxUserStateBytes: number;
}

export const DEFAULT_MESSAGE_DECODE_LIMITS: MessageDecodeLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxPushPullNodes: 1 << 20,
  maxUserStateBytes: 20 * 1024 * 1024,
};

/** Fills in the defaults of a partial limits object. */
export function messageDecodeLimits(
  limits: Partial<MessageDecodeLimits> = {},
): MessageDecodeLimits {
  return { ...DEFAULT_MESSAGE_DECODE_LIMITS, ...limits };
}

// Go declaration order of each wire struct: the field order of the array form.
const PING_FIELDS = ["SeqNo", "Node", "SourceAddr", "SourcePort", "SourceNode"];
const INDIRECT_PING_FIELDS = [
  "SeqNo",
  "Target",
  "Port",
  "Node",
  "Nack",
  "SourceAddr",
  "SourcePort",
  "SourceNode",
];
const ACK_FIELDS = ["SeqNo", "Payload"];
const NACK_FIELDS = ["SeqNo"];
const ERR_FIELDS = ["Error"];
const SUSPECT_FIELDS = ["Incarnation", "Node", "From"];
const ALIVE_FIELDS = ["Incarnation", "Node", "Addr", "Port", "Meta", "Vsn"];
const PUSH_PULL_HEADER_FIELDS = ["Nodes", "UserStateLen", "Join"];
const PUSH_NODE_STATE_FIELDS = ["Name", "Addr", "Port", "Meta", "Incarnation", "State", "Vsn"];
const USER_MSG_HEADER_FIELDS = ["UserMsgLen"];
const COMPRESS_FIELDS = ["Algo", "Buf"];

/**
 * A `StructReader` over a decoded Go struct, accepting what go-msgpack accepts: a map, an
 * array of the fields in declaration order (extra elements skipped, missing ones zero), or
 * nil (all zero).
 */
export function goStruct(
  value: MsgValue,
  typeName: string,
  fields: readonly string[],
): StructReader {
  if (value === null) return new StructReader(new Map(), typeName);
  if (Array.isArray(value)) {
    const map: MsgMap = new Map();
    const n = Math.min(value.length, fields.length);
    for (let i = 0; i < n; i++) map.set(fields[i]!, value[i]!);
    return new StructReader(map, typeName);
  }
  return new StructReader(value, typeName);
}

/** Reads one msgpack value at `offset` (trailing bytes are the caller's business). */
function readValue(
  bytes: Uint8Array,
  offset: number,
  limits: DecodeLimits,
): { value: MsgValue; end: number } {
  const reader = new MsgpackReader(bytes, offset, limits);
  const value = reader.read();
  return { value, end: reader.offset };
}

/** Decodes the Go struct whose msgpack value starts at `offset`. */
export function readGoStruct(
  bytes: Uint8Array,
  offset: number,
  typeName: string,
  fields: readonly string[],
  limits: Partial<DecodeLimits> = {},
): { struct: StructReader; end: number } {
  const { value, end } = readValue(bytes, offset, { ...DEFAULT_DECODE_LIMITS, ...limits });
  return { struct: goStruct(value, typeName, fields), end };
}

// ---------------------------------------------------------------------------------------------
// Encoding

function checkUint(what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(`${what} must be an integer in [0, ${max}], got ${v}`);
  }
  return v;
}

const U16 = 0xffff;
const U32 = 0xffffffff;

function begin(type: number): MsgpackWriter {
  return new MsgpackWriter("gossip").byte(type);
}

function encodePing(m: PingMessage): Uint8Array {
  const hasAddr = m.sourceAddr !== null && m.sourceAddr.length > 0;
  const hasPort = checkUint("ping.sourcePort", m.sourcePort, U16) !== 0;
  const hasNode = m.sourceNode !== "";
  const w = begin(MessageType.PING);
  w.mapHeader(2 + Number(hasAddr) + Number(hasPort) + Number(hasNode));
  w.str("Node").str(m.node);
  w.str("SeqNo").uint(checkUint("ping.seqNo", m.seqNo, U32));
  if (hasAddr) w.str("SourceAddr").bytes(m.sourceAddr);
  if (hasNode) w.str("SourceNode").str(m.sourceNode);
  if (hasPort) w.str("SourcePort").uint(m.sourcePort);
  return w.finish();
}

function encodeIndirectPing(m: IndirectPingMessage): Uint8Array {
  const hasAddr = m.sourceAddr !== null && m.sourceAddr.length > 0;
  const hasPort = checkUint("indirectPing.sourcePort", m.sourcePort, U16) !== 0;
  const hasNode = m.sourceNode !== "";
  const w = begin(MessageType.INDIRECT_PING);
  w.mapHeader(5 + Number(hasAddr) + Number(hasPort) + Number(hasNode));
  w.str("Nack").bool(m.nack);
  w.str("Node").str(m.node);
  w.str("Port").uint(checkUint("indirectPing.port", m.port, U16));
  w.str("SeqNo").uint(checkUint("indirectPing.seqNo", m.seqNo, U32));
  if (hasAddr) w.str("SourceAddr").bytes(m.sourceAddr);
  if (hasNode) w.str("SourceNode").str(m.sourceNode);
  if (hasPort) w.str("SourcePort").uint(m.sourcePort);
  w.str("Target").bytes(m.target);
  return w.finish();
}

function encodeAck(m: AckMessage): Uint8Array {
  const w = begin(MessageType.ACK).mapHeader(2);
  w.str("Payload").bytes(m.payload);
  w.str("SeqNo").uint(checkUint("ack.seqNo", m.seqNo, U32));
  return w.finish();
}

function encodeNack(m: NackMessage): Uint8Array {
  const w = begin(MessageType.NACK).mapHeader(1);
  w.str("SeqNo").uint(checkUint("nack.seqNo", m.seqNo, U32));
  return w.finish();
}

function encodeAccusation(type: number, m: SuspectMessage | DeadMessage): Uint8Array {
  const w = begin(type).mapHeader(3);
  w.str("From").str(m.from);
  w.str("Incarnation").uint(checkUint(`${m.type}.incarnation`, m.incarnation, U32));
  w.str("Node").str(m.node);
  return w.finish();
}

function encodeAlive(m: AliveMessage): Uint8Array {
  const w = begin(MessageType.ALIVE).mapHeader(6);
  w.str("Addr").bytes(m.addr);
  w.str("Incarnation").uint(checkUint("alive.incarnation", m.incarnation, U32));
  w.str("Meta").bytes(m.meta);
  w.str("Node").str(m.node);
  w.str("Port").uint(checkUint("alive.port", m.port, U16));
  w.str("Vsn").bytes(m.vsn);
  return w.finish();
}

function encodeError(m: ErrorMessage): Uint8Array {
  const w = begin(MessageType.ERR).mapHeader(1);
  w.str("Error").str(m.error);
  return w.finish();
}

function encodeUser(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = MessageType.USER;
  out.set(payload, 1);
  return out;
}

function writeNodeState(w: MsgpackWriter, n: PushNodeState): void {
  w.mapHeader(7);
  w.str("Addr").bytes(n.addr);
  w.str("Incarnation").uint(checkUint("pushNodeState.incarnation", n.incarnation, U32));
  w.str("Meta").bytes(n.meta);
  w.str("Name").str(n.name);
  w.str("Port").uint(checkUint("pushNodeState.port", n.port, U16));
  w.str("State").int(checkUint("pushNodeState.state", n.state, 3));
  w.str("Vsn").bytes(n.vsn);
}

/**
 * Encodes a push/pull message: `06`, the msgpack header `{Join, Nodes, UserStateLen}`, one
 * msgpack `pushNodeState` per node, then the raw user state.
 */
export function encodePushPull(msg: PushPullMessage): Uint8Array {
  const w = begin(MessageType.PUSH_PULL).mapHeader(3);
  w.str("Join").bool(msg.join);
  w.str("Nodes").int(msg.nodes.length);
  w.str("UserStateLen").int(msg.userState.length);
  for (const n of msg.nodes) writeNodeState(w, n);
  w.raw(msg.userState);
  return w.finish();
}

/**
 * Encodes any memberlist message as it travels in a packet (or, for ping, ack, error and
 * push/pull, as the plain content of a stream): type byte + body. A user message is `08` +
 * the raw payload (the packet form; streams use `encodeStreamUserMessage`).
 * Throws `EncodeError` for out-of-range numbers.
 */
export function encodeMessage(msg: MemberlistMessage): Uint8Array {
  switch (msg.type) {
    case "ping":
      return encodePing(msg);
    case "indirect-ping":
      return encodeIndirectPing(msg);
    case "ack":
      return encodeAck(msg);
    case "nack":
      return encodeNack(msg);
    case "suspect":
      return encodeAccusation(MessageType.SUSPECT, msg);
    case "alive":
      return encodeAlive(msg);
    case "dead":
      return encodeAccusation(MessageType.DEAD, msg);
    case "user":
      return encodeUser(msg.payload);
    case "error":
      return encodeError(msg);
    case "push-pull":
      return encodePushPull(msg);
    default:
      return unreachable(msg);
  }
}

/** A user message in its stream form: `08`, msgpack `{UserMsgLen}`, then the raw payload. */
export function encodeStreamUserMessage(payload: Uint8Array): Uint8Array {
  const w = begin(MessageType.USER).mapHeader(1);
  w.str("UserMsgLen").int(payload.length);
  w.raw(payload);
  return w.finish();
}

function unreachable(x: never): never {
  throw new EncodeError(`unknown memberlist message ${JSON.stringify(x)}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodePing(s: StructReader): PingMessage {
  return {
    type: "ping",
    seqNo: s.uint("SeqNo"),
    node: s.str("Node"),
    sourceAddr: s.bytesOrNull("SourceAddr"),
    sourcePort: s.uint("SourcePort", U16),
    sourceNode: s.str("SourceNode"),
  };
}

function decodeIndirectPing(s: StructReader): IndirectPingMessage {
  return {
    type: "indirect-ping",
    seqNo: s.uint("SeqNo"),
    target: s.bytes("Target"),
    port: s.uint("Port", U16),
    node: s.str("Node"),
    nack: s.bool("Nack"),
    sourceAddr: s.bytesOrNull("SourceAddr"),
    sourcePort: s.uint("SourcePort", U16),
    sourceNode: s.str("SourceNode"),
  };
}

function decodeAlive(s: StructReader): AliveMessage {
  return {
    type: "alive",
    incarnation: s.uint("Incarnation"),
    node: s.str("Node"),
    addr: s.bytes("Addr"),
    port: s.uint("Port", U16),
    meta: s.bytes("Meta"),
    vsn: s.bytes("Vsn"),
  };
}

/** Decodes the body (everything after the type byte) of a single-value message type. */
function decodeBody(type: number, bytes: Uint8Array, limits: DecodeLimits): MemberlistMessage {
  const value = readValue(bytes, 1, limits).value;
  switch (type) {
    case MessageType.PING:
      return decodePing(goStruct(value, "ping", PING_FIELDS));
    case MessageType.INDIRECT_PING:
      return decodeIndirectPing(goStruct(value, "indirectPingReq", INDIRECT_PING_FIELDS));
    case MessageType.ACK: {
      const s = goStruct(value, "ackResp", ACK_FIELDS);
      return { type: "ack", seqNo: s.uint("SeqNo"), payload: s.bytesOrNull("Payload") };
    }
    case MessageType.NACK:
      return { type: "nack", seqNo: goStruct(value, "nackResp", NACK_FIELDS).uint("SeqNo") };
    case MessageType.SUSPECT:
    case MessageType.DEAD: {
      const name = type === MessageType.SUSPECT ? "suspect" : "dead";
      const s = goStruct(value, name, SUSPECT_FIELDS);
      return {
        type: name,
        incarnation: s.uint("Incarnation"),
        node: s.str("Node"),
        from: s.str("From"),
      };
    }
    case MessageType.ALIVE:
      return decodeAlive(goStruct(value, "alive", ALIVE_FIELDS));
    case MessageType.ERR:
      return { type: "error", error: goStruct(value, "errResp", ERR_FIELDS).str("Error") };
    default:
      throw new DecodeError(`memberlist message type ${type} is not supported`);
  }
}

/**
 * Decodes one memberlist message (type byte + body), as Go decodes it: bytes after the body
 * are ignored, a user message is `08` + raw payload (packet form), push/pull is decoded with
 * `decodePushPull`. Compound (7), compress (9), encrypt (10), hasCrc (12) and label (244) are
 * framing layers handled by `packet.ts` / `stream.ts`, not messages: they throw here.
 * Throws only `DecodeError`.
 */
export function decodeMessage(
  bytes: Uint8Array,
  limits: Partial<MessageDecodeLimits> = {},
): MemberlistMessage {
  if (bytes.length === 0) throw new DecodeError("empty memberlist message");
  const lim = messageDecodeLimits(limits);
  const type = bytes[0]!;
  if (type === MessageType.USER) return { type: "user", payload: bytes.slice(1) };
  if (type === MessageType.PUSH_PULL) return decodePushPull(bytes, lim);
  return decodeBody(type, bytes, lim);
}

/** Converts a decoded `pushNodeState`; `undefined` for a state number Go would ignore. */
function toNodeState(s: StructReader): PushNodeState | undefined {
  const state = s.int("State");
  if (state < 0 || state > 3) return undefined;
  return {
    name: s.str("Name"),
    addr: s.bytes("Addr"),
    port: s.uint("Port", U16),
    meta: s.bytes("Meta"),
    incarnation: s.uint("Incarnation"),
    state: state as NodeStateCode,
    vsn: s.bytes("Vsn"),
  };
}

/** The decoded push/pull header. */
export interface PushPullHeader {
  readonly join: boolean;
  /** Number of node states that follow (checked against the limits). */
  readonly nodes: number;
  /** Raw user-state bytes after the node states (a negative Go value reads as 0). */
  readonly userStateLen: number;
}

/** Validates a decoded push/pull header struct against the limits. */
export function pushPullHeaderOf(s: StructReader, limits: MessageDecodeLimits): PushPullHeader {
  const nodes = s.int("Nodes");
  const userStateLen = Math.max(0, s.int("UserStateLen"));
  if (nodes < 0) throw new DecodeError(`pushPullHeader.Nodes is negative (${nodes})`);
  if (nodes > limits.maxPushPullNodes) {
    throw new DecodeError(
      `push/pull announces ${nodes} nodes, more than the limit of ${limits.maxPushPullNodes}`,
    );
  }
  if (userStateLen > limits.maxUserStateBytes) {
    throw new DecodeError(
      `push/pull user state of ${userStateLen} bytes exceeds the limit of ${limits.maxUserStateBytes}`,
    );
  }
  return { join: s.bool("Join"), nodes, userStateLen };
}

/**
 * Incremental push/pull parsing state, so that a reader fed more bytes resumes where it
 * stopped instead of re-parsing the node states it already has.
 */
export interface PushPullProgress {
  header: PushPullHeader | undefined;
  /** Offset of the next unparsed byte. */
  offset: number;
  readonly nodes: PushNodeState[];
  /** Node states parsed so far, including those dropped for an unknown state. */
  parsed: number;
}

/** A fresh progress record for a push/pull body starting at `offset` (after the type byte). */
export function pushPullProgress(offset: number): PushPullProgress {
  return { header: undefined, offset, nodes: [], parsed: 0 };
}

/**
 * Continues parsing a push/pull body in `bytes` (which may still be incomplete). Returns the
 * message and the offset just after the user state, or `undefined` when more bytes are
 * needed. Throws `DecodeError` for malformed content.
 */
export function continuePushPull(
  bytes: Uint8Array,
  progress: PushPullProgress,
  limits: MessageDecodeLimits,
): { message: PushPullMessage; end: number } | undefined {
  if (progress.header === undefined) {
    const end = msgpackValueEnd(bytes, progress.offset, limits.maxDepth);
    if (end < 0) return undefined;
    const { struct } = readGoStruct(
      bytes.subarray(0, end),
      progress.offset,
      "pushPullHeader",
      PUSH_PULL_HEADER_FIELDS,
      limits,
    );
    progress.header = pushPullHeaderOf(struct, limits);
    progress.offset = end;
  }
  const header = progress.header;
  while (progress.parsed < header.nodes) {
    const end = msgpackValueEnd(bytes, progress.offset, limits.maxDepth);
    if (end < 0) return undefined;
    const { struct } = readGoStruct(
      bytes.subarray(0, end),
      progress.offset,
      "pushNodeState",
      PUSH_NODE_STATE_FIELDS,
      limits,
    );
    // Go's merge ignores states it does not know; keep the message, drop that node.
    const node = toNodeState(struct);
    if (node !== undefined) progress.nodes.push(node);
    progress.parsed++;
    progress.offset = end;
  }
  const end = progress.offset + header.userStateLen;
  if (end > bytes.length) return undefined;
  return {
    message: {
      type: "push-pull",
      join: header.join,
      nodes: progress.nodes,
      userState: bytes.slice(progress.offset, end),
    },
    end,
  };
}

/**
 * Decodes a complete push/pull message (`06` + header + node states + user state; trailing
 * bytes ignored). Node count and user-state length are bounded by `limits` and by the input
 * size; node states with a state number other than 0-3 are dropped (Go's merge ignores them).
 * Throws only `DecodeError`.
 */
export function decodePushPull(
  bytes: Uint8Array,
  limits: Partial<MessageDecodeLimits> = {},
): PushPullMessage {
  if (bytes.length === 0 || bytes[0] !== MessageType.PUSH_PULL) {
    throw new DecodeError("not a push/pull message");
  }
  const lim = messageDecodeLimits(limits);
  const progress = pushPullProgress(1);
  const result = continuePushPull(bytes, progress, lim);
  if (result === undefined) {
    const h = progress.header;
    throw new DecodeError(
      h === undefined
        ? "truncated push/pull header"
        : progress.parsed < h.nodes
          ? `truncated push/pull: ${progress.parsed} of ${h.nodes} node states`
          : `truncated push/pull user state: need ${h.userStateLen} bytes, have ${bytes.length - progress.offset}`,
    );
  }
  return result.message;
}

/**
 * Reads the stream user-message header `{UserMsgLen}` at `offset`. Returns the payload
 * length and where the payload starts, or `undefined` if the header is incomplete.
 */
export function readStreamUserHeader(
  bytes: Uint8Array,
  offset: number,
  limits: MessageDecodeLimits,
): { length: number; start: number } | undefined {
  const end = msgpackValueEnd(bytes, offset, limits.maxDepth);
  if (end < 0) return undefined;
  const { struct } = readGoStruct(
    bytes.subarray(0, end),
    offset,
    "userMsgHeader",
    USER_MSG_HEADER_FIELDS,
    limits,
  );
  const length = Math.max(0, struct.int("UserMsgLen"));
  if (length > limits.maxUserStateBytes) {
    throw new DecodeError(
      `user message of ${length} bytes exceeds the limit of ${limits.maxUserStateBytes}`,
    );
  }
  return { length, start: end };
}

/** The `compress` struct `{Algo, Buf}` (type 9 body). */
export interface CompressBody {
  readonly algo: number;
  readonly buf: Uint8Array;
}

/** Encodes `09` + msgpack `{Algo, Buf}`. */
export function encodeCompressBody(body: CompressBody): Uint8Array {
  const w = begin(MessageType.COMPRESS).mapHeader(2);
  w.str("Algo").uint(checkUint("compress.algo", body.algo, 0xff));
  w.str("Buf").bytes(body.buf);
  return w.finish();
}

/** Decodes the `compress` struct at `offset` (just after the `09`); returns where it ended. */
export function decodeCompressBody(
  bytes: Uint8Array,
  offset: number,
  limits: Partial<DecodeLimits> = {},
): { body: CompressBody; end: number } {
  const { struct, end } = readGoStruct(bytes, offset, "compress", COMPRESS_FIELDS, limits);
  return { body: { algo: struct.uint("Algo", 0xff), buf: struct.bytes("Buf") }, end };
}
