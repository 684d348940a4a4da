/**
 * memberlist's AES-GCM payload encryption (memberlist.md §7).
 *
 * Encrypted payload: `version (1) | nonce (12) | ciphertext | tag (16)`, standard GCM with a
 * 96-bit nonce and a 128-bit tag. Version 0 PKCS#7-pads the plaintext to a multiple of 16
 * before sealing; version 1 (what Go serf sends) does not pad. The version byte is not
 * authenticated.
 *
 * UDP: the whole datagram is an encrypted payload with no additional data (memberlist 0.2.2).
 * Streams: `0a | length (uint32 BE) | payload`, with the 5 header bytes as additional data.
 */

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecodeError, DecryptError, EncodeError } from "../errors.ts";
import { type Keyring, validateKey } from "./keyring.ts";

/** Encryption version byte: 0 = PKCS#7 padded, 1 = unpadded (Go's choice for serf). */
export type EncryptionVersion = 0 | 1;

/** The result of opening an encrypted payload. */
export interface OpenedPayload {
  /** The decrypted (and, for version 0, unpadded) plaintext. */
  plaintext: Uint8Array;
  /** Index into the key list of the key that opened the payload (0 = primary). */
  keyIndex: number;
}

/** Highest encryption version understood. */
export const MAX_ENCRYPTION_VERSION = 1;
/** GCM nonce size in bytes. */
export const NONCE_SIZE = 12;
/** GCM tag size in bytes. */
export const TAG_SIZE = 16;
/** Message type byte that starts an encrypted stream frame (`encryptMsg`). */
export const STREAM_FRAME_TYPE = 0x0a;
/** Size of the stream frame header (type byte + uint32 length). */
export const STREAM_FRAME_HEADER_SIZE = 5;
/** Largest encrypted stream payload a receiver accepts (memberlist `maxPushStateBytes`). */
export const MAX_STREAM_FRAME_PAYLOAD = 20 * 1024 * 1024;

const BLOCK_SIZE = 16;
const PREFIX_SIZE = 1 + NONCE_SIZE;

function cipherName(key: Uint8Array): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  switch (key.length) {
    case 16:
      return "aes-128-gcm";
    case 24:
      return "aes-192-gcm";
    default:
      return "aes-256-gcm";
  }
}

function checkVersion(version: number): void {
  if (version !== 0 && version !== 1) {
    throw new EncodeError(`Unsupported encryption version ${version}`);
  }
}

/**
 * Bytes added by encryption: exactly 29 for version 1; at most 45 for version 0 (1 + 12 + 16
 * tag + up to 16 padding).
 */
export function encryptedOverhead(version: EncryptionVersion): number {
  checkVersion(version);
  return version === 0 ? PREFIX_SIZE + TAG_SIZE + BLOCK_SIZE : PREFIX_SIZE + TAG_SIZE;
}

/** Exact size of the encrypted payload for a plaintext of `plaintextLength` bytes. */
export function encryptedLength(version: EncryptionVersion, plaintextLength: number): number {
  checkVersion(version);
  if (version === 0) {
    const padded = (Math.floor(plaintextLength / BLOCK_SIZE) + 1) * BLOCK_SIZE;
    return PREFIX_SIZE + padded + TAG_SIZE;
  }
  return PREFIX_SIZE + plaintextLength + TAG_SIZE;
}

/**
 * Seals `plaintext` with `key` into `version | nonce | ciphertext | tag`. `aad` is the GCM
 * additional data (`undefined` for none). The nonce is random unless given (12 bytes).
 */
export function sealPayload(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array | undefined,
  version: EncryptionVersion,
  nonce?: Uint8Array | undefined,
): Uint8Array {
  validateKey(key);
  checkVersion(version);
  const iv = nonce ?? randomBytes(NONCE_SIZE);
  if (iv.length !== NONCE_SIZE) {
    throw new EncodeError(`nonce must be ${NONCE_SIZE} bytes, got ${iv.length}`);
  }
  const out = new Uint8Array(encryptedLength(version, plaintext.length));
  out[0] = version;
  out.set(iv, 1);

  const cipher = createCipheriv(cipherName(key), key, iv, { authTagLength: TAG_SIZE });
  if (aad !== undefined && aad.length > 0) cipher.setAAD(aad);
  let offset = PREFIX_SIZE;
  const body = cipher.update(plaintext);
  out.set(body, offset);
  offset += body.length;
  if (version === 0) {
    const padLen = BLOCK_SIZE - (plaintext.length % BLOCK_SIZE);
    const padded = cipher.update(new Uint8Array(padLen).fill(padLen));
    out.set(padded, offset);
    offset += padded.length;
  }
  const rest = cipher.final();
  out.set(rest, offset);
  offset += rest.length;
  out.set(cipher.getAuthTag(), offset);
  return out;
}

function tryOpen(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array | undefined,
): Uint8Array | undefined {
  const decipher = createDecipheriv(cipherName(key), key, iv, { authTagLength: TAG_SIZE });
  if (aad !== undefined && aad.length > 0) decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const out = new Uint8Array(ciphertext.length);
  const body = decipher.update(ciphertext);
  out.set(body, 0);
  try {
    const rest = decipher.final();
    out.set(rest, body.length);
  } catch {
    return undefined; // tag mismatch: not this key
  }
  return out;
}

function stripPkcs7(buf: Uint8Array): Uint8Array {
  const n = buf.length;
  const pad = n === 0 ? 0 : buf[n - 1]!;
  if (n % BLOCK_SIZE !== 0 || pad < 1 || pad > BLOCK_SIZE || pad > n) {
    throw new DecryptError("Invalid PKCS#7 padding");
  }
  for (let i = n - pad; i < n; i++) {
    if (buf[i] !== pad) throw new DecryptError("Invalid PKCS#7 padding");
  }
  return buf.subarray(0, n - pad);
}

