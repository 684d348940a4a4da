/**
 * UDP packet framing (memberlist.md §5, §11): compound (type 7), compress (type 9, LZW),
 * hasCrc (type 12) and the memberlist >= 0.3 label header (type 244).
 *
 * Send order: messages → compound (when more than one) → compress (kept only if strictly
 * shorter, as Go does for UDP) → hasCrc → encryption (`sealOutgoingPacket`) → label header.
 * Receive order is the reverse; `decodePacket` takes the bytes after decryption and decodes
 * every message, collecting per-part errors the way Go logs and drops only the bad part.
 */

import { crc32 } from "../checksum/crc32.ts";
import { lzwCompress, lzwDecompress } from "../compress/lzw.ts";
import { DecodeError, EncodeError, isSerfError } from "../errors.ts";
import { utf8Decode } from "../msgpack/reader.ts";
import { utf8Encode } from "../msgpack/writer.ts";
import { type EncryptionVersion, openPacket, sealPacket } from "../security/aes-gcm.ts";
import type { Keyring } from "../security/keyring.ts";
import {
  decodeCompressBody,
  decodeMessage,
  encodeCompressBody,
  type MessageDecodeLimits,
  messageDecodeLimits,
} from "./messages.ts";
import { MessageType, type PacketMessage } from "./types.ts";

/** Most parts in one compound message (its count is one byte). */
export const MAX_COMPOUND_PARTS = 255;
/** Largest compound part (its length is a uint16). */
export const MAX_COMPOUND_PART_BYTES = 0xffff;
/** LZW, the only compression algorithm (`compress.Algo`). */
export const LZW_ALGO = 0;
/** Default bound of the bytes all compress layers of one packet may expand to. */
export const DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES = 4 * 1024 * 1024;
/** Default bound of compound/compress nesting inside one packet. */
export const DEFAULT_MAX_PACKET_NESTING = 16;
/** Size of the hasCrc header: `0c` + CRC-32 big-endian. */
export const CRC_HEADER_SIZE = 5;
/** Longest cluster label (its length is one byte). */
export const MAX_LABEL_BYTES = 255;

// ---------------------------------------------------------------------------------------------
// Compound

/**
 * Builds `07 | count | count × uint16 BE length | parts…`. Throws `EncodeError` for more than
 * 255 parts or a part longer than 65 535 bytes (memberlist 0.2.2 would silently corrupt both).
 */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > MAX_COMPOUND_PARTS) {
    throw new EncodeError(
      `a compound message holds at most ${MAX_COMPOUND_PARTS} parts, got ${parts.length}`,
    );
  }
  let size = 2 + 2 * parts.length;
  for (const p of parts) {
    if (p.length > MAX_COMPOUND_PART_BYTES) {
      throw new EncodeError(
        `a compound part holds at most ${MAX_COMPOUND_PART_BYTES} bytes, got ${p.length}`,
      );
    }
    size += p.length;
  }
  const out = new Uint8Array(size);
  out[0] = MessageType.COMPOUND;
  out[1] = parts.length;
  let pos = 2;
  for (const p of parts) {
    out[pos++] = p.length >>> 8;
    out[pos++] = p.length & 0xff;
  }
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** The parts of a compound message. */
export interface CompoundParts {
  /** The parts that are complete (copies). */
  readonly parts: Uint8Array[];
  /** Declared parts missing because the input ended first (Go logs and drops them). */
  readonly truncated: number;
}

/**
 * Splits a compound message (`bytes` starts with `07`). Parts whose declared length runs
 * past the input are counted in `truncated`, as are all parts after them; bytes after the
 * last part are ignored. Throws `DecodeError` only when the count or the length table itself
 * is cut off.
 */
export function decodeCompound(bytes: Uint8Array): CompoundParts {
  if (bytes[0] !== MessageType.COMPOUND) throw new DecodeError("not a compound message");
  if (bytes.length < 2) throw new DecodeError("missing compound length byte");
  const count = bytes[1]!;
  let pos = 2 + 2 * count;
  if (pos > bytes.length) throw new DecodeError("truncated len slice");
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = (bytes[2 + 2 * i]! << 8) | bytes[3 + 2 * i]!;
    if (pos + len > bytes.length) return { parts, truncated: count - i };
    parts.push(bytes.slice(pos, pos + len));
    pos += len;
  }
  return { parts, truncated: 0 };
}

