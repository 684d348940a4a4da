/**
 * Payloads of serf's internal queries (`_serf_` prefix): key requests inside query payloads,
 * key and conflict responses inside query response payloads. Each payload is a serf message
 * (type byte + msgpack), so these are typed shortcuts over `encodeSerfMessage` /
 * `decodeSerfMessage` that also check the type byte.
 */

import { DecodeError } from "../errors.ts";
import type { DecodeLimits } from "../msgpack/reader.ts";
import { decodeSerfMessage, encodeSerfMessage } from "./messages.ts";
import type { KeyResponseMessage, SerfMember } from "./types.ts";

/** Names of the internal queries. */
export const InternalQuery = {
  /** Ack only (if requested), no response. */
  PING: "_serf_ping",
  /** Payload: the raw node name; response: conflict response. */
  CONFLICT: "_serf_conflict",
  /** Payload: key request; response: key response. */
  INSTALL_KEY: "_serf_install-key",
  USE_KEY: "_serf_use-key",
  REMOVE_KEY: "_serf_remove-key",
  /** Payload: key request with an empty key; response lists the keys. */
  LIST_KEYS: "_serf_list-keys",
} as const;
export type InternalQuery = (typeof InternalQuery)[keyof typeof InternalQuery];

/** Prefix that marks a query as internal: never delivered to user handlers. */
export const INTERNAL_QUERY_PREFIX = "_serf_";

export function isInternalQueryName(name: string): boolean {
  return name.startsWith(INTERNAL_QUERY_PREFIX);
}

/** Key request payload: `07` + `{Key}` (raw key; empty for `_serf_list-keys`). */
export function encodeKeyRequestPayload(key: Uint8Array): Uint8Array {
  return encodeSerfMessage({ type: "key-request", key });
}

/** The raw key of a key request payload. */
export function decodeKeyRequestPayload(
  payload: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): Uint8Array {
  const msg = decodeSerfMessage(payload, limits);
  if (msg.type !== "key-request") {
    throw new DecodeError(`expected a key request payload, got ${msg.type}`);
  }
  return msg.key;
}

/** Key response payload: `08` + `{Keys, Message, PrimaryKey, Result}`. */
export function encodeKeyResponsePayload(response: Omit<KeyResponseMessage, "type">): Uint8Array {
  return encodeSerfMessage({ ...response, type: "key-response" });
}

export function decodeKeyResponsePayload(
  payload: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): KeyResponseMessage {
  const msg = decodeSerfMessage(payload, limits);
  if (msg.type !== "key-response") {
    throw new DecodeError(`expected a key response payload, got ${msg.type}`);
  }
  return msg;
}

/** Conflict response payload: `06` + msgpack `Member`, or `06 c0` for an unknown node. */
export function encodeConflictResponsePayload(member: SerfMember | null): Uint8Array {
  return encodeSerfMessage({ type: "conflict-response", member });
}

export function decodeConflictResponsePayload(
  payload: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): SerfMember | null {
  const msg = decodeSerfMessage(payload, limits);
  if (msg.type !== "conflict-response") {
    throw new DecodeError(`expected a conflict response payload, got ${msg.type}`);
  }
  return msg.member;
}