/**
 * Opens an encrypted payload, trying `keys` in order (primary first). Throws `DecryptError`
 * for an empty, too short or unsupported-version payload, when no key opens it ("No installed
 * keys could decrypt the message"), or for bad version-0 padding. Throws `KeyError` for a key
 * of the wrong size.
 */
export function openPayload(
  keys: readonly Uint8Array[],
  payload: Uint8Array,
  aad: Uint8Array | undefined,
): OpenedPayload {
  for (const key of keys) validateKey(key);
  if (payload.length === 0) throw new DecryptError("Cannot decrypt empty payload");
  const version = payload[0]!;
  if (version > MAX_ENCRYPTION_VERSION) {
    throw new DecryptError(`Unsupported encryption version ${version}`);
  }
  if (payload.length < encryptedLength(version as EncryptionVersion, 0)) {
    throw new DecryptError(`Payload is too small to decrypt: ${payload.length}`);
  }
  const iv = payload.subarray(1, PREFIX_SIZE);
  const ciphertext = payload.subarray(PREFIX_SIZE, payload.length - TAG_SIZE);
  const tag = payload.subarray(payload.length - TAG_SIZE);
  for (let keyIndex = 0; keyIndex < keys.length; keyIndex++) {
    const plain = tryOpen(keys[keyIndex]!, iv, ciphertext, tag, aad);
    if (plain === undefined) continue;
    return { plaintext: version === 0 ? stripPkcs7(plain) : plain, keyIndex };
  }
  throw new DecryptError("No installed keys could decrypt the message");
}

/**
 * Reads the 5-byte header of an encrypted stream frame (`0a | length uint32 BE`). `bytes` may
 * hold more than the header. Throws `DecodeError` for fewer than 5 bytes, a first byte other
 * than `0a`, or a length above `maxLen` (default 20 MiB).
 */
export function readStreamFrameHeader(
  bytes: Uint8Array,
  maxLen: number = MAX_STREAM_FRAME_PAYLOAD,
): { length: number } {
  if (bytes.length < STREAM_FRAME_HEADER_SIZE) {
    throw new DecodeError(
      `Truncated encrypted stream frame header: need ${STREAM_FRAME_HEADER_SIZE} bytes, got ${bytes.length}`,
    );
  }
  if (bytes[0] !== STREAM_FRAME_TYPE) {
    throw new DecodeError(
      `Not an encrypted stream frame: type byte ${bytes[0]}, expected ${STREAM_FRAME_TYPE}`,
    );
  }
  const length = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  if (length > maxLen) {
    throw new DecodeError(`Remote node state is larger than limit (${length})`);
  }
  return { length };
}

function frameHeader(length: number): Uint8Array {
  const header = new Uint8Array(STREAM_FRAME_HEADER_SIZE);
  header[0] = STREAM_FRAME_TYPE;
  new DataView(header.buffer).setUint32(1, length, false);
  return header;
}

/**
 * Seals one stream message into `0a | length uint32 BE | payload`, the 5 header bytes being
 * the GCM additional data. Throws `EncodeError` if the payload would exceed 20 MiB (no
 * receiver accepts it).
 */
export function sealStreamFrame(
  key: Uint8Array,
  message: Uint8Array,
  version: EncryptionVersion,
  nonce?: Uint8Array | undefined,
): Uint8Array {
  checkVersion(version);
  const length = encryptedLength(version, message.length);
  if (length > MAX_STREAM_FRAME_PAYLOAD) {
    throw new EncodeError(
      `Encrypted stream payload of ${length} bytes exceeds the limit of ${MAX_STREAM_FRAME_PAYLOAD}`,
    );
  }
  const header = frameHeader(length);
  const payload = sealPayload(key, message, header, version, nonce);
  const frame = new Uint8Array(STREAM_FRAME_HEADER_SIZE + payload.length);
  frame.set(header, 0);
  frame.set(payload, STREAM_FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Opens one complete encrypted stream frame (header included, nothing after it). Throws
 * `DecodeError` for a bad header or a frame whose size disagrees with its length field, and
 * `DecryptError` when the payload cannot be opened.
 */
export function openStreamFrame(
  keys: readonly Uint8Array[],
  frame: Uint8Array,
  maxLen: number = MAX_STREAM_FRAME_PAYLOAD,
): OpenedPayload {
  const { length } = readStreamFrameHeader(frame, maxLen);
  const actual = frame.length - STREAM_FRAME_HEADER_SIZE;
  if (actual !== length) {
    throw new DecodeError(
      `Encrypted stream frame length mismatch: header says ${length} bytes, got ${actual}`,
    );
  }
  const header = frame.subarray(0, STREAM_FRAME_HEADER_SIZE);
  return openPayload(keys, frame.subarray(STREAM_FRAME_HEADER_SIZE), header);
}

/**
 * Encrypts a UDP packet with the keyring's primary key. memberlist 0.2.2 uses no additional
 * data; `label` (memberlist >= 0.3 cluster label, without its `f4 len` header) becomes the
 * additional data when non-empty. The label header itself is not added here.
 */
export function sealPacket(
  keyring: Keyring,
  plaintext: Uint8Array,
  version: EncryptionVersion = 1,
  nonce?: Uint8Array | undefined,
  label?: Uint8Array | undefined,
): Uint8Array {
  return sealPayload(keyring.primaryKey, plaintext, label, version, nonce);
}

/** Decrypts a UDP packet with any installed key; see `sealPacket` for `label`. */
export function openPacket(
  keyring: Keyring,
  packet: Uint8Array,
  label?: Uint8Array | undefined,
): OpenedPayload {
  return openPayload(keyring.keys(), packet, label);
}
