/**
 * @serf-ts/wire/codec: the codecs under the wire vocabulary — Go-dialect msgpack (reader,
 * writer, struct reader, raw-byte strings), memberlist messages, packets (compound, compress,
 * CRC, label) and streams, AES-GCM for packets and stream frames, CRC-32, LZW, and the
 * payloads of serf's key and conflict queries.
 *
 * @packageDocumentation
 */

// msgpack (Go dialects)
export { goStringFromBytes, goStringToBytes, hasRawBytes } from "./msgpack/go-string.ts";
export type { DecodeLimits, MsgMap, MsgValue } from "./msgpack/reader.ts";
export {
  DEFAULT_DECODE_LIMITS,
  decodeMsgpack,
  MsgpackReader,
  msgpackValueEnd,
} from "./msgpack/reader.ts";
export { StructReader } from "./msgpack/struct.ts";
export type { MsgpackDialect } from "./msgpack/writer.ts";
export { MsgpackWriter } from "./msgpack/writer.ts";
// Encryption: keyring and AES-GCM (UDP packets and stream frames)
export type { EncryptionVersion, OpenedPayload } from "./security/aes-gcm.ts";
export {
  encryptedLength,
  encryptedOverhead,
  MAX_ENCRYPTION_VERSION,
  MAX_STREAM_FRAME_PAYLOAD,
  NONCE_SIZE,
  openPacket,
  openPayload,
  openStreamFrame,
  readStreamFrameHeader,
  STREAM_FRAME_HEADER_SIZE,
  STREAM_FRAME_TYPE,
  sealPacket,
  sealPayload,
  sealStreamFrame,
  TAG_SIZE,
} from "./security/aes-gcm.ts";
// Checksums and compression
export { crc32 } from "./checksum/crc32.ts";
export { lzwCompress, lzwDecompress } from "./compress/lzw.ts";
export {
  decodeConflictResponsePayload,
  decodeKeyRequestPayload,
  decodeKeyResponsePayload,
  encodeConflictResponsePayload,
  encodeKeyRequestPayload,
  encodeKeyResponsePayload,
} from "./serf/key-messages.ts";
// memberlist codecs: messages, packets (compound, compress, CRC, label), streams
export type { CompressBody, MessageDecodeLimits } from "./memberlist/messages.ts";
export {
  DEFAULT_MESSAGE_DECODE_LIMITS,
  decodeCompressBody,
  decodeMessage,
  decodePushPull,
  encodeCompressBody,
  encodeMessage,
  encodePushPull,
  encodeStreamUserMessage,
  messageDecodeLimits,
} from "./memberlist/messages.ts";
export type {
  CompoundParts,
  DecodedPacket,
  PacketDecodeOptions,
  PacketEncodeOptions,
} from "./memberlist/packet.ts";
export {
  addCrc,
  addLabelHeader,
  CRC_HEADER_SIZE,
  compressIfShorter,
  compressMessage,
  DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES,
  DEFAULT_MAX_PACKET_NESTING,
  decodeCompound,
  decodePacket,
  decompressMessage,
  encodeCompound,
  encodeCompounds,
  encodePacket,
  LZW_ALGO,
  MAX_COMPOUND_PARTS,
  MAX_LABEL_BYTES,
  openIncomingPacket,
  sealOutgoingPacket,
  stripLabelHeader,
  verifyCrc,
} from "./memberlist/packet.ts";
export type {
  StreamEncodeOptions,
  StreamEncryptionMismatch,
  StreamReadOptions,
  StreamReadResult,
} from "./memberlist/stream.ts";
export {
  DEFAULT_MAX_STREAM_DECOMPRESSED_BYTES,
  DEFAULT_MAX_STREAM_MESSAGE_BYTES,
  ENCRYPTION_NOT_CONFIGURED_TEXT,
  ENCRYPTION_REQUIRED_TEXT,
  encodeStreamMessage,
  StreamEncryptionMismatchError,
  StreamMessageReader,
  sealStreamMessage,
  tryReadStreamMessage,
} from "./memberlist/stream.ts";
