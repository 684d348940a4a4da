/**
 * Stream records: after a successful `stream`, `monitor` or `query` reply, the agent sends
 * further `{Error: "", Seq}` headers carrying the request's Seq, each followed by one record.
 */

import { DecodeError, EncodeError } from "../errors.ts";
import type { MsgpackWriter } from "../msgpack/writer.ts";
import { readMembers, writeMembers } from "./bodies.ts";
import { responseHeaderCodec } from "./headers.ts";
import type { RpcStreamRecords, StreamCommand } from "./commands.ts";
import {
  decodeStruct,
  encodeStruct,
  rpcWriter,
  SAFE_MAX,
  type StructCodec,
  writeUint,
} from "./codec.ts";
import {
  type LogRecord,
  type MemberEventRecord,
  MemberEventType,
  type QueryEventRecord,
  type QueryRecord,
  QueryRecordType,
  type StreamRecord,
  type UserEventRecord,
} from "./types.ts";

const MEMBER_EVENTS: ReadonlySet<string> = new Set(Object.values(MemberEventType));
const QUERY_RECORD_TYPES: ReadonlySet<string> = new Set(Object.values(QueryRecordType));

function writeMemberEvent(w: MsgpackWriter, rec: MemberEventRecord): void {
  if (!MEMBER_EVENTS.has(rec.event)) throw new EncodeError(`unknown member event "${rec.event}"`);
  w.mapHeader(2);
  w.str("Event").str(rec.event);
  w.str("Members");
  writeMembers(w, rec.members);
}

function writeUserEvent(w: MsgpackWriter, rec: UserEventRecord): void {
  w.mapHeader(5);
  w.str("Coalesce").bool(rec.coalesce);
  w.str("Event").str("user");
  w.str("LTime");
  writeUint(w, rec.lTime, SAFE_MAX, "userEvent.lTime");
  w.str("Name").str(rec.name);
  w.str("Payload").bytes(rec.payload);
}

function writeQueryEvent(w: MsgpackWriter, rec: QueryEventRecord): void {
  w.mapHeader(5);
  w.str("Event").str("query");
  w.str("ID");
  writeUint(w, rec.id, SAFE_MAX, "queryEvent.id");
  w.str("LTime");
  writeUint(w, rec.lTime, SAFE_MAX, "queryEvent.lTime");
  w.str("Name").str(rec.name);
  w.str("Payload").bytes(rec.payload);
}

/** Records of a `stream` subscription, told apart by their `Event` field. */
export const streamRecordCodec: StructCodec<StreamRecord> = {
  name: "streamRecord",
  write(w, rec) {
    switch (rec.event) {
      case "user":
        return writeUserEvent(w, rec);
      case "query":
        return writeQueryEvent(w, rec);
      default:
        return writeMemberEvent(w, rec);
    }
  },
  read(r) {
    const event = r.str("Event");
    if (event === "user") {
      return {
        event,
        lTime: r.uint64("LTime"),
        name: r.str("Name"),
        payload: r.bytesOrNull("Payload"),
        coalesce: r.bool("Coalesce"),
      };
    }
    if (event === "query") {
      return {
        event,
        id: r.uint64("ID"),
        lTime: r.uint64("LTime"),
        name: r.str("Name"),
        payload: r.bytesOrNull("Payload"),
      };
    }
    if (MEMBER_EVENTS.has(event)) {
      return { event: event as MemberEventType, members: readMembers(r, "Members") };
    }
    throw new DecodeError(`${r.typeName}: unknown event "${event}"`);
  },
};

