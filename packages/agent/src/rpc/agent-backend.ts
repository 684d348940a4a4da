/**
 * What the agent RPC server needs from the agent: `AgentBackend`. The server (`RpcServer`)
 * speaks the protocol; everything it reports or changes goes through this interface, so the
 * agent can implement it over its `Serf` instance, and tests can implement it in memory.
 *
 * Conventions:
 *
 * - Failures are thrown (or rejected) as `Error`s whose `message` is Go's exact text; the
 *   server sends it verbatim in the response header's `Error` (rpc.md §8). Anything else
 *   thrown is sent as `String(value)`.
 * - Types are the RPC schema's (`@serf-ts/wire/rpc`): members, tags (`ReadonlyMap`, iteration
 *   order = wire order), key responses, stats, coordinates.
 * - Times are milliseconds on the `Date.now()` clock.
 */

import type {
  KeyResponse,
  Member,
  MemberEventType,
  QueryRequest,
  RpcCoordinate,
  StatsResponse,
  StringMap,
} from "@serf-ts/wire/rpc";
import type { UserEventFields } from "@serf-ts/wire";
import type { LogLevel } from "../logging/log-level.ts";

/** A (coalesced) member event, as the agent's event handlers see it. */
export interface AgentMemberEvent {
  readonly type: MemberEventType;
  /** Members with their new state (`left` for leave and reap). */
  readonly members: readonly Member[];
}

/** A user event. */
export interface AgentUserEvent extends UserEventFields<Uint8Array | null> {
  readonly type: "user";
}

/**
 * A query delivered to this node. Internal `_serf_*` queries must not be passed on. A client
 * that receives it on a `stream` may answer with `respond`; the server then calls
 * `AgentBackend.respond(handle, payload)`.
 */
export interface AgentQueryEvent {
  readonly type: "query";
  readonly name: string;
  readonly payload: Uint8Array | null;
  /** Lamport time of the query clock. */
  readonly lTime: number;
  /** The backend's handle of the query, passed back to `respond`. */
  readonly handle: number;
  /** When responses stop being accepted (`Date.now()` ms); no `respond` after it. */
  readonly deadline: number;
}

/** What `stream` subscriptions receive. */
export type AgentEvent = AgentMemberEvent | AgentUserEvent | AgentQueryEvent;

/** One response to a query this node sent. */
export interface AgentQueryResponse {
  readonly from: string;
  readonly payload: Uint8Array | null;
}

/**
 * A query in flight (Go `serf.QueryResponse`). The server streams every ack and response as
 * it arrives and sends the single `done` record itself at `deadline`; whatever the iterables
 * yield after that is ignored, and an early end of them does not end the stream early.
 */
export interface AgentQuery {
  /** When the query closes (`Date.now()` ms). */
  readonly deadline: number;
  /** Names of acking nodes, in arrival order (only with `requestAck`); ends when it closes. */
  readonly acks: AsyncIterable<string>;
  /** Responses in arrival order (one per node); ends when the query closes. */
  readonly responses: AsyncIterable<AgentQueryResponse>;
  /** Optional: called once the server no longer needs the query (deadline or client gone). */
  close?(): void;
}

/**
 * Result of a key command (Go `KeyResponse` + error). The body is always sent, also with an
 * error; for install/use/remove the server always sends `Keys` as nil, as Go does.
 */
export interface AgentKeyResult extends KeyResponse {
  /**
   * Go's error text, e.g. `2/3 nodes reported failure`, `1/3 nodes reported success`, or
   * `illegal base64 data at input byte 9` (then `numNodes` is 0 and `messages` empty).
   * Empty or absent on success.
   */
  readonly error?: string | undefined;
}

/**
 * A `join` failure that still reports a count (Go returns `(n, err)` together, e.g. when the
 * join intent could not be broadcast after contacting `n` nodes). Any other error means 0.
 */
