/**
 * Test helpers: turning the decoded layers recorded in the vectors (`message`, `inner`,
 * `parts`, `fields`) into typed memberlist messages, so tests can compare decoders with the
 * recording and re-encode what Go wrote.
 */

import type {
  MemberlistMessage,
  NodeStateCode,
  PushNodeState,
  PushPullMessage,
} from "../memberlist/types.ts";
import {
  asObject,
  concatBytes,
  getArray,
  getBoolean,
  getBytesField,
  getHex,
  getNumber,
  getObject,
  getString,
  type Json,
  type JsonObject,
} from "./vectors.ts";

/** The message layers under `layer` (itself if it is one), in wire order. */
export function messageLayers(layer: JsonObject): JsonObject[] {
  const name = getString(layer, "name");
  if (name === "hasCrc" || name === "compress") return messageLayers(getObject(layer, "inner"));
  if (name === "compound") {
    return getArray(layer, "parts").flatMap((p) => messageLayers(asObject(p, "part")));
  }
  return [layer];
}

/** The serf bytes (type byte + msgpack) recorded for a user-message layer. */
export function serfBytesOfUserLayer(layer: JsonObject): Uint8Array {
  const serf = getObject(layer, "serf");
  const type = Uint8Array.of(getNumber(serf, "serf_type"));
  if (serf.relay_header !== undefined) {
    const inner = getObject(serf, "inner");
    return concatBytes(
      type,
      getHex(getObject(serf, "relay_header"), "msgpack_hex"),
      Uint8Array.of(getNumber(inner, "serf_type")),
      getHex(inner, "msgpack_hex"),
    );
  }
  return concatBytes(type, getHex(serf, "msgpack_hex"));
}

function nonNullBytes(fields: JsonObject, key: string): Uint8Array {
  return getBytesField(fields, key) ?? new Uint8Array(0);
}

function nodeStateFromFields(fields: JsonObject): PushNodeState {
  return {
    name: getString(fields, "Name"),
    addr: nonNullBytes(fields, "Addr"),
    port: getNumber(fields, "Port"),
    meta: nonNullBytes(fields, "Meta"),
    incarnation: getNumber(fields, "Incarnation"),
    state: getNumber(fields, "State") as NodeStateCode,
    vsn: nonNullBytes(fields, "Vsn"),
  };
}

/** The push/pull message recorded in a `pushPull` layer. */
export function pushPullFromLayer(layer: JsonObject): PushPullMessage {
  const header = getObject(getObject(layer, "header"), "fields");
  return {
    type: "push-pull",
    join: getBoolean(header, "Join"),
    nodes: getArray(layer, "nodes").map((n) =>
      nodeStateFromFields(getObject(asObject(n, "node"), "fields")),
    ),
    userState: getHex(layer, "user_state_hex"),
  };
}

function optional(fields: JsonObject, key: string, fallback: Json): Json {
  return fields[key] === undefined ? fallback : (fields[key] as Json);
}

/** The typed message recorded in a message layer (any name but the framing layers). */
export function messageFromLayer(layer: JsonObject): MemberlistMessage {
  const name = getString(layer, "name");
  if (name === "pushPull") return pushPullFromLayer(layer);
  if (name === "user") return { type: "user", payload: getHex(layer, "bytes_hex").slice(1) };
  const f = getObject(layer, "fields");
  switch (name) {
    case "ping":
      return {
        type: "ping",
        seqNo: getNumber(f, "SeqNo"),
        node: getString(f, "Node"),
        sourceAddr: f.SourceAddr === undefined ? null : getBytesField(f, "SourceAddr"),
        sourcePort: optional(f, "SourcePort", 0) as number,
        sourceNode: optional(f, "SourceNode", "") as string,
      };
    case "indirectPing":
      return {
        type: "indirect-ping",
        seqNo: getNumber(f, "SeqNo"),
        target: nonNullBytes(f, "Target"),
        port: getNumber(f, "Port"),
        node: getString(f, "Node"),
        nack: getBoolean(f, "Nack"),
        sourceAddr: f.SourceAddr === undefined ? null : getBytesField(f, "SourceAddr"),
        sourcePort: optional(f, "SourcePort", 0) as number,
        sourceNode: optional(f, "SourceNode", "") as string,
      };
    case "ack":
      return { type: "ack", seqNo: getNumber(f, "SeqNo"), payload: getBytesField(f, "Payload") };
    case "nack":
      return { type: "nack", seqNo: getNumber(f, "SeqNo") };
    case "suspect":
    case "dead":
      return {
        type: name,
        incarnation: getNumber(f, "Incarnation"),
        node: getString(f, "Node"),
        from: getString(f, "From"),
      };
    case "alive":
      return {
        type: "alive",
        incarnation: getNumber(f, "Incarnation"),
        node: getString(f, "Node"),
        addr: nonNullBytes(f, "Addr"),
        port: getNumber(f, "Port"),
        meta: nonNullBytes(f, "Meta"),
        vsn: nonNullBytes(f, "Vsn"),
      };
    case "err":
      return { type: "error", error: getString(f, "Error") };
    default:
      throw new Error(`unknown message layer ${name}`);
  }
}

