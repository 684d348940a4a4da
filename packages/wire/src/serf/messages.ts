/**
 * Codecs of serf 0.9.4 messages: one serf type byte followed by a msgpack map keyed by the Go
 * field names in Go's (sorted) order, written in the "gossip" dialect so the output is
 * byte-identical to Go's. Relay messages carry a second, raw serf message after the header.
 */

import { DecodeError, EncodeError } from "../errors.ts";
import {
  type DecodeLimits,
  describeMsgValue,
  MsgpackReader,
  type MsgValue,
  utf8Decode,
} from "../msgpack/reader.ts";
import { UINT8_MAX, UINT16_MAX, UINT32_MAX, writeUint } from "../msgpack/checked.ts";
import { StructReader } from "../msgpack/struct.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";
import {
  type ConflictResponseMessage,
  FilterType,
  type JoinMessage,
  type KeyRequestMessage,
  type KeyResponseMessage,
  type LeaveMessage,
  type PushPullState,
  type QueryFilter,
  type QueryMessage,
  type QueryResponseMessage,
  type RelayDestAddr,
  type RelayMessage,
  type SerfMember,
  type SerfMessage,
  SerfMessageType,
  type UserEventCollection,
  type UserEventEntry,
  type UserEventMessage,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Encoding

function writeLTime(w: MsgpackWriter, value: number, what: string): void {
  writeUint(w, value, Number.MAX_SAFE_INTEGER, what);
}

/** Writes a Go `map[string]string` in the Map's order. */
function writeStringMap(w: MsgpackWriter, m: ReadonlyMap<string, string>): void {
  w.mapHeader(m.size);
  for (const [k, v] of m) w.str(k).str(v);
}

function writeLeave(w: MsgpackWriter, m: LeaveMessage): void {
  w.mapHeader(3);
  w.str("LTime");
  writeLTime(w, m.lTime, "leave.lTime");
  w.str("Node").str(m.node);
  w.str("Prune").bool(m.prune);
}

function writeJoin(w: MsgpackWriter, m: JoinMessage): void {
  w.mapHeader(2);
  w.str("LTime");
  writeLTime(w, m.lTime, "join.lTime");
  w.str("Node").str(m.node);
}

function writeUserEventEntry(w: MsgpackWriter, e: UserEventEntry): void {
  w.mapHeader(2);
  w.str("Name").str(e.name);
  w.str("Payload").bytes(e.payload);
}

function writeUserEventCollection(w: MsgpackWriter, c: UserEventCollection | null): void {
  if (c === null) {
    w.nil();
    return;
  }
  w.mapHeader(2);
  w.str("Events").arrayHeader(c.events.length);
  for (const e of c.events) writeUserEventEntry(w, e);
  w.str("LTime");
  writeLTime(w, c.lTime, "pushPull.events[].lTime");
}

function writePushPull(w: MsgpackWriter, m: PushPullState): void {
  w.mapHeader(6);
  w.str("EventLTime");
  writeLTime(w, m.eventLTime, "pushPull.eventLTime");
  w.str("Events").arrayHeader(m.events.length);
  for (const c of m.events) writeUserEventCollection(w, c);
  w.str("LTime");
  writeLTime(w, m.lTime, "pushPull.lTime");
  w.str("LeftMembers").stringArray(m.leftMembers);
  w.str("QueryLTime");
  writeLTime(w, m.queryLTime, "pushPull.queryLTime");
  w.str("StatusLTimes").mapHeader(m.statusLTimes.size);
  for (const [name, lTime] of m.statusLTimes) {
    w.str(name);
    writeLTime(w, lTime, "pushPull.statusLTimes[]");
  }
}

function writeUserEvent(w: MsgpackWriter, m: UserEventMessage): void {
  w.mapHeader(4);
  w.str("CC").bool(m.cc);
  w.str("LTime");
  writeLTime(w, m.lTime, "userEvent.lTime");
  w.str("Name").str(m.name);
  w.str("Payload").bytes(m.payload);
}

function writeQuery(w: MsgpackWriter, m: QueryMessage): void {
  w.mapHeader(11);
  w.str("Addr").bytes(m.addr);
  w.str("Filters");
  if (m.filters === null) {
    w.nil();
  } else {
    w.arrayHeader(m.filters.length);
    for (const f of m.filters) w.bytes(f);
  }
  w.str("Flags");
  writeUint(w, m.flags, UINT32_MAX, "query.flags");
  w.str("ID");
  writeUint(w, m.id, UINT32_MAX, "query.id");
  w.str("LTime");
  writeLTime(w, m.lTime, "query.lTime");
  w.str("Name").str(m.name);
  w.str("Payload").bytes(m.payload);
  w.str("Port");
  writeUint(w, m.port, UINT16_MAX, "query.port");
  w.str("RelayFactor");
  writeUint(w, m.relayFactor, UINT8_MAX, "query.relayFactor");
  w.str("SourceNode").str(m.sourceNode);
  w.str("Timeout").int(m.timeoutNs);
}

function writeQueryResponse(w: MsgpackWriter, m: QueryResponseMessage): void {
  w.mapHeader(5);
  w.str("Flags");
  writeUint(w, m.flags, UINT32_MAX, "queryResponse.flags");
  w.str("From").str(m.from);
  w.str("ID");
  writeUint(w, m.id, UINT32_MAX, "queryResponse.id");
  w.str("LTime");
  writeLTime(w, m.lTime, "queryResponse.lTime");
  w.str("Payload").bytes(m.payload);
}

function writeMember(w: MsgpackWriter, m: SerfMember): void {
  w.mapHeader(11);
  w.str("Addr").bytes(m.addr);
  w.str("DelegateCur");
  writeUint(w, m.delegateCur, UINT8_MAX, "member.delegateCur");
  w.str("DelegateMax");
  writeUint(w, m.delegateMax, UINT8_MAX, "member.delegateMax");
  w.str("DelegateMin");
  writeUint(w, m.delegateMin, UINT8_MAX, "member.delegateMin");
  w.str("Name").str(m.name);
  w.str("Port");
  writeUint(w, m.port, UINT16_MAX, "member.port");
  w.str("ProtocolCur");
  writeUint(w, m.protocolCur, UINT8_MAX, "member.protocolCur");
  w.str("ProtocolMax");
  writeUint(w, m.protocolMax, UINT8_MAX, "member.protocolMax");
  w.str("ProtocolMin");
  writeUint(w, m.protocolMin, UINT8_MAX, "member.protocolMin");
  w.str("Status").int(m.status);
  w.str("Tags");
  writeStringMap(w, m.tags);
}

function writeConflictResponse(w: MsgpackWriter, m: ConflictResponseMessage): void {
  if (m.member === null) w.nil();
  else writeMember(w, m.member);
}

function writeKeyRequest(w: MsgpackWriter, m: KeyRequestMessage): void {
  w.mapHeader(1);
  w.str("Key").bytes(m.key);
}

function writeKeyResponse(w: MsgpackWriter, m: KeyResponseMessage): void {
  w.mapHeader(4);
  w.str("Keys").stringArray(m.keys);
  w.str("Message").str(m.message);
  w.str("PrimaryKey").str(m.primaryKey);
  w.str("Result").bool(m.result);
}

function writeRelay(w: MsgpackWriter, m: RelayMessage): void {
  w.mapHeader(2);
  w.str("DestAddr").mapHeader(3);
  w.str("IP").bytes(m.destAddr.ip);
  w.str("Port");
  writeUint(w, m.destAddr.port, UINT16_MAX, "relay.destAddr.port");
  w.str("Zone").str(m.destAddr.zone);
  w.str("DestName").str(m.destName);
  w.raw(m.message);
}

/**
 * Encodes a serf message: type byte + msgpack body (keys in Go's order, Go maps in the
 * given Maps' order). Throws `EncodeError` for values that do not fit their Go types.
 */
export function encodeSerfMessage(msg: SerfMessage): Uint8Array {
  const w = new MsgpackWriter("gossip");
  switch (msg.type) {
    case "leave":
      w.byte(SerfMessageType.LEAVE);
      writeLeave(w, msg);
      break;
    case "join":
      w.byte(SerfMessageType.JOIN);
      writeJoin(w, msg);
      break;
    case "push-pull":
      w.byte(SerfMessageType.PUSH_PULL);
      writePushPull(w, msg);
      break;
    case "user-event":
      w.byte(SerfMessageType.USER_EVENT);
      writeUserEvent(w, msg);
      break;
    case "query":
      w.byte(SerfMessageType.QUERY);
      writeQuery(w, msg);
      break;
    case "query-response":
      w.byte(SerfMessageType.QUERY_RESPONSE);
      writeQueryResponse(w, msg);
      break;
    case "conflict-response":
      w.byte(SerfMessageType.CONFLICT_RESPONSE);
      writeConflictResponse(w, msg);
      break;
    case "key-request":
      w.byte(SerfMessageType.KEY_REQUEST);
      writeKeyRequest(w, msg);
      break;
    case "key-response":
      w.byte(SerfMessageType.KEY_RESPONSE);
      writeKeyResponse(w, msg);
      break;
    case "relay":
      w.byte(SerfMessageType.RELAY);
      writeRelay(w, msg);
      break;
    default: {
      const never: never = msg;
      throw new EncodeError(`unknown serf message ${String((never as { type: unknown }).type)}`);
    }
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A Go `[]byte` element of a slice: str, bin or an array of small integers. */
function toBytes(v: MsgValue, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v === null) return new Uint8Array(0);
  if (Array.isArray(v)) {
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 255) {
        throw new DecodeError(
          `${what}: expected bytes, got an array holding ${describeMsgValue(x ?? null)}`,
        );
      }
      out[i] = x;
    }
    return out;
  }
  throw new DecodeError(`${what}: expected bytes, got ${describeMsgValue(v)}`);
}

