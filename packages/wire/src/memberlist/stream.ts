/**
 * TCP stream messages (memberlist.md §7.2, §8, §11): one message per direction, framed as
 *
 * ```
 * [ f4 len label ] [ 0a len(uint32 BE) ] ( 09 compress{Algo,Buf} | type body )
 * ```
 *
 * The label header (memberlist >= 0.3) is written only by the dialer. Go always compresses a
 * stream message when compression is enabled (no "only if shorter" rule) and encrypts it when
 * a keyring is configured; the GCM additional data is the 5 frame-header bytes followed by
 * the label bytes (none in 0.2.2). Without encryption or compression the message carries no
 * length, so the reader parses msgpack values incrementally (push/pull: header, node states,
 * raw user state).
 */

import { DecodeError, EncodeError } from "../errors.ts";
import { msgpackValueEnd, utf8Decode } from "../msgpack/reader.ts";
import { utf8Encode } from "../msgpack/writer.ts";
import {
  type EncryptionVersion,
  encryptedLength,
  MAX_STREAM_FRAME_PAYLOAD,
  openPayload,
  STREAM_FRAME_HEADER_SIZE,
  STREAM_FRAME_TYPE,
  sealPayload,
} from "../security/aes-gcm.ts";
import type { Keyring } from "../security/keyring.ts";
import {
  continuePushPull,
  decodeMessage,
  decodePushPull,
  encodeMessage,
  encodeStreamUserMessage,
  type MessageDecodeLimits,
  messageDecodeLimits,
  type PushPullProgress,
  pushPullProgress,
  readStreamUserHeader,
} from "./messages.ts";
import { addLabelHeader, compressMessage, decompressMessage } from "./packet.ts";
import { MessageType, type StreamMessage } from "./types.ts";

/** Go's error text for a plaintext stream sent to a node that requires encryption. */
export const ENCRYPTION_REQUIRED_TEXT =
  "Encryption is configured but remote state is not encrypted";
/** Go's error text for an encrypted stream sent to a node without a keyring. */
export const ENCRYPTION_NOT_CONFIGURED_TEXT =
  "Remote state is encrypted and encryption is not configured";
/** Default bound of one stream message (and of an encrypted frame's length field): 20 MiB. */
export const DEFAULT_MAX_STREAM_MESSAGE_BYTES = MAX_STREAM_FRAME_PAYLOAD;
/** Default bound of a decompressed stream message: 40 MiB. */
export const DEFAULT_MAX_STREAM_DECOMPRESSED_BYTES = 40 * 1024 * 1024;

const MISMATCH_BRAND = Symbol.for("@serf-ts/wire/StreamEncryptionMismatchError");

/** Why a stream was refused before its content was read. */
export type StreamEncryptionMismatch = "encryption-required" | "encryption-not-configured";

/**
 * The stream's encryption does not match ours. A `DecodeError` whose `message` is exactly
 * Go's text, so the server can answer with an errResp carrying `message` (Go does, encrypted
 * and compressed when it has a keyring) and close.
 */