/**
 * Splits messages into as few compounds as possible (at most 255 parts each), as newer
 * memberlist does. A single message is returned as is.
 */
export function encodeCompounds(messages: readonly Uint8Array[]): Uint8Array[] {
  if (messages.length === 1) return [messages[0]!];
  const out: Uint8Array[] = [];
  for (let i = 0; i < messages.length; i += MAX_COMPOUND_PARTS) {
    const chunk = messages.slice(i, i + MAX_COMPOUND_PARTS);
    out.push(chunk.length === 1 ? chunk[0]! : encodeCompound(chunk));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compress

/** `09` + msgpack `{Algo: 0, Buf: lzw(message)}`, unconditionally (what streams use). */
export function compressMessage(message: Uint8Array): Uint8Array {
  return encodeCompressBody({ algo: LZW_ALGO, buf: lzwCompress(message) });
}

/**
 * Go's UDP rule: the compressed form if it is strictly shorter than `message`, else
 * `message` itself.
 */
export function compressIfShorter(message: Uint8Array): Uint8Array {
  const compressed = compressMessage(message);
  return compressed.length < message.length ? compressed : message;
}

/**
 * Unwraps a compress message (`bytes` starts with `09`): the decompressed bytes, which start
 * with the wrapped message's own type byte. Throws `DecodeError` for a bad body, an unknown
 * algorithm, bad LZW data or output beyond `maxDecompressedBytes`.
 */
export function decompressMessage(
  bytes: Uint8Array,
  maxDecompressedBytes: number,
  limits: Partial<MessageDecodeLimits> = {},
): Uint8Array {
  if (bytes[0] !== MessageType.COMPRESS) throw new DecodeError("not a compress message");
  const { body } = decodeCompressBody(bytes, 1, limits);
  if (body.algo !== LZW_ALGO) {
    throw new DecodeError(`Cannot decompress unknown algorithm ${body.algo}`);
  }
  return lzwDecompress(body.buf, maxDecompressedBytes);
}

// ---------------------------------------------------------------------------------------------
// hasCrc

/** `0c | crc32(payload) BE | payload`. */
export function addCrc(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CRC_HEADER_SIZE + payload.length);
  out[0] = MessageType.HAS_CRC;
  new DataView(out.buffer).setUint32(1, crc32(payload), false);
  out.set(payload, CRC_HEADER_SIZE);
  return out;
}

/**
 * Go's receive rule: a packet of at least 5 bytes starting with `0c` is verified and its
 * payload returned (`hadCrc: true`); anything else is returned as is. Throws `DecodeError`
 * on a checksum mismatch (Go drops the whole packet).
 */
export function verifyCrc(packet: Uint8Array): { payload: Uint8Array; hadCrc: boolean } {
  if (packet.length < CRC_HEADER_SIZE || packet[0] !== MessageType.HAS_CRC) {
    return { payload: packet, hadCrc: false };
  }
  const expected = ((packet[1]! << 24) | (packet[2]! << 16) | (packet[3]! << 8) | packet[4]!) >>> 0;
  const payload = packet.subarray(CRC_HEADER_SIZE);
  const actual = crc32(payload);
  if (actual !== expected) {
    throw new DecodeError(
      `Got invalid checksum for UDP packet: ${actual.toString(16)}, ${expected.toString(16)}`,
    );
  }
  return { payload, hadCrc: true };
}

// ---------------------------------------------------------------------------------------------
// Label header (memberlist >= 0.3)

/**
 * Prepends `f4 | len | label`. An empty label adds nothing; a label over 255 UTF-8 bytes
 * throws `EncodeError`.
 */
export function addLabelHeader(bytes: Uint8Array, label: string): Uint8Array {
  if (label === "") return bytes;
  const l = utf8Encode(label);
  if (l.length > MAX_LABEL_BYTES) {
    throw new EncodeError(`label is ${l.length} bytes, at most ${MAX_LABEL_BYTES} allowed`);
  }
  const out = new Uint8Array(2 + l.length + bytes.length);
  out[0] = MessageType.HAS_LABEL;
  out[1] = l.length;
  out.set(l, 2);
  out.set(bytes, 2 + l.length);
  return out;
}

/**
 * Removes a leading label header: `label` is `null` when there is none (the bytes are
 * returned unchanged). Throws `DecodeError` for an empty or cut-off header.
 */
export function stripLabelHeader(bytes: Uint8Array): { label: string | null; rest: Uint8Array } {
  if (bytes.length === 0 || bytes[0] !== MessageType.HAS_LABEL) return { label: null, rest: bytes };
  if (bytes.length < 2) throw new DecodeError("cannot decode label; packet has been truncated");
  const size = bytes[1]!;
  if (size < 1) throw new DecodeError("label header cannot be empty when present");
  if (bytes.length < 2 + size) {
    throw new DecodeError("cannot decode label; packet has been truncated");
  }
  return { label: utf8Decode(bytes.subarray(2, 2 + size)), rest: bytes.subarray(2 + size) };
}

// ---------------------------------------------------------------------------------------------
// High level

/** How `encodePacket` frames the messages. */
export interface PacketEncodeOptions {
  /** LZW-compress when that makes the packet strictly shorter (Go: `EnableCompression`). */
  readonly compress: boolean;
  /** Add the hasCrc wrapper (Go: destination's PMax >= 5 and known by name). */
  readonly crc: boolean;
  /**
   * Cluster label header (memberlist >= 0.3; unknown to 0.2.2). For an encrypted packet pass
   * the result to `sealOutgoingPacket`, which moves the label out of the ciphertext.
   */
  readonly label?: string;
}

/**
 * Builds one UDP datagram (before encryption) from messages that are each already type byte
 * + body: a single message as is, several as a compound. Throws `EncodeError` for no
 * messages, more than 255, or a message over 65 535 bytes inside a compound.
 */
export function encodePacket(
  messages: readonly Uint8Array[],
  opts: PacketEncodeOptions,
): Uint8Array {
  if (messages.length === 0) throw new EncodeError("a packet needs at least one message");
  let out = messages.length === 1 ? messages[0]! : encodeCompound(messages);
  if (opts.compress) out = compressIfShorter(out);
  if (opts.crc) out = addCrc(out);
  if (opts.label !== undefined) out = addLabelHeader(out, opts.label);
  return out;
}

/** Options of `decodePacket`. */
export interface PacketDecodeOptions {
  /** Bound of the bytes all compress layers may expand to. @default 4 MiB */
  readonly maxDecompressedBytes?: number;
  /** Bound of compound/compress nesting. @default 16 */
  readonly maxNesting?: number;
  /** Bounds for each message. */
  readonly limits?: Partial<MessageDecodeLimits>;
}

/** Everything `decodePacket` found in one packet. */
export interface DecodedPacket {
  /** Every message that decoded, in packet order. */
  readonly messages: PacketMessage[];
  /** One error per part (or layer) that did not decode; Go logs and drops just that part. */
  readonly errors: DecodeError[];
  /** Compound parts lost because the packet ended before them (summed over all compounds). */
  readonly truncated: number;
  /** True when the packet carried a (valid) hasCrc wrapper. */
  readonly hadCrc: boolean;
  /** The label of a leading label header, `null` when there was none. */
  readonly label: string | null;
}

interface DecodeState {
  readonly messages: PacketMessage[];
  readonly errors: DecodeError[];
  truncated: number;
  budget: number;
  readonly maxNesting: number;
  readonly limits: MessageDecodeLimits;
}

function asDecodeError(err: unknown): DecodeError {
  if (err instanceof DecodeError) return err;
  const message = isSerfError(err) || err instanceof Error ? err.message : String(err);
  return new DecodeError(message, { cause: err });
}

function walk(bytes: Uint8Array, depth: number, st: DecodeState): void {
  if (bytes.length === 0) {
    st.errors.push(new DecodeError("empty memberlist message"));
    return;
  }
  const type = bytes[0]!;
  if (type === MessageType.COMPOUND || type === MessageType.COMPRESS) {
    if (depth >= st.maxNesting) {
      st.errors.push(new DecodeError(`packet nesting deeper than ${st.maxNesting}`));
      return;
    }
    if (type === MessageType.COMPOUND) {
      let compound: CompoundParts;
      try {
        compound = decodeCompound(bytes);
      } catch (err) {
        st.errors.push(asDecodeError(err));
        return;
      }
      st.truncated += compound.truncated;
      for (const part of compound.parts) walk(part, depth + 1, st);
      return;
    }
    let inner: Uint8Array;
    try {
      inner = decompressMessage(bytes, st.budget, st.limits);
    } catch (err) {
      st.errors.push(asDecodeError(err));
      return;
    }
    st.budget -= inner.length;
    walk(inner, depth + 1, st);
    return;
  }
  switch (type) {
    case MessageType.PING:
    case MessageType.INDIRECT_PING:
    case MessageType.ACK:
    case MessageType.NACK:
    case MessageType.SUSPECT:
    case MessageType.ALIVE:
    case MessageType.DEAD:
    case MessageType.USER:
      try {
        st.messages.push(decodeMessage(bytes, st.limits) as PacketMessage);
      } catch (err) {
        st.errors.push(asDecodeError(err));
      }
      return;
    default:
      st.errors.push(new DecodeError(`msg type (${type}) not supported in a packet`));
  }
}

/**
 * Decodes a (decrypted) UDP packet: optional label header, optional hasCrc wrapper, then any
 * nesting of compound and compress around the messages. Never throws for bad input: a bad
 * checksum, label or empty packet yields no messages and one error; a bad part yields one
 * error and the other parts still decode.
 */
export function decodePacket(bytes: Uint8Array, opts: PacketDecodeOptions = {}): DecodedPacket {
  const st: DecodeState = {
    messages: [],
    errors: [],
    truncated: 0,
    budget: opts.maxDecompressedBytes ?? DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES,
    maxNesting: opts.maxNesting ?? DEFAULT_MAX_PACKET_NESTING,
    limits: messageDecodeLimits(opts.limits),
  };
  let label: string | null = null;
  let hadCrc = false;
  let payload: Uint8Array;
  try {
    const stripped = stripLabelHeader(bytes);
    label = stripped.label;
    const checked = verifyCrc(stripped.rest);
    hadCrc = checked.hadCrc;
    payload = checked.payload;
  } catch (err) {
    st.errors.push(asDecodeError(err));
    return { messages: [], errors: st.errors, truncated: 0, hadCrc: false, label };
  }
  walk(payload, 0, st);
  return { messages: st.messages, errors: st.errors, truncated: st.truncated, hadCrc, label };
}

// ---------------------------------------------------------------------------------------------
// Encryption helpers (thin wrappers over security/aes-gcm.ts)

/**
 * Encrypts a packet built by `encodePacket` with the keyring's primary key. A leading label
 * header stays in clear in front of the ciphertext and its label becomes the GCM additional
 * data (memberlist >= 0.3); without a label there is no additional data (0.2.2).
 */
export function sealOutgoingPacket(
  packet: Uint8Array,
  keyring: Keyring,
  encryptionVersion: EncryptionVersion = 1,
): Uint8Array {
  const { label, rest } = stripLabelHeader(packet);
  if (label === null) return sealPacket(keyring, rest, encryptionVersion);
  return addLabelHeader(
    sealPacket(keyring, rest, encryptionVersion, undefined, utf8Encode(label)),
    label,
  );
}

/**
 * Decrypts a received datagram with any installed key, taking a leading label header into
 * account (label = GCM additional data). Returns the plaintext packet for `decodePacket`.
 * Throws `DecodeError` for a malformed label header and `DecryptError` when no key opens it.
 */
export function openIncomingPacket(
  datagram: Uint8Array,
  keyring: Keyring,
): { packet: Uint8Array; label: string | null; keyIndex: number } {
  const { label, rest } = stripLabelHeader(datagram);
  const aad = label === null ? undefined : utf8Encode(label);
  const { plaintext, keyIndex } = openPacket(keyring, rest, aad);
  return { packet: plaintext, label, keyIndex };
}
