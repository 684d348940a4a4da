/**
 * @serf-ts/rpc-client: a typed client for the serf agent RPC protocol, for Go serf 0.9.x and
 * serf-ts agents alike. The protocol schema (bodies, records, error strings) comes from
 * `@serf-ts/wire/rpc`, the same code the serf-ts agent uses.
 *
 * ```ts
 * import { RpcClient } from "@serf-ts/rpc-client";
 *
 * const client = await RpcClient.connect({ addr: "127.0.0.1:7373" });
 * const alive = (await client.members()).filter((m) => m.status === "alive");
 * for await (const rec of await client.query({ name: "ping", requestAck: true })) {
 *   if (rec.type === "response") handle(rec.from, rec.payload);
 * }
 * await client.close();
 * ```
 *
 * @packageDocumentation
 */

export {
  type CallOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type MembersFilter,
  type QueryParams,
  RpcClient,
  type RpcConnectOptions,
  type StreamOptions,
  type TagInput,
  type TagsUpdate,
} from "./client.ts";
export { DEFAULT_RPC_ADDR, parseRpcAddress, type RpcAddress } from "./dial.ts";
export { memberAddress, type RpcMember } from "./member-address.ts";
export type { PayloadInput } from "./payload.ts";
export {
  RpcClientErrorCode,
  RpcClosedError,
  RpcConnectError,
  RpcProtocolError,
  RpcResponseError,
  RpcTimeoutError,
} from "./errors.ts";
export { DEFAULT_SUBSCRIPTION_BUFFER, type RpcSubscription } from "./subscription.ts";
// The schema types callers see in results, and the agent's error strings to compare with
// `RpcResponseError.error`.
export {
  type CoordinateResponse,
  type KeyResponse,
  type LogRecord,
  type Member,
  type MemberEventRecord,
  MemberEventType,
  MemberStatus,
  type QueryEventRecord,
  type QueryRecord,
  QueryRecordType,
  RpcClientError,
  type RpcCoordinate,
  RpcError,
  type StatsResponse,
  SerfCommandError,
  type StreamRecord,
  type StringMap,
  type UserEventRecord,
} from "@serf-ts/wire/rpc";