function toLTime(v: MsgValue, what: string): number {
  if (v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    return v;
  }
  if (typeof v === "bigint") throw new DecodeError(`${what}: ${v} is beyond 2^53`);
  throw new DecodeError(`${what}: expected an unsigned integer, got ${describeMsgValue(v)}`);
}

function readLeave(r: StructReader): LeaveMessage {
  return {
    type: "leave",
    lTime: r.uint64("LTime"),
    node: r.str("Node"),
    prune: r.bool("Prune"),
  };
}

function readJoin(r: StructReader): JoinMessage {
  return { type: "join", lTime: r.uint64("LTime"), node: r.str("Node") };
}

function readUserEventCollection(v: MsgValue): UserEventCollection | null {
  if (v === null) return null;
  const r = new StructReader(v, "messagePushPull.Events[]");
  const events = r.array("Events").map((e): UserEventEntry => {
    const er = new StructReader(e, "userEvent");
    return { name: er.str("Name"), payload: er.bytesOrNull("Payload") };
  });
  return { lTime: r.uint64("LTime"), events };
}

function readPushPull(r: StructReader): PushPullState {
  const statusLTimes = new Map<string, number>();
  for (const [name, v] of r.map("StatusLTimes")) {
    statusLTimes.set(name, toLTime(v, "messagePushPull.StatusLTimes"));
  }
  return {
    type: "push-pull",
    lTime: r.uint64("LTime"),
    statusLTimes,
    leftMembers: r.stringArray("LeftMembers"),
    eventLTime: r.uint64("EventLTime"),
    events: r.array("Events").map(readUserEventCollection),
    queryLTime: r.uint64("QueryLTime"),
  };
}