export class JoinError extends Error {
  readonly num: number;
  constructor(message: string, num = 0) {
    super(message);
    this.name = "JoinError";
    this.num = num;
  }
}

/** The agent as the RPC server sees it. */
export interface AgentBackend {
  /**
   * The agent's `rpc_auth` key. When non-empty every connection must `auth` with exactly this
   * string before any command other than `handshake`/`auth`.
   */
  readonly rpcAuthKey?: string | undefined;

  /** Every known member, the local node included (Go `serf.Members()`), in report order. */
  members(): readonly Member[] | Promise<readonly Member[]>;

  /**
   * Joins through `existing` (`host` or `host:port`, default port 7946); `replay` false means
   * user events older than the join are ignored. Resolves to the number of nodes contacted.
   * Rejects (Go's go-multierror text) only if none could be contacted; throw `JoinError` to
   * report a count together with an error.
   */
  join(existing: readonly string[], replay: boolean): Promise<number>;

  /** Graceful leave (broadcast + wait). Rejects with e.g. `Leave already in progress`. */
  leave(): Promise<void>;

  /**
   * Called after the reply to `leave` was written (also when the leave failed, as in Go): the
   * agent shuts down. The server closes itself and every RPC connection right after.
   */
  shutdown(): Promise<void>;

  /** Force-leave (`prune`: also erase) a node; unknown names are not an error. */
  forceLeave(node: string, prune: boolean): Promise<void>;

  /** Broadcasts a user event (rejects with Go's size-limit texts). */
  userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): void | Promise<void>;

  /**
   * Updates the local node's tags: the current configured tags minus every key of
   * `deleteKeys`, overlaid with `set`; the result replaces the tags, is written to the tags
   * file if configured, and gossiped (resolves once broadcast). Rejects e.g. with
   * `Encoded length of tags exceeds limit of 512 bytes`.
   */
  setTags(set: StringMap, deleteKeys: readonly string[]): Promise<void>;

  /**
   * Starts a query (`timeoutMs` 0 = the default timeout). Throws/rejects with Go's texts
   * (`Queries cannot contain the '_serf_' prefix`, `query exceeds limit of 1024 bytes`, …).
   */
  query(params: QueryRequest): AgentQuery | Promise<AgentQuery>;

  /**
   * Answers a delivered query (`AgentQueryEvent.handle`). Rejects with Go's texts, e.g.
   * `failed to respond to key query: response already sent`.
   */
  respond(handle: number, payload: Uint8Array | null): void | Promise<void>;

  /** Cluster-wide key operations (Go `KeyManager`); never reject for per-node failures. */
  installKey(key: string): Promise<AgentKeyResult>;
  useKey(key: string): Promise<AgentKeyResult>;
  removeKey(key: string): Promise<AgentKeyResult>;
  listKeys(): Promise<AgentKeyResult>;

  /** `serf info` sections: agent, runtime, serf, tags, event_handlers (all values strings). */
  stats(): StatsResponse | Promise<StatsResponse>;

  /** The cached coordinate of `node`, or `undefined` if there is none. */
  getCoordinate(node: string): RpcCoordinate | undefined | Promise<RpcCoordinate | undefined>;

  /**
   * Calls `handler` synchronously for every event the agent's event handlers receive
   * (after coalescing; no internal queries) until the returned function is called.
   * `handler` never throws and never blocks.
   */
  subscribeEvents(handler: (event: AgentEvent) => void): () => void;

  /**
   * Replays the in-memory log ring (the last 512 lines, oldest first), then streams every new
   * log line, each without its final newline, until the returned function is called
   * (`LogRing.subscribe`). The server applies the `level` filter itself (logutils rules), so
   * an implementation may pass every line. `handler` never throws and never blocks.
   */
  subscribeLogs(level: LogLevel, handler: (line: string) => void): () => void;
}

/** The text of a thrown value, as the server puts it in a response header. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