export class StreamEncryptionMismatchError extends DecodeError {
  readonly reason: StreamEncryptionMismatch;
  constructor(reason: StreamEncryptionMismatch) {
    super(
      reason === "encryption-required" ? ENCRYPTION_REQUIRED_TEXT : ENCRYPTION_NOT_CONFIGURED_TEXT,
    );
    this.name = "StreamEncryptionMismatchError";
    this.reason = reason;
    Object.defineProperty(this, MISMATCH_BRAND, { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && MISMATCH_BRAND in value;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** How `encodeStreamMessage` frames a message. */
export interface StreamEncodeOptions {
  /** LZW-compress, always (Go: `EnableCompression`, default on). */
  readonly compress: boolean;
  /** Encrypt with the primary key (Go: keyring configured and `GossipVerifyOutgoing`). */
  readonly keyring?: Keyring | undefined;
  /** @default 1 (what Go uses for every serf protocol) */
  readonly encryptionVersion?: EncryptionVersion | undefined;
  /**
   * Cluster label (memberlist >= 0.3): GCM additional data after the frame header and, unless
   * `labelHeader` is false, a label header in front (only the dialer writes one).
   */
  readonly label?: string | undefined;
  /** Write the label header (the request of the dialer). @default true when `label` is set */
  readonly labelHeader?: boolean | undefined;
  /** Fixed GCM nonce (12 bytes), for tests; random by default. */
  readonly nonce?: Uint8Array | undefined;
}

function frameHeader(length: number): Uint8Array {
  const header = new Uint8Array(STREAM_FRAME_HEADER_SIZE);
  header[0] = STREAM_FRAME_TYPE;
  new DataView(header.buffer).setUint32(1, length, false);
  return header;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Seals `message` (type byte + body, possibly `09`-compressed) as an encrypted stream frame
 * `0a | length | payload`; the additional data is the frame header plus the label bytes.
 * Throws `EncodeError` beyond the 20 MiB frame limit.
 */
export function sealStreamMessage(
  message: Uint8Array,
  keyring: Keyring,
  opts: {
    readonly encryptionVersion?: EncryptionVersion | undefined;
    readonly label?: string | undefined;
    readonly nonce?: Uint8Array | undefined;
  } = {},
): Uint8Array {
  const version = opts.encryptionVersion ?? 1;
  const length = encryptedLength(version, message.length);
  if (length > MAX_STREAM_FRAME_PAYLOAD) {
    throw new EncodeError(
      `Encrypted stream payload of ${length} bytes exceeds the limit of ${MAX_STREAM_FRAME_PAYLOAD}`,
    );
  }
  const header = frameHeader(length);
  const label = opts.label ?? "";
  const aad = label === "" ? header : concat(header, utf8Encode(label));
  return concat(header, sealPayload(keyring.primaryKey, message, aad, version, opts.nonce));
}

/**
 * Encodes one stream message the way Go writes it: type byte + body (a user message in its
 * stream form `08 {UserMsgLen} payload`), then compression if enabled (always, no size
 * check), then encryption if a keyring is given, then the label header. Throws `EncodeError`.
 */
export function encodeStreamMessage(msg: StreamMessage, opts: StreamEncodeOptions): Uint8Array {
  let out = msg.type === "user" ? encodeStreamUserMessage(msg.payload) : encodeMessage(msg);
  if (opts.compress) out = compressMessage(out);
  const label = opts.label ?? "";
  if (opts.keyring !== undefined) {
    out = sealStreamMessage(out, opts.keyring, {
      encryptionVersion: opts.encryptionVersion,
      label,
      nonce: opts.nonce,
    });
  }
  if (label !== "" && opts.labelHeader !== false) out = addLabelHeader(out, label);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** How a stream is read. */
export interface StreamReadOptions {
  /** Our keyring: encryption is configured. */
  readonly keyring?: Keyring | undefined;
  /**
   * Go's `GossipVerifyIncoming`: with a keyring, refuse plaintext streams. @default true
   */
  readonly verifyIncoming?: boolean | undefined;
  /**
   * Label used as GCM additional data when the stream has no label header (the dialer
   * reading the reply uses its configured label). A label header overrides it.
   */
  readonly label?: string | undefined;
  /** Bound of the message (and of an encrypted frame's length field). @default 20 MiB */
  readonly maxMessageBytes?: number | undefined;
  /** Bound of a decompressed message. @default 40 MiB */
  readonly maxDecompressedBytes?: number | undefined;
  /** Bounds for the message content. */
  readonly limits?: Partial<MessageDecodeLimits> | undefined;
}

/** One message read from a stream. */
export interface StreamReadResult {
  readonly message: StreamMessage;
  /** Bytes of the input used (label header and frame included). */
  readonly consumed: number;
  /** The label header's label, `null` when the stream had none. */
  readonly label: string | null;
  readonly encrypted: boolean;
  readonly compressed: boolean;
  /** Index of the key that opened an encrypted message (0 = primary), else `null`. */
  readonly keyIndex: number | null;
}

interface ResolvedReadOptions {
  readonly keyring: Keyring | undefined;
  readonly verifyIncoming: boolean;
  readonly label: string;
  readonly maxMessageBytes: number;
  readonly maxDecompressedBytes: number;
  readonly limits: MessageDecodeLimits;
}

function resolve(opts: StreamReadOptions): ResolvedReadOptions {
  return {
    keyring: opts.keyring,
    verifyIncoming: opts.verifyIncoming ?? true,
    label: opts.label ?? "",
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_STREAM_MESSAGE_BYTES,
    maxDecompressedBytes: opts.maxDecompressedBytes ?? DEFAULT_MAX_STREAM_DECOMPRESSED_BYTES,
    limits: messageDecodeLimits(opts.limits),
  };
}

/** Resumable state for a plain push/pull, so a reader fed more bytes does not start over. */
interface ReadProgress {
  start: number;
  pushPull: PushPullProgress;
}

function invalidType(type: number): DecodeError {
  return new DecodeError(`Received invalid msgType (${type})`);
}

/** Decodes a complete message (after decryption and/or decompression). */
function decodeWhole(bytes: Uint8Array, o: ResolvedReadOptions): StreamMessage {
  if (bytes.length === 0) throw new DecodeError("empty stream message");
  const type = bytes[0]!;
  switch (type) {
    case MessageType.PUSH_PULL:
      return decodePushPull(bytes, o.limits);
    case MessageType.PING:
    case MessageType.ACK:
    case MessageType.ERR:
      return decodeMessage(bytes, o.limits) as StreamMessage;
    case MessageType.USER: {
      const header = readStreamUserHeader(bytes, 1, o.limits);
      if (header === undefined) throw new DecodeError("truncated user message header");
      const end = header.start + header.length;
      if (end > bytes.length) {
        throw new DecodeError(
          `Failed to read full user message (${bytes.length - header.start} / ${header.length})`,
        );
      }
      return { type: "user", payload: bytes.slice(header.start, end) };
    }
    default:
      throw invalidType(type);
  }
}

/** Reads a leading label header; `undefined` when it is not complete yet. */
function readLabel(buf: Uint8Array): { label: string | null; end: number } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== MessageType.HAS_LABEL) return { label: null, end: 0 };
  if (buf.length < 2) return undefined;
  const size = buf[1]!;
  if (size < 1) throw new DecodeError("label header cannot be empty when present");
  if (buf.length < 2 + size) return undefined;
  return { label: utf8Decode(buf.subarray(2, 2 + size)), end: 2 + size };
}

function parse(
  buf: Uint8Array,
  o: ResolvedReadOptions,
  progress: { current: ReadProgress | undefined },
): StreamReadResult | undefined {
  const lab = readLabel(buf);
  if (lab === undefined) return undefined;
  const start = lab.end;
  if (start >= buf.length) return undefined;
  const type = buf[start]!;
  const need = (): undefined => {
    if (buf.length - start > o.maxMessageBytes) {
      throw new DecodeError(`stream message is larger than the limit of ${o.maxMessageBytes}`);
    }
    return undefined;
  };
  const done = (
    message: StreamMessage,
    end: number,
    extra: { encrypted: boolean; compressed: boolean; keyIndex: number | null },
  ): StreamReadResult => {
    // An encrypted frame's length was checked against the bound before it was read.
    if (!extra.encrypted && end - start > o.maxMessageBytes) {
      throw new DecodeError(`stream message is larger than the limit of ${o.maxMessageBytes}`);
    }
    return { message, consumed: end, label: lab.label, ...extra };
  };

  if (type === STREAM_FRAME_TYPE) {
    if (o.keyring === undefined)
      throw new StreamEncryptionMismatchError("encryption-not-configured");
    if (buf.length - start < STREAM_FRAME_HEADER_SIZE) return undefined;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const length = view.getUint32(start + 1, false);
    if (length > o.maxMessageBytes) {
      throw new DecodeError(`Remote node state is larger than limit (${length})`);
    }
    const end = start + STREAM_FRAME_HEADER_SIZE + length;
    if (end > buf.length) return undefined;
    const header = buf.subarray(start, start + STREAM_FRAME_HEADER_SIZE);
    const label = lab.label ?? o.label;
    const aad = label === "" ? header : concat(header, utf8Encode(label));
    const opened = openPayload(
      o.keyring.keys(),
      buf.subarray(start + STREAM_FRAME_HEADER_SIZE, end),
      aad,
    );
    let plain = opened.plaintext;
    if (plain.length === 0) throw new DecodeError("empty encrypted stream message");
    const compressed = plain[0] === MessageType.COMPRESS;
    if (compressed) plain = decompressMessage(plain, o.maxDecompressedBytes, o.limits);
    return done(decodeWhole(plain, o), end, {
      encrypted: true,
      compressed,
      keyIndex: opened.keyIndex,
    });
  }
  if (o.keyring !== undefined && o.verifyIncoming) {
    throw new StreamEncryptionMismatchError("encryption-required");
  }
  const plainResult = { encrypted: false, compressed: false, keyIndex: null };
  switch (type) {
    case MessageType.COMPRESS: {
      const end = msgpackValueEnd(buf, start + 1, o.limits.maxDepth);
      if (end < 0) return need();
      const inner = decompressMessage(buf.subarray(start, end), o.maxDecompressedBytes, o.limits);
      return done(decodeWhole(inner, o), end, { ...plainResult, compressed: true });
    }
    case MessageType.PING:
    case MessageType.ACK:
    case MessageType.ERR: {
      const end = msgpackValueEnd(buf, start + 1, o.limits.maxDepth);
      if (end < 0) return need();
      return done(decodeWhole(buf.subarray(start, end), o), end, plainResult);
    }
    case MessageType.USER: {
      const header = readStreamUserHeader(buf, start + 1, o.limits);
      if (header === undefined) return need();
      const end = header.start + header.length;
      if (end > buf.length) return need();
      return done({ type: "user", payload: buf.slice(header.start, end) }, end, plainResult);
    }
    case MessageType.PUSH_PULL: {
      let p = progress.current;
      if (p === undefined || p.start !== start) {
        p = { start, pushPull: pushPullProgress(start + 1) };
        progress.current = p;
      }
      const r = continuePushPull(buf, p.pushPull, o.limits);
      if (r === undefined) return need();
      progress.current = undefined;
      return done(r.message, r.end, plainResult);
    }
    default:
      throw invalidType(type);
  }
}

/**
 * Reads the first message of a stream from `buf` (everything received so far). Returns
 * `undefined` when more bytes are needed. Throws `StreamEncryptionMismatchError` (a
 * `DecodeError` carrying Go's text) when the stream's encryption does not match ours,
 * `DecryptError` when no key opens an encrypted frame, and `DecodeError` for anything
 * malformed or over the size bounds.
 */
export function tryReadStreamMessage(
  buf: Uint8Array,
  opts: StreamReadOptions = {},
): StreamReadResult | undefined {
  return parse(buf, resolve(opts), { current: undefined });
}

/**
 * Incremental stream reader: `push` received chunks, call `read` until it returns a message.
 * Unlike repeated `tryReadStreamMessage` calls it resumes a plain push/pull where it stopped,
 * so a large state arriving in many chunks is parsed once.
 */
export class StreamMessageReader {
  readonly #opts: ResolvedReadOptions;
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  readonly #progress: { current: ReadProgress | undefined } = { current: undefined };

  constructor(opts: StreamReadOptions = {}) {
    this.#opts = resolve(opts);
  }

  /** Bytes received and not yet consumed by a message. */
  get bufferedBytes(): number {
    return this.#len;
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      let size = Math.max(1024, this.#buf.length * 2);
      while (size < this.#len + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  /**
   * The next complete message, or `undefined` when more bytes are needed. Consumed bytes are
   * dropped from the buffer; bytes after the message stay for the next call. Throws like
   * `tryReadStreamMessage` (the reader is then unusable: close the connection).
   */
  read(): StreamReadResult | undefined {
    const view = this.#buf.subarray(0, this.#len);
    const r = parse(view, this.#opts, this.#progress);
    if (r === undefined) return undefined;
    this.#buf = this.#buf.slice(r.consumed, this.#len);
    this.#len -= r.consumed;
    this.#progress.current = undefined;
    return r;
  }
}
