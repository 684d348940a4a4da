/**
 * Request and response bodies of the agent RPC commands. Each codec writes Go's field names in
 * Go's sorted key order with Go's encodings (the agent's output is byte-identical to the Go
 * agent's; requests are what the Go client writes) and reads them the way Go decodes: exact
 * field names, unknown keys ignored, missing keys are zero values, any integer width, str or
 * bin for `[]byte`.
 */

import { DecodeError, EncodeError } from "../errors.ts";
import { decodeMsgpack, describeMsgValue, type MsgValue } from "../msgpack/reader.ts";
import type { StructReader } from "../msgpack/struct.ts";
import type { MsgpackWriter } from "../msgpack/writer.ts";
import {
  type RequestBodyCommand,
  type ResponseBodyCommand,
  type RpcCommand,
  type RpcRequestBodies,
  type RpcResponseBodies,
  responseBodyFollows,
} from "./commands.ts";
import {
  INT32_MAX,
  INT32_MIN,
  readDurationMs,
  readFloatArrayOrNull,
  readIntMapOrNull,
  readStringMapValue,
  readStruct,
  rpcWriter,
  SAFE_MAX,
  type StructCodec,
  UINT8_MAX,
  UINT16_MAX,
  writeDurationMs,
  writeInt,
  writeStringArray,
  writeStringMap,
  writeUint,
} from "./codec.ts";
import { requestHeaderCodec, responseHeaderCodec } from "./headers.ts";
import type {
  AuthRequest,
  RpcCoordinate,
  CoordinateResponse,
  EventRequest,
  ForceLeaveRequest,
  GetCoordinateRequest,
  HandshakeRequest,
  JoinRequest,
  JoinResponse,
  KeyRequest,
  KeyResponse,
  Member,
  MembersFilteredRequest,
  MembersResponse,
  MonitorRequest,
  QueryRequest,
  RespondRequest,
  ResponseHeader,
  StatsResponse,
  StopRequest,
  StreamRequest,
  TagsRequest,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Request bodies

export const handshakeRequestCodec: StructCodec<HandshakeRequest> = {
  name: "handshakeRequest",
  write(w, v) {
    w.mapHeader(1).str("Version");
    writeInt(w, v.version, INT32_MIN, INT32_MAX, "handshake.version");
  },
  read: (r) => ({ version: r.int("Version", INT32_MIN, INT32_MAX) }),
};

export const authRequestCodec: StructCodec<AuthRequest> = {
  name: "authRequest",
  write(w, v) {
    w.mapHeader(1).str("AuthKey").str(v.authKey);
  },
  read: (r) => ({ authKey: r.str("AuthKey") }),
};

export const eventRequestCodec: StructCodec<EventRequest> = {
  name: "eventRequest",
  write(w, v) {
    w.mapHeader(3);
    w.str("Coalesce").bool(v.coalesce);
    w.str("Name").str(v.name);
    w.str("Payload").bytes(v.payload);
  },
  read: (r) => ({
    name: r.str("Name"),
    payload: r.bytesOrNull("Payload"),
    coalesce: r.bool("Coalesce"),
  }),
};

export const forceLeaveRequestCodec: StructCodec<ForceLeaveRequest> = {
  name: "forceLeaveRequest",
  write(w, v) {
    w.mapHeader(2);
    w.str("Node").str(v.node);
    w.str("Prune").bool(v.prune);
  },
  read: (r) => ({ node: r.str("Node"), prune: r.bool("Prune") }),
};

export const joinRequestCodec: StructCodec<JoinRequest> = {
  name: "joinRequest",
  write(w, v) {
    w.mapHeader(2);
    w.str("Existing");
    writeStringArray(w, v.existing);
    w.str("Replay").bool(v.replay);
  },
  read: (r) => ({ existing: r.stringArray("Existing"), replay: r.bool("Replay") }),
};

export const membersFilteredRequestCodec: StructCodec<MembersFilteredRequest> = {
  name: "membersFilteredRequest",
  write(w, v) {
    w.mapHeader(3);
    w.str("Name").str(v.name);
    w.str("Status").str(v.status);
    w.str("Tags");
    writeStringMap(w, v.tags);
  },
  read: (r) => ({ tags: r.stringMap("Tags"), status: r.str("Status"), name: r.str("Name") }),
};

export const tagsRequestCodec: StructCodec<TagsRequest> = {
  name: "tagsRequest",
  write(w, v) {
    w.mapHeader(2);
    w.str("DeleteTags");
    writeStringArray(w, v.deleteTags);
    w.str("Tags");
    writeStringMap(w, v.tags);
  },
  read: (r) => ({ tags: r.stringMap("Tags"), deleteTags: r.stringArray("DeleteTags") }),
};

export const streamRequestCodec: StructCodec<StreamRequest> = {
  name: "streamRequest",
  write(w, v) {
    w.mapHeader(1).str("Type").str(v.type);
  },
  read: (r) => ({ type: r.str("Type") }),
};

export const monitorRequestCodec: StructCodec<MonitorRequest> = {
  name: "monitorRequest",
  write(w, v) {
    w.mapHeader(1).str("LogLevel").str(v.logLevel);
  },
  read: (r) => ({ logLevel: r.str("LogLevel") }),
};

export const stopRequestCodec: StructCodec<StopRequest> = {
  name: "stopRequest",
  write(w, v) {
    w.mapHeader(1).str("Stop");
    writeUint(w, v.stop, SAFE_MAX, "stop.stop");
  },
  read: (r) => ({ stop: r.uint64("Stop") }),
};

export const queryRequestCodec: StructCodec<QueryRequest> = {
  name: "queryRequest",
  write(w, v) {
    w.mapHeader(7);
    w.str("FilterNodes");
    writeStringArray(w, v.filterNodes);
    w.str("FilterTags");
    writeStringMap(w, v.filterTags);
    w.str("Name").str(v.name);
    w.str("Payload").bytes(v.payload);
    w.str("RelayFactor");
    writeUint(w, v.relayFactor, UINT8_MAX, "query.relayFactor");
    w.str("RequestAck").bool(v.requestAck);
    w.str("Timeout");
    writeDurationMs(w, v.timeoutMs, "query.timeoutMs");
  },
  read: (r) => ({
    filterNodes: r.stringArray("FilterNodes"),
    filterTags: r.stringMap("FilterTags"),
    requestAck: r.bool("RequestAck"),
    relayFactor: r.uint("RelayFactor", UINT8_MAX),
    timeoutMs: readDurationMs(r, "Timeout"),
    name: r.str("Name"),
    payload: r.bytesOrNull("Payload"),
  }),
};

export const respondRequestCodec: StructCodec<RespondRequest> = {
  name: "respondRequest",
  write(w, v) {
    w.mapHeader(2).str("ID");
    writeUint(w, v.id, SAFE_MAX, "respond.id");
    w.str("Payload").bytes(v.payload);
  },
  read: (r) => ({ id: r.uint64("ID"), payload: r.bytesOrNull("Payload") }),
};

export const keyRequestCodec: StructCodec<KeyRequest> = {
  name: "keyRequest",
  write(w, v) {
    w.mapHeader(1).str("Key").str(v.key);
  },
  read: (r) => ({ key: r.str("Key") }),
};

export const getCoordinateRequestCodec: StructCodec<GetCoordinateRequest> = {
  name: "coordinateRequest",
  write(w, v) {
    w.mapHeader(1).str("Node").str(v.node);
  },
  read: (r) => ({ node: r.str("Node") }),
};

// ---------------------------------------------------------------------------------------------
// Response bodies

export const joinResponseCodec: StructCodec<JoinResponse> = {
  name: "joinResponse",
  write(w, v) {
    w.mapHeader(1).str("Num");
    writeInt(w, v.num, INT32_MIN, INT32_MAX, "join.num");
  },
  read: (r) => ({ num: r.int("Num", INT32_MIN, INT32_MAX) }),
};

export const memberCodec: StructCodec<Member> = {
  name: "Member",
  write(w, m) {
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
    w.str("Status").str(m.status);
    w.str("Tags");
    writeStringMap(w, m.tags);
  },
  read: (r) => ({
    name: r.str("Name"),
    addr: r.bytes("Addr"),
    port: r.uint("Port", UINT16_MAX),
    tags: r.stringMap("Tags"),
    status: r.str("Status"),
    protocolMin: r.uint("ProtocolMin", UINT8_MAX),
    protocolMax: r.uint("ProtocolMax", UINT8_MAX),
    protocolCur: r.uint("ProtocolCur", UINT8_MAX),
    delegateMin: r.uint("DelegateMin", UINT8_MAX),
    delegateMax: r.uint("DelegateMax", UINT8_MAX),
    delegateCur: r.uint("DelegateCur", UINT8_MAX),
  }),
};

/** Writes a Go `[]Member`. */
export function writeMembers(w: MsgpackWriter, members: readonly Member[]): void {
  w.arrayHeader(members.length);
  for (const m of members) memberCodec.write(w, m);
}

/** Reads a Go `[]Member` field (`[]` when absent or nil). */
export function readMembers(r: StructReader, name: string): Member[] {
  return r.array(name).map((v) => readStruct(memberCodec, v, `${r.typeName}.${name}[]`));
}

export const membersResponseCodec: StructCodec<MembersResponse> = {
  name: "membersResponse",
  write(w, v) {
    w.mapHeader(1).str("Members");
    writeMembers(w, v.members);
  },
  read: (r) => ({ members: readMembers(r, "Members") }),
};

export const keyResponseCodec: StructCodec<KeyResponse> = {
  name: "keyResponse",
  write(w, v) {
    w.mapHeader(5).str("Keys");
    if (v.keys === null) {
      w.nil();
    } else {
      w.mapHeader(v.keys.size);
      for (const [k, n] of v.keys) {
        w.str(k);
        writeInt(w, n, -SAFE_MAX, SAFE_MAX, "keyResponse.keys[]");
      }
    }
    w.str("Messages");
    writeStringMap(w, v.messages);
    w.str("NumErr");
    writeInt(w, v.numErr, -SAFE_MAX, SAFE_MAX, "keyResponse.numErr");
    w.str("NumNodes");
    writeInt(w, v.numNodes, -SAFE_MAX, SAFE_MAX, "keyResponse.numNodes");
    w.str("NumResp");
    writeInt(w, v.numResp, -SAFE_MAX, SAFE_MAX, "keyResponse.numResp");
  },
  read: (r) => ({
    keys: readIntMapOrNull(r, "Keys"),
    messages: r.stringMap("Messages"),
    numErr: r.int("NumErr"),
    numNodes: r.int("NumNodes"),
    numResp: r.int("NumResp"),
  }),
};

const coordinateCodec: StructCodec<RpcCoordinate> = {
  name: "Coordinate",
  write(w, c) {
    w.mapHeader(4);
    w.str("Adjustment").float64(c.adjustment);
    w.str("Error").float64(c.error);
    w.str("Height").float64(c.height);
    w.str("Vec");
    if (c.vec === null) {
      w.nil();
    } else {
      w.arrayHeader(c.vec.length);
      for (const x of c.vec) w.float64(x);
    }
  },
  read: (r) => ({
    vec: readFloatArrayOrNull(r, "Vec"),
    error: r.float("Error"),
    adjustment: r.float("Adjustment"),
    height: r.float("Height"),
  }),
};

export const coordinateResponseCodec: StructCodec<CoordinateResponse> = {
  name: "coordinateResponse",
  write(w, v) {
    w.mapHeader(2).str("Coord");
    coordinateCodec.write(w, v.coord);
    w.str("Ok").bool(v.ok);
  },
  read: (r) => ({
    coord: readStruct(coordinateCodec, r.fields.get("Coord") ?? null, `${r.typeName}.Coord`),
    ok: r.bool("Ok"),
  }),
};

/**
 * `stats` is a bare Go `map[string]map[string]string`, not a struct: sections and keys are
 * written in the maps' order (Go's is random).
 */
const statsCodec = {
  name: "stats",
  write(w: MsgpackWriter, v: StatsResponse): void {
    w.mapHeader(v.size);
    for (const [section, entries] of v) {
      w.str(section);
      writeStringMap(w, entries);
    }
  },
  read(value: MsgValue): StatsResponse {
    if (value === null) return new Map();
    if (!(value instanceof Map)) {
      throw new DecodeError(`stats: expected a map, got ${describeMsgValue(value)}`);
    }
    const out = new Map<string, Map<string, string>>();
    for (const [section, entries] of value) {
      out.set(section, readStringMapValue(entries, `stats.${section}`));
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
// Dispatch by command

/** A body codec that reads from a decoded value (structs and the bare stats map). */
interface BodyCodec<T> {
  readonly name: string;
  write(w: MsgpackWriter, value: T): void;
  readValue(value: MsgValue): T;
}

function struct<T>(codec: StructCodec<T>): BodyCodec<T> {
  return {
    name: codec.name,
    write: codec.write,
    readValue: (value) => readStruct(codec, value, codec.name),
  };
}

const REQUEST_CODECS: { readonly [C in RequestBodyCommand]: BodyCodec<RpcRequestBodies[C]> } = {
  handshake: struct(handshakeRequestCodec),
  auth: struct(authRequestCodec),
  event: struct(eventRequestCodec),
  "force-leave": struct(forceLeaveRequestCodec),
  join: struct(joinRequestCodec),
  "members-filtered": struct(membersFilteredRequestCodec),
  tags: struct(tagsRequestCodec),
  stream: struct(streamRequestCodec),
  monitor: struct(monitorRequestCodec),
  stop: struct(stopRequestCodec),
  query: struct(queryRequestCodec),
  respond: struct(respondRequestCodec),
  "install-key": struct(keyRequestCodec),
  "use-key": struct(keyRequestCodec),
  "remove-key": struct(keyRequestCodec),
  "get-coordinate": struct(getCoordinateRequestCodec),
};

const RESPONSE_CODECS: { readonly [C in ResponseBodyCommand]: BodyCodec<RpcResponseBodies[C]> } = {
  join: struct(joinResponseCodec),
  members: struct(membersResponseCodec),
  "members-filtered": struct(membersResponseCodec),
  "install-key": struct(keyResponseCodec),
  "use-key": struct(keyResponseCodec),
  "remove-key": struct(keyResponseCodec),
  "list-keys": struct(keyResponseCodec),
  stats: { name: statsCodec.name, write: statsCodec.write, readValue: statsCodec.read },
  "get-coordinate": struct(coordinateResponseCodec),
};

function requestCodec<C extends RequestBodyCommand>(
  command: C,
  fail: (m: string) => never,
): BodyCodec<RpcRequestBodies[C]> {
  if (!Object.hasOwn(REQUEST_CODECS, command)) fail(`command "${command}" has no request body`);
  return REQUEST_CODECS[command] as BodyCodec<RpcRequestBodies[C]>;
}

function responseCodec<C extends ResponseBodyCommand>(
  command: C,
  fail: (m: string) => never,
): BodyCodec<RpcResponseBodies[C]> {
  if (!Object.hasOwn(RESPONSE_CODECS, command)) fail(`command "${command}" has no response body`);
  return RESPONSE_CODECS[command] as BodyCodec<RpcResponseBodies[C]>;
}

const encodeFail = (m: string): never => {
  throw new EncodeError(m);
};
const decodeFail = (m: string): never => {
  throw new DecodeError(m);
};

/** Encodes the request body of `command`. Throws `EncodeError` (e.g. a value out of range). */
export function encodeRequestBody<C extends RequestBodyCommand>(
  command: C,
  body: RpcRequestBodies[C],
): Uint8Array {
  const w = rpcWriter();
  requestCodec(command, encodeFail).write(w, body);
  return w.finish();
}

/** Decodes one request body object of `command`. Throws `DecodeError`. */
export function decodeRequestBody<C extends RequestBodyCommand>(
  command: C,
  frame: Uint8Array,
): RpcRequestBodies[C] {
  return requestCodec(command, decodeFail).readValue(decodeMsgpack(frame));
}

/** Encodes the response body of `command` (Go agent's bytes). Throws `EncodeError`. */
export function encodeResponseBody<C extends ResponseBodyCommand>(
  command: C,
  body: RpcResponseBodies[C],
): Uint8Array {
  const w = rpcWriter();
  responseCodec(command, encodeFail).write(w, body);
  return w.finish();
}

/** Decodes one response body object of `command`. Throws `DecodeError`. */
export function decodeResponseBody<C extends ResponseBodyCommand>(
  command: C,
  frame: Uint8Array,
): RpcResponseBodies[C] {
  return responseCodec(command, decodeFail).readValue(decodeMsgpack(frame));
}

/** Arguments after the header: the body if `C` has one. */
export type RequestBodyArgs<C extends RpcCommand> = C extends RequestBodyCommand
  ? [body: RpcRequestBodies[C]]
  : [];

/** Arguments after the header: the body if `C` has one (omitted after header-only errors). */
export type ResponseBodyArgs<C extends RpcCommand> = C extends ResponseBodyCommand
  ? [body?: RpcResponseBodies[C]]
  : [];

/**
 * A whole request as the Go client writes it: header `{Command, Seq}` followed by the body if
 * the command has one. Throws `EncodeError` if the body is missing or not expected.
 */
export function encodeRequest<C extends RpcCommand>(
  command: C,
  seq: number,
  ...body: RequestBodyArgs<C>
): Uint8Array {
  const w = rpcWriter();
  requestHeaderCodec.write(w, { command, seq });
  const codec = Object.hasOwn(REQUEST_CODECS, command)
    ? (REQUEST_CODECS[command as RequestBodyCommand] as BodyCodec<unknown>)
    : undefined;
  if (codec === undefined) {
    if (body.length > 0) throw new EncodeError(`command "${command}" has no request body`);
  } else {
    if (body.length === 0) throw new EncodeError(`command "${command}" needs a request body`);
    codec.write(w, body[0]);
  }
  return w.finish();
}

/**
 * A whole reply as the Go agent writes it: header `{Error, Seq}`, then the body when one
 * follows (`responseBodyFollows`: commands with a response body, also on errors, except
 * after the header-only errors). Throws `EncodeError` if the body is missing where it must
 * follow or given where none may follow.
 */
export function encodeResponse<C extends RpcCommand>(
  command: C,
  header: ResponseHeader,
  ...body: ResponseBodyArgs<C>
): Uint8Array {
  const w = rpcWriter();
  responseHeaderCodec.write(w, header);
  const given = body.length > 0 && body[0] !== undefined;
  if (responseBodyFollows(command, header.error)) {
    if (!given) throw new EncodeError(`a "${command}" reply needs its body (also on errors)`);
    const codec = RESPONSE_CODECS[command as ResponseBodyCommand] as BodyCodec<unknown>;
    codec.write(w, body[0]);
  } else if (given) {
    throw new EncodeError(`no body may follow a "${command}" reply with error "${header.error}"`);
  }
  return w.finish();
}
