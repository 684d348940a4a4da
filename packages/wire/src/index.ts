/**
 * @serf-ts/wire: every byte serf-ts puts on a wire, byte-identical to Go serf 0.9.4 /
 * memberlist 0.2.2 / go-msgpack 0.5.5. This entry holds the vocabulary: errors, the keyring,
 * memberlist node states and message types, serf messages, member status, tags, coordinates,
 * internal query names, IP and host:port text. The codecs underneath (Go-dialect msgpack,
 * memberlist messages, packets and streams, AES-GCM, CRC-32, LZW, key query payloads) are in
 * `@serf-ts/wire/codec`; the agent RPC schema is `@serf-ts/wire/rpc`.
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
export { utf8Decode } from "./msgpack/reader.ts";
export { utf8Encode } from "./msgpack/writer.ts";
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
export { MessageType, NODE_STATE_NAMES, NodeStateCode, nodeStateName } from "./memberlist/types.ts";
export {
  decodeBase64Std,
  decodeKeyBase64,
  encodeKeyBase64,
  KEY_SIZES,
  Keyring,
  validateKey,
} from "./security/keyring.ts";
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
export { FilterType, QueryFlag, QueryResponseFlag, SerfMessageType } from "./serf/types.ts";
// The member vocabulary (status names and codes, member event names), defined once here
export type { MemberFields, UserEventFields } from "./serf/member.ts";
export {
  MEMBER_EVENT_TYPES,
  MemberEventType,
  MemberStatus,
  MemberStatusCode,
  memberStatusCode,
  memberStatusFromCode,
} from "./serf/member.ts";
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
export { INTERNAL_QUERY_PREFIX, InternalQuery, isInternalQueryName } from "./serf/key-messages.ts";
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