/** Records of a `query` response stream (`ack`, `response`, then one `done`). */
export const queryRecordCodec: StructCodec<QueryRecord> = {
  name: "queryRecord",
  write(w, rec) {
    if (!QUERY_RECORD_TYPES.has(rec.type)) {
      throw new EncodeError(`unknown query record type "${rec.type}"`);
    }
    w.mapHeader(3);
    w.str("From").str(rec.from);
    w.str("Payload").bytes(rec.payload);
    w.str("Type").str(rec.type);
  },
  read(r) {
    const type = r.str("Type");
    if (!QUERY_RECORD_TYPES.has(type)) {
      throw new DecodeError(`${r.typeName}: unknown record type "${type}"`);
    }
    return {
      type: type as QueryRecordType,
      from: r.str("From"),
      payload: r.bytesOrNull("Payload"),
    };
  },
};

/** Records of a `monitor` stream. */
export const logRecordCodec: StructCodec<LogRecord> = {
  name: "logRecord",
  write(w, rec) {
    w.mapHeader(1).str("Log").str(rec.log);
  },
  read: (r) => ({ log: r.str("Log") }),
};

const RECORD_CODECS: { readonly [C in StreamCommand]: StructCodec<RpcStreamRecords[C]> } = {
  stream: streamRecordCodec,
  monitor: logRecordCodec,
  query: queryRecordCodec,
};

/** Encodes a `stream` record (member, user or query event) as the Go agent does. */
export function encodeStreamRecord(record: StreamRecord): Uint8Array {
  return encodeStruct(streamRecordCodec, record);
}

/** Decodes a `stream` record. Throws `DecodeError` (also for an unknown `Event`). */
export function decodeStreamRecord(frame: Uint8Array): StreamRecord {
  return decodeStruct(streamRecordCodec, frame);
}

/** Encodes a `query` response stream record. */
export function encodeQueryRecord(record: QueryRecord): Uint8Array {
  return encodeStruct(queryRecordCodec, record);
}

/** Decodes a `query` response stream record. Throws `DecodeError` (also for an unknown `Type`). */
export function decodeQueryRecord(frame: Uint8Array): QueryRecord {
  return decodeStruct(queryRecordCodec, frame);
}

/** Encodes a `monitor` log record. */
export function encodeLogRecord(record: LogRecord): Uint8Array {
  return encodeStruct(logRecordCodec, record);
}

/** Decodes a `monitor` log record. */
export function decodeLogRecord(frame: Uint8Array): LogRecord {
  return decodeStruct(logRecordCodec, frame);
}

function recordCodec<C extends StreamCommand>(command: C): StructCodec<RpcStreamRecords[C]> {
  if (!Object.hasOwn(RECORD_CODECS, command)) {
    throw new DecodeError(`command "${command}" has no stream records`);
  }
  return RECORD_CODECS[command] as StructCodec<RpcStreamRecords[C]>;
}

/** Encodes a record of the stream opened by `command`. */
export function encodeRecord<C extends StreamCommand>(
  command: C,
  record: RpcStreamRecords[C],
): Uint8Array {
  if (!Object.hasOwn(RECORD_CODECS, command)) {
    throw new EncodeError(`command "${command}" has no stream records`);
  }
  return encodeStruct(RECORD_CODECS[command] as StructCodec<RpcStreamRecords[C]>, record);
}

/** Decodes a record of the stream opened by `command`. Throws `DecodeError`. */
export function decodeRecord<C extends StreamCommand>(
  command: C,
  frame: Uint8Array,
): RpcStreamRecords[C] {
  return decodeStruct(recordCodec(command), frame);
}

/**
 * A record with its header, as the agent writes the pair: `{Error: "", Seq: seq}` then the
 * record of the stream opened by `command`.
 */
export function encodeRecordFrame<C extends StreamCommand>(
  command: C,
  seq: number,
  record: RpcStreamRecords[C],
): Uint8Array {
  const w = rpcWriter();
  responseHeaderCodec.write(w, { error: "", seq });
  if (!Object.hasOwn(RECORD_CODECS, command)) {
    throw new EncodeError(`command "${command}" has no stream records`);
  }
  (RECORD_CODECS[command] as StructCodec<RpcStreamRecords[C]>).write(w, record);
  return w.finish();
}