/**
 * True when a recorded layer (or anything under it) uses a msgpack format Go never writes
 * (bin family, str8): it was written by the JavaScript prototype and is decode-only.
 */
export function usesNonGoFormats(layer: Json): boolean {
  if (Array.isArray(layer)) return layer.some(usesNonGoFormats);
  if (typeof layer !== "object" || layer === null) return false;
  const formats = layer.formats;
  if (typeof formats === "object" && formats !== null && !Array.isArray(formats)) {
    for (const f of Object.values(formats)) {
      if (typeof f === "string" && /^(bin8|bin16|bin32|str8)$/.test(f)) return true;
    }
  }
  return Object.entries(layer).some(([k, v]) => k !== "formats" && usesNonGoFormats(v));
}

/** A message layer with the bytes it occupies on the wire (type byte included). */
export interface MessageLayerBytes {
  readonly layer: JsonObject;
  readonly bytes: Uint8Array;
}

/**
 * Pairs every message layer under `layer` with its bytes, using only the recording: hasCrc
 * drops 5 bytes, compress continues with `decompressed_hex`, compound splits by `lengths`.
 */
export function messageLayersWithBytes(layer: JsonObject, bytes: Uint8Array): MessageLayerBytes[] {
  const name = getString(layer, "name");
  switch (name) {
    case "hasCrc":
      return messageLayersWithBytes(getObject(layer, "inner"), bytes.subarray(5));
    case "compress":
      return messageLayersWithBytes(getObject(layer, "inner"), getHex(layer, "decompressed_hex"));
    case "compound": {
      const lengths = getArray(layer, "lengths") as number[];
      const parts = getArray(layer, "parts");
      let pos = 2 + 2 * lengths.length;
      return parts.flatMap((p, i) => {
        const part = bytes.subarray(pos, pos + lengths[i]!);
        pos += lengths[i]!;
        return messageLayersWithBytes(asObject(p, "part"), part);
      });
    }
    default:
      return [{ layer, bytes }];
  }
}

/** Encryption record of a vector packet or stream direction. */
export interface VectorEncryption {
  readonly keyringBase64: string[];
  readonly keyIndex: number;
  readonly version: 0 | 1;
  readonly nonce: Uint8Array;
  readonly plaintext: Uint8Array;
}

/** One packet (UDP) or one direction of a stream (TCP) recorded in a vector. */
export interface MemberlistVectorCase {
  /** `udp-ping`, `tcp-ping-ack/client_to_server`, … */
  readonly id: string;
  readonly transport: "udp" | "tcp";
  /** Exactly the datagram or the bytes of one stream direction. */
  readonly wire: Uint8Array;
  /** Recorded encryption, `undefined` for plaintext. */
  readonly encryption: VectorEncryption | undefined;
  /** The outermost decoded layer (inside encryption). */
  readonly message: JsonObject;
  /** The bytes `message` describes: the decrypted plaintext, or the wire. */
  readonly plain: Uint8Array;
  /** False for bytes written by the JavaScript prototype (decode-only). */
  readonly goWritten: boolean;
}

function encryptionOf(o: JsonObject): VectorEncryption | undefined {
  if (o.encryption === undefined) return undefined;
  const e = getObject(o, "encryption");
  return {
    keyringBase64: getArray(e, "keyring_base64") as string[],
    keyIndex: getNumber(e, "decrypted_with_key_index"),
    version: getNumber(e, "version_byte") as 0 | 1,
    nonce: getHex(e, "nonce_hex"),
    plaintext: getHex(e, "plaintext_hex"),
  };
}

function caseOf(id: string, transport: "udp" | "tcp", o: JsonObject): MemberlistVectorCase {
  const encryption = encryptionOf(o);
  const wire = getHex(o, "wire_hex");
  if (wire.length !== getNumber(o, "wire_len")) throw new Error(`${id}: wire_len mismatch`);
  const message = getObject(o, "message");
  return {
    id,
    transport,
    wire,
    encryption,
    message,
    plain: encryption?.plaintext ?? wire,
    goWritten: !usesNonGoFormats(message),
  };
}

/** Every UDP packet and TCP stream direction in the given vector files. */
export function memberlistVectorCases(
  files: readonly { name: string; data: JsonObject }[],
): MemberlistVectorCase[] {
  const out: MemberlistVectorCase[] = [];
  for (const f of files) {
    const transport = getString(f.data, "transport");
    if (transport === "udp") {
      out.push(caseOf(f.name, "udp", f.data));
    } else if (transport === "tcp") {
      for (const dir of ["client_to_server", "server_to_client"]) {
        if (f.data[dir] !== undefined) {
          out.push(caseOf(`${f.name}/${dir}`, "tcp", getObject(f.data, dir)));
        }
      }
    } else {
      throw new Error(`${f.name}: unknown transport ${transport}`);
    }
  }
  return out;
}