function readUserEvent(r: StructReader): UserEventMessage {
  return {
    type: "user-event",
    lTime: r.uint64("LTime"),
    name: r.str("Name"),
    payload: r.bytesOrNull("Payload"),
    cc: r.bool("CC"),
  };
}

function readQuery(r: StructReader): QueryMessage {
  const rawFilters = r.fields.get("Filters");
  let filters: Uint8Array[] | null = null;
  if (rawFilters !== undefined && rawFilters !== null) {
    if (!Array.isArray(rawFilters)) {
      throw new DecodeError(
        `messageQuery.Filters: expected an array, got ${describeMsgValue(rawFilters)}`,
      );
    }
    filters = rawFilters.map((f) => toBytes(f, "messageQuery.Filters[]"));
  }
  return {
    type: "query",
    lTime: r.uint64("LTime"),
    id: r.uint("ID", UINT32_MAX),
    addr: r.bytes("Addr"),
    port: r.uint("Port", UINT16_MAX),
    sourceNode: r.str("SourceNode"),
    filters,
    flags: r.uint("Flags", UINT32_MAX),
    relayFactor: r.uint("RelayFactor", UINT8_MAX),
    timeoutNs: r.int("Timeout"),
    name: r.str("Name"),
    payload: r.bytesOrNull("Payload"),
  };
}

function readQueryResponse(r: StructReader): QueryResponseMessage {
  return {
    type: "query-response",
    lTime: r.uint64("LTime"),
    id: r.uint("ID", UINT32_MAX),
    from: r.str("From"),
    flags: r.uint("Flags", UINT32_MAX),
    payload: r.bytesOrNull("Payload"),
  };
}

function readMember(r: StructReader): SerfMember {
  return {
    name: r.str("Name"),
    addr: r.bytes("Addr"),
    port: r.uint("Port", UINT16_MAX),
    tags: r.stringMap("Tags"),
    status: r.int("Status"),
    protocolMin: r.uint("ProtocolMin", UINT8_MAX),
    protocolMax: r.uint("ProtocolMax", UINT8_MAX),
    protocolCur: r.uint("ProtocolCur", UINT8_MAX),
    delegateMin: r.uint("DelegateMin", UINT8_MAX),
    delegateMax: r.uint("DelegateMax", UINT8_MAX),
    delegateCur: r.uint("DelegateCur", UINT8_MAX),
  };
}

