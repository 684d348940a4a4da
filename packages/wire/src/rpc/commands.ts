/**
 * The agent RPC commands and which bodies they carry. Body presence is fixed per command and
 * is the only way to find message boundaries between header and body, so both ends must agree
 * on this table exactly.
 */

import { RpcError } from "./error-strings.ts";
import type {
  AuthRequest,
  CoordinateResponse,
  EventRequest,
  ForceLeaveRequest,
  GetCoordinateRequest,
  HandshakeRequest,
  JoinRequest,
  JoinResponse,
  KeyRequest,
  KeyResponse,
  LogRecord,
  MembersFilteredRequest,
  MembersResponse,
  MonitorRequest,
  QueryRecord,
  QueryRequest,
  RespondRequest,
  StatsResponse,
  StopRequest,
  StreamRecord,
  StreamRequest,
  TagsRequest,
} from "./types.ts";

/** Command names as sent in the request header. */
export const RpcCommand = {
  HANDSHAKE: "handshake",
  AUTH: "auth",
  EVENT: "event",
  FORCE_LEAVE: "force-leave",
  JOIN: "join",
  MEMBERS: "members",
  MEMBERS_FILTERED: "members-filtered",
  TAGS: "tags",
  STREAM: "stream",
  MONITOR: "monitor",
  STOP: "stop",
  LEAVE: "leave",
  QUERY: "query",
  RESPOND: "respond",
  INSTALL_KEY: "install-key",
  USE_KEY: "use-key",
  REMOVE_KEY: "remove-key",
  LIST_KEYS: "list-keys",
  STATS: "stats",
  GET_COORDINATE: "get-coordinate",
} as const;
export type RpcCommand = (typeof RpcCommand)[keyof typeof RpcCommand];

/** What a command carries besides its headers. */
export interface RpcCommandSpec {
  /** A body object follows the request header. */
  readonly requestBody: boolean;
  /**
   * A body object follows the response header, also when `Error` is set ("always"), except
   * after the header-only errors (`responseBodyFollows`).
   */
  readonly responseBody: boolean;
  /**
   * After a successful (empty `Error`) reply, further headers with the request's Seq arrive,
   * each followed by one record (`stream`, `monitor`, `query`).
   */
  readonly records: boolean;
}

const NONE = { requestBody: false, responseBody: false, records: false } as const;
const REQ = { requestBody: true, responseBody: false, records: false } as const;
const RESP = { requestBody: false, responseBody: true, records: false } as const;
const BOTH = { requestBody: true, responseBody: true, records: false } as const;
const STREAM = { requestBody: true, responseBody: false, records: true } as const;

/** Body presence per command (rpc.md §5). */
export const RPC_COMMAND_SPECS = {
  handshake: REQ,
  auth: REQ,
  event: REQ,
  "force-leave": REQ,
  join: BOTH,
  members: RESP,
  "members-filtered": BOTH,
  tags: REQ,
  stream: STREAM,
  monitor: STREAM,
  stop: REQ,
  leave: NONE,
  query: STREAM,
  respond: REQ,
  "install-key": BOTH,
  "use-key": BOTH,
  "remove-key": BOTH,
  "list-keys": RESP,
  stats: RESP,
  "get-coordinate": BOTH,
} as const satisfies { readonly [C in RpcCommand]: RpcCommandSpec };

type Specs = typeof RPC_COMMAND_SPECS;
type CommandsWhere<K extends keyof RpcCommandSpec> = {
  [C in RpcCommand]: Specs[C][K] extends true ? C : never;
}[RpcCommand];

/** Commands whose request header is followed by a body. */
export type RequestBodyCommand = CommandsWhere<"requestBody">;
/** Commands whose response header is followed by a body. */
export type ResponseBodyCommand = CommandsWhere<"responseBody">;
/** Commands that open a record stream. */
export type StreamCommand = CommandsWhere<"records">;

interface RequestBodyTypes {
  handshake: HandshakeRequest;
  auth: AuthRequest;
  event: EventRequest;
  "force-leave": ForceLeaveRequest;
  join: JoinRequest;
  "members-filtered": MembersFilteredRequest;
  tags: TagsRequest;
  stream: StreamRequest;
  monitor: MonitorRequest;
  stop: StopRequest;
  query: QueryRequest;
  respond: RespondRequest;
  "install-key": KeyRequest;
  "use-key": KeyRequest;
  "remove-key": KeyRequest;
  "get-coordinate": GetCoordinateRequest;
}

interface ResponseBodyTypes {
  join: JoinResponse;
  members: MembersResponse;
  "members-filtered": MembersResponse;
  "install-key": KeyResponse;
  "use-key": KeyResponse;
  "remove-key": KeyResponse;
  "list-keys": KeyResponse;
  stats: StatsResponse;
  "get-coordinate": CoordinateResponse;
}

interface RecordTypes {
  stream: StreamRecord;
  monitor: LogRecord;
  query: QueryRecord;
}

/** Request body type per command (only commands that have one). */
export type RpcRequestBodies = { [C in RequestBodyCommand]: RequestBodyTypes[C] };
/** Response body type per command (only commands that have one). */
export type RpcResponseBodies = { [C in ResponseBodyCommand]: ResponseBodyTypes[C] };
/** Record type per stream command. */
export type RpcStreamRecords = { [C in StreamCommand]: RecordTypes[C] };

/** The request body of command `C`, `undefined` if it has none. */
export type RequestBodyOf<C extends RpcCommand> = C extends RequestBodyCommand
  ? RpcRequestBodies[C]
  : undefined;
/** The response body of command `C`, `undefined` if it has none. */
export type ResponseBodyOf<C extends RpcCommand> = C extends ResponseBodyCommand
  ? RpcResponseBodies[C]
  : undefined;

const specs: ReadonlyMap<string, RpcCommandSpec> = new Map(Object.entries(RPC_COMMAND_SPECS));

/** A known command name (the agent answers others with `Unsupported command`). */
export function isRpcCommand(command: string): command is RpcCommand {
  return specs.has(command);
}

/** True if a body follows the request header of `command` (unknown commands: false). */
export function hasRequestBody(command: string): command is RequestBodyCommand {
  return specs.get(command)?.requestBody === true;
}

/** True if `command` defines a response body (see `responseBodyFollows` for when it is sent). */
export function hasResponseBody(command: string): command is ResponseBodyCommand {
  return specs.get(command)?.responseBody === true;
}

/** True if `command` opens a record stream. */
export function isStreamCommand(command: string): command is StreamCommand {
  return specs.get(command)?.records === true;
}

/**
 * Errors after which no response body follows, whatever the command. The agent rejects the
 * request before running it: `Authentication required` (the connection stays open), and
 * `Handshake required` / `Unsupported command` (the agent then closes the connection).
 */
export const HEADER_ONLY_ERRORS: ReadonlySet<string> = new Set([
  RpcError.AUTH_REQUIRED,
  RpcError.HANDSHAKE_REQUIRED,
  RpcError.UNSUPPORTED_COMMAND,
]);

/**
 * Whether a body follows the reply header of a `command` request whose `Error` is `error`:
 * bodies are sent "always", including on errors, except after the header-only errors. The Go
 * client applies only the `Authentication required` exception; after the other two the agent
 * closes the connection instead of sending a body.
 */
export function responseBodyFollows(command: string, error: string): boolean {
  return hasResponseBody(command) && !HEADER_ONLY_ERRORS.has(error);
}
