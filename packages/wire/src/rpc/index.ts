/**
 * The agent RPC ("IPC") schema of serf 0.9.4, shared by the agent (server) and the RPC client:
 * command names and body presence, typed bodies and stream records, error strings, codecs
 * byte-identical to the Go agent, and incremental framing of the TCP byte stream.
 *
 * @packageDocumentation
 */

export {
  decodeRequestBody,
  decodeResponseBody,
  encodeRequest,
  encodeRequestBody,
  encodeResponse,
  encodeResponseBody,
  type RequestBodyArgs,
  type ResponseBodyArgs,
} from "./bodies.ts";
export {
  HEADER_ONLY_ERRORS,
  hasRequestBody,
  hasResponseBody,
  isRpcCommand,
  isStreamCommand,
  type RequestBodyCommand,
  type RequestBodyOf,
  type ResponseBodyCommand,
  type ResponseBodyOf,
  RPC_COMMAND_SPECS,
  RpcCommand,
  type RpcCommandSpec,
  type RpcRequestBodies,
  type RpcResponseBodies,
  type RpcStreamRecords,
  responseBodyFollows,
  type StreamCommand,
} from "./commands.ts";
export {
  encodedUserEventLimitError,
  formatMultiError,
  illegalBase64Error,
  joinFailure,
  keyFailureError,
  keyPartialSuccessError,
  queryLimitError,
  RpcClientError,
  RpcError,
  responseLimitError,
  SerfCommandError,
  tagsLimitError,
  unknownLogLevelError,
  userEventLimitError,
} from "./error-strings.ts";
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_FRAME_DEPTH,
  RpcFrameReader,
  type RpcFrameReaderOptions,
} from "./frame-reader.ts";
export {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
} from "./headers.ts";
export {
  decodeLogRecord,
  decodeQueryRecord,
  decodeRecord,
  decodeStreamRecord,
  encodeLogRecord,
  encodeQueryRecord,
  encodeRecord,
  encodeRecordFrame,
  encodeStreamRecord,
} from "./records.ts";
export {
  type AuthRequest,
  type RpcCoordinate,
  type CoordinateResponse,
  type EventRequest,
  type ForceLeaveRequest,
  type GetCoordinateRequest,
  type HandshakeRequest,
  type JoinRequest,
  type JoinResponse,
  type KeyRequest,
  type KeyResponse,
  type LogRecord,
  type Member,
  type MemberEventRecord,
  MemberEventType,
  type MembersFilteredRequest,
  type MembersResponse,
  MemberStatus,
  type MonitorRequest,
  type QueryEventRecord,
  type QueryRecord,
  QueryRecordType,
  type QueryRequest,
  type RequestHeader,
  type RespondRequest,
  type ResponseHeader,
  type StatsResponse,
  type StopRequest,
  type StreamRecord,
  type StreamRequest,
  type StringMap,
  type TagsRequest,
  type UserEventRecord,
} from "./types.ts";
