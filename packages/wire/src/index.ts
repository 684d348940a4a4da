/**
 * @serf-ts/wire: every byte serf-ts puts on a wire, byte-identical to Go serf 0.9.4 /
 * memberlist 0.2.2 / go-msgpack 0.5.5, and the agent RPC schema shared by agent and client.
 *
 * @packageDocumentation
 */

// Errors
export {
  DecodeError,
  DecryptError,
  EncodeError,
  ErrorCode,
  isSerfError,
  KeyError,
  SerfError,
} from "./errors.ts";
// msgpack (Go dialects)
export { goStringFromBytes, goStringToBytes, hasRawBytes } from "./msgpack/go-string.ts";
export type { DecodeLimits, MsgMap, MsgValue } from "./msgpack/reader.ts";
export {
  DEFAULT_DECODE_LIMITS,
  decodeMsgpack,
  MsgpackReader,
  msgpackValueEnd,
  utf8Decode,
} from "./msgpack/reader.ts";
export { StructReader } from "./msgpack/struct.ts";
export type { MsgpackDialect } from "./msgpack/writer.ts";
export { MsgpackWriter, utf8Encode } from "./msgpack/writer.ts";
// memberlist messages
export type {
  AckMessage,
  AliveMessage,
  DeadMessage,
  ErrorMessage,
  IndirectPingMessage,
  MemberlistMessage,
  NackMessage,
  PacketMessage,
  PingMessage,
  PushNodeState,
  PushPullMessage,
  StreamMessage,
  SuspectMessage,
  UserMessage,
  VersionBytes,
} from "./memberlist/types.ts";
export type { NodeStateName } from "./memberlist/types.ts";
export {
  MessageType,
  NODE_STATE_NAMES,
  NodeStateCode,
  nodeStateName,
} from "./memberlist/types.ts";
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
export {
  decodeBase64Std,
  decodeKeyBase64,
  encodeKeyBase64,
  KEY_SIZES,
  Keyring,
  validateKey,
} from "./security/keyring.ts";
// Checksums and compression
export { crc32 } from "./checksum/crc32.ts";
export { lzwCompress, lzwDecompress } from "./compress/lzw.ts";
// serf messages (carried in memberlist user messages), tags in Meta, coordinates
export type {
  ConflictResponseMessage,
  JoinMessage,
  KeyRequestMessage,
  KeyResponseMessage,
  LeaveMessage,
  NodeFilter,
  PushPullState,
  QueryFilter,
  QueryMessage,
  QueryResponseMessage,
  RelayDestAddr,
  RelayMessage,
  SerfMember,
  SerfMessage,
  TagFilter,
  UserEventCollection,
  UserEventEntry,
  UserEventMessage,
} from "./serf/types.ts";
export {
  FilterType,
  MemberStatusCode,
  QueryFlag,
  QueryResponseFlag,
  SerfMessageType,
} from "./serf/types.ts";
export {
  decodeFilter,
  decodeSerfMessage,
  encodeFilter,
  encodeSerfMessage,
} from "./serf/messages.ts";
export type { EncodeTagsOptions } from "./serf/tags.ts";
export {
  decodeTags,
  encodeTags,
  META_MAX_SIZE,
  TAG_MAGIC_BYTE,
  TAGS_MIN_PROTOCOL,
} from "./serf/tags.ts";
export type { Coordinate } from "./serf/coordinate.ts";
export {
  COORDINATE_DIMENSIONALITY,
  decodeAckPayload,
  decodeCoordinate,
  encodeAckPayload,
  encodeCoordinate,
  newCoordinate,
  PING_VERSION,
} from "./serf/coordinate.ts";
export {
  decodeConflictResponsePayload,
  decodeKeyRequestPayload,
  decodeKeyResponsePayload,
  encodeConflictResponsePayload,
  encodeKeyRequestPayload,
  encodeKeyResponsePayload,
  INTERNAL_QUERY_PREFIX,
  InternalQuery,
  isInternalQueryName,
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
// IP addresses and host:port text (Go `net` semantics)
export {
  canonicalIp,
  formatIp,
  formatTcpAddr,
  GoAddrError,
  isIPv4,
  isIPv6,
  joinHostPort,
  MISSING_PORT_IN_ADDRESS,
  parseIp,
  splitHostPort,
} from "./net/ip.ts";
