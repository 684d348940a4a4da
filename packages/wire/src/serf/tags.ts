/**
 * Serf tags carried in memberlist node `Meta`: magic byte `ff` + msgpack `map[string]string`
 * (serf protocol >= 3), or the raw `role` tag (protocol 2, legacy).
 */

import { DecodeError, EncodeError } from "../errors.ts";
import {
  type DecodeLimits,
  describeMsgValue,
  MsgpackReader,
  utf8Decode,
} from "../msgpack/reader.ts";
import { MsgpackWriter, utf8Encode } from "../msgpack/writer.ts";

/** First byte of tag-encoded Meta. */
export const TAG_MAGIC_BYTE = 0xff;

/** memberlist's `MetaMaxSize`: the largest node Meta, in bytes. */
export const META_MAX_SIZE = 512;

/** Lowest serf protocol version that encodes tags as a map (below: the raw `role` tag). */
export const TAGS_MIN_PROTOCOL = 3;

export interface EncodeTagsOptions {
  /** Serf protocol version of the local node. @default 5 */
  readonly protocolVersion?: number;
}

/**
 * Encodes tags as node Meta, entries in the Map's (or object's) iteration order. Throws
 * `EncodeError` when the result exceeds the 512-byte Meta limit, like Go's "Encoded length
 * of tags exceeds limit of 512 bytes".
 */
export function encodeTags(
  tags: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  options: EncodeTagsOptions = {},
): Uint8Array {
  const protocolVersion = options.protocolVersion ?? 5;
  let meta: Uint8Array;
  if (protocolVersion < TAGS_MIN_PROTOCOL) {
    const role = isMap(tags) ? tags.get("role") : ownValue(tags, "role");
    meta = utf8Encode(role ?? "");
  } else {
    meta = new MsgpackWriter("gossip").byte(TAG_MAGIC_BYTE).stringMap(tags).finish();
  }
  if (meta.length > META_MAX_SIZE) {
    throw new EncodeError(
      `encoded length of tags (${meta.length} bytes) exceeds limit of ${META_MAX_SIZE} bytes`,
    );
  }
  return meta;
}

function isMap(
  tags: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): tags is ReadonlyMap<string, string> {
  return tags instanceof Map;
}

function ownValue(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Decodes node Meta into tags, in wire order. Meta that is empty or does not start with the
 * magic byte is a legacy role (`{ role: <Meta as text> }`, so empty Meta gives `role: ""`).
 * Malformed tag maps throw `DecodeError` (Go logs the error and keeps whatever it decoded).
 */
export function decodeTags(
  meta: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): Map<string, string> {
  const tags = new Map<string, string>();
  if (meta.length === 0 || meta[0] !== TAG_MAGIC_BYTE) {
    tags.set("role", utf8Decode(meta));
    return tags;
  }
  const value = new MsgpackReader(meta, 1, limits).read();
  if (value === null) return tags;
  if (!(value instanceof Map)) {
    throw new DecodeError(`tags: expected a map, got ${describeMsgValue(value)}`);
  }
  for (const [k, v] of value) {
    if (v === null) tags.set(k, "");
    else if (v instanceof Uint8Array) tags.set(k, utf8Decode(v));
    else throw new DecodeError(`tags: value of "${k}" is ${describeMsgValue(v)}, not a string`);
  }
  return tags;
}