function readKeyRequest(r: StructReader): KeyRequestMessage {
  return { type: "key-request", key: r.bytes("Key") };
}

function readKeyResponse(r: StructReader): KeyResponseMessage {
  return {
    type: "key-response",
    result: r.bool("Result"),
    message: r.str("Message"),
    keys: r.has("Keys") ? r.stringArray("Keys") : null,
    primaryKey: r.str("PrimaryKey"),
  };
}

function readRelayHeader(v: MsgValue): { destAddr: RelayDestAddr; destName: string } {
  const r = new StructReader(v, "relayHeader");
  const a = r.struct("DestAddr", "DestAddr");
  const destAddr: RelayDestAddr =
    a === undefined
      ? { ip: new Uint8Array(0), port: 0, zone: "" }
      : { ip: a.bytes("IP"), port: a.uint("Port", UINT16_MAX), zone: a.str("Zone") };
  return { destAddr, destName: r.str("DestName") };
}

/**
 * Decodes a serf message (type byte + msgpack body). Like Go, bytes after the msgpack body
 * are ignored (except for relays, where they are the inner message). Unknown type bytes,
 * malformed msgpack and values that do not fit their Go types throw `DecodeError` (the only
 * error this function throws).
 */
export function decodeSerfMessage(
  bytes: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): SerfMessage {
  if (bytes.length === 0) throw new DecodeError("empty serf message");
  const type = bytes[0]!;
  if (type > SerfMessageType.RELAY) throw new DecodeError(`unknown serf message type ${type}`);
  const reader = new MsgpackReader(bytes, 1, limits);
  const body = reader.read();
  switch (type) {
    case SerfMessageType.LEAVE:
      return readLeave(new StructReader(body, "messageLeave"));
    case SerfMessageType.JOIN:
      return readJoin(new StructReader(body, "messageJoin"));
    case SerfMessageType.PUSH_PULL:
      return readPushPull(new StructReader(body, "messagePushPull"));
    case SerfMessageType.USER_EVENT:
      return readUserEvent(new StructReader(body, "messageUserEvent"));
    case SerfMessageType.QUERY:
      return readQuery(new StructReader(body, "messageQuery"));
    case SerfMessageType.QUERY_RESPONSE:
      return readQueryResponse(new StructReader(body, "messageQueryResponse"));
    case SerfMessageType.CONFLICT_RESPONSE:
      return {
        type: "conflict-response",
        member: body === null ? null : readMember(new StructReader(body, "Member")),
      };
    case SerfMessageType.KEY_REQUEST:
      return readKeyRequest(new StructReader(body, "keyRequest"));
    case SerfMessageType.KEY_RESPONSE:
      return readKeyResponse(new StructReader(body, "nodeKeyResponse"));
    case SerfMessageType.RELAY: {
      const header = readRelayHeader(body);
      return { type: "relay", ...header, message: reader.rawBytes(reader.remaining) };
    }
    default:
      throw new DecodeError(`unknown serf message type ${type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Query filters

/** Encodes one query filter: filter type byte + msgpack (`[]string` or `{Expr, Tag}`). */
export function encodeFilter(filter: QueryFilter): Uint8Array {
  const w = new MsgpackWriter("gossip");
  if (filter.type === "node") {
    w.byte(FilterType.NODE).stringArray(filter.nodes);
  } else {
    w.byte(FilterType.TAG).mapHeader(2);
    w.str("Expr").str(filter.expr);
    w.str("Tag").str(filter.tag);
  }
  return w.finish();
}

/**
 * Decodes one element of `QueryMessage.filters`. Throws `DecodeError` for an empty,
 * malformed or unknown filter (Go then does not process the query).
 */
export function decodeFilter(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): QueryFilter {
  if (bytes.length === 0) throw new DecodeError("empty query filter");
  const type = bytes[0]!;
  const body = new MsgpackReader(bytes, 1, limits).read();
  switch (type) {
    case FilterType.NODE: {
      if (body === null) return { type: "node", nodes: [] };
      if (!Array.isArray(body)) {
        throw new DecodeError(`node filter: expected an array, got ${describeMsgValue(body)}`);
      }
      const nodes = body.map((x) => {
        if (x === null) return "";
        if (x instanceof Uint8Array) return utf8Decode(x);
        throw new DecodeError(`node filter: expected strings, got ${describeMsgValue(x)}`);
      });
      return { type: "node", nodes };
    }
    case FilterType.TAG: {
      const r = new StructReader(body, "filterTag");
      return { type: "tag", tag: r.str("Tag"), expr: r.str("Expr") };
    }
    default:
      throw new DecodeError(`unknown query filter type ${type}`);
  }
}
