/**
 * `RpcClient`: one TCP connection to a serf agent's RPC port, speaking the schema of
 * `@serf-ts/wire/rpc`. Requests carry a per-connection Seq (1, 2, 3, ... as the Go client);
 * replies and stream records are matched to their request by Seq, so calls may run
 * concurrently on one client.
 */

import type { Socket } from "node:net";
import { decodeMsgpack } from "@serf-ts/wire/codec";
import {
  type CoordinateResponse,
  decodeRecord,
  decodeResponseBody,
  decodeResponseHeader,
  encodeRequest,
  type KeyResponse,
  type LogRecord,
  type QueryRecord,
  type RequestBodyArgs,
  type RequestBodyOf,
  type ResponseBodyCommand,
  type ResponseBodyOf,
  type ResponseHeader,
  type RpcCommand,
  RpcFrameReader,
  type RpcStreamRecords,
  type RpcCoordinate,
  responseBodyFollows,
  type StatsResponse,
  type StreamCommand,
  type StreamRecord,
} from "@serf-ts/wire/rpc";
import { DEFAULT_RPC_ADDR, dial } from "./dial.ts";
import { RpcClosedError, RpcProtocolError, RpcResponseError, RpcTimeoutError } from "./errors.ts";
import { type RpcMember, withAddress } from "./member-address.ts";
import { type PayloadInput, payloadBytes } from "./payload.ts";
import { DEFAULT_SUBSCRIPTION_BUFFER, type RpcSubscription, Subscription } from "./subscription.ts";

/** Dial + handshake + auth bound, as Go's `DefaultTimeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Options of `RpcClient.connect`. */
export interface RpcConnectOptions {
  /** Agent RPC address `host:port` (`[v6]:port`). @default "127.0.0.1:7373" */
  readonly addr?: string | undefined;
  /** RPC auth key (`rpc_auth` of the agent); sent with `auth` right after the handshake. */
  readonly authKey?: string | undefined;
  /** Bound on dial + handshake + auth. @default 10000 */
  readonly timeoutMs?: number | undefined;
  /**
   * Default bound on each later call (time until the agent's reply). The Go client has none
   * (it waits as long as the connection is up): join and the key commands legitimately take
   * seconds. @default undefined (no bound)
   */
  readonly requestTimeoutMs?: number | undefined;
  /** Aborts the connect (not the connection once established). */
  readonly signal?: AbortSignal | undefined;
  /** Records buffered per stream before dropping. @default 4096 */
  readonly bufferSize?: number | undefined;
  /** Largest msgpack object accepted from the agent. @default 4 MiB */
  readonly maxFrameBytes?: number | undefined;
}

/** Per-call options. */
export interface CallOptions {
  /** Bound on the wait for the reply (overrides `requestTimeoutMs`). */
  readonly timeoutMs?: number | undefined;
  /** Aborts the wait; the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
}

/** Options of `stream`, `monitor` and `query`. */
export interface StreamOptions {
  /** Bound on the wait for the agent's first reply (the stream itself is unbounded). */
  readonly timeoutMs?: number | undefined;
  /**
   * Aborts opening; once open, aborting stops the stream (`stop` is sent) and the iteration
   * throws `signal.reason`.
   */
  readonly signal?: AbortSignal | undefined;
  /** Records buffered before dropping. @default the client's `bufferSize` */
  readonly bufferSize?: number | undefined;
}

/** Tags or tag filters: a plain object or a Map (a Map keeps its order on the wire). */
export type TagInput = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

/** Filters of `membersFiltered`: anchored RE2 regexps (`^` + expr + `$`), ANDed. */
export interface MembersFilter {
  /** Tag name → regexp; a member without the tag matches as `""`. */
  readonly tags?: TagInput | undefined;
  /** Regexp on `alive` / `leaving` / `left` / `failed`. */
  readonly status?: string | undefined;
  /** Regexp on the node name. */
  readonly name?: string | undefined;
}

/** Parameters of `query`. */
export interface QueryParams {
  readonly name: string;
  /** A string is sent as UTF-8; anything but a string or `Uint8Array` is a `TypeError`. */
  readonly payload?: PayloadInput | null | undefined;
  /** Only these nodes answer. */
  readonly filterNodes?: readonly string[] | undefined;
  /** Only nodes whose tags match (tag → RE2 regexp) answer. */
  readonly filterTags?: TagInput | undefined;
  /** Ask nodes to ack receipt (`ack` records). @default false, as Go's zero value */
  readonly requestAck?: boolean | undefined;
  /** Extra nodes relaying each response (0..255). @default 0 */
  readonly relayFactor?: number | undefined;
  /** Query timeout at the agent (ms; 0 = the agent's default, 3.2 s for small clusters). */
  readonly timeoutMs?: number | undefined;
}

/** `tags` update: `set` is overlaid after removing `delete`. */
export interface TagsUpdate {
  readonly set?: TagInput | undefined;
  readonly delete?: readonly string[] | undefined;
}

type CallEntry = {
  readonly kind: "call";
  readonly command: RpcCommand;
  /** `null` once the caller gave up (timeout/abort): the reply is still read, then dropped. */
  settle: ((err: unknown, body?: unknown) => void) | null;
};

type StreamEntry = {
  readonly kind: "stream";
  readonly command: StreamCommand;
  acked: boolean;
  /** Pending `stream()`/`monitor()`/`query()` promise; `null` once settled or abandoned. */
  open: { resolve(sub: Subscription<unknown>): void; reject(err: unknown): void } | null;
  sub: Subscription<unknown> | null;
  /** Records are read and dropped (stopped, or the opener gave up). */
  discarding: boolean;
  stopping: Promise<void> | null;
  readonly bufferSize: number;
  readonly signal: AbortSignal | undefined;
};

type Entry = CallEntry | StreamEntry;

type Expect =
  | { readonly kind: "header" }
  | { readonly kind: "body"; readonly entry: CallEntry; readonly header: ResponseHeader }
  | { readonly kind: "record"; readonly seq: number; readonly entry: StreamEntry }
  | { readonly kind: "unknown" };

const EXPECT_HEADER: Expect = { kind: "header" };

function toMap(tags: TagInput | undefined): ReadonlyMap<string, string> {
  if (tags === undefined) return new Map();
  if (tags instanceof Map) return tags as ReadonlyMap<string, string>;
  return new Map(Object.entries(tags as Readonly<Record<string, string>>));
}

/** True if `frame` is a response header `{Error, Seq}` (and not a body or record). */
function looksLikeHeader(frame: Uint8Array): boolean {
  try {
    const v = decodeMsgpack(frame);
    return v instanceof Map && v.size === 2 && v.has("Error") && v.has("Seq");
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A connection to a serf agent's RPC port (Go serf 0.9.x or serf-ts).
 *
 * Lifecycle: `connect()` dials, handshakes and authenticates; every method then sends one
 * request. When the connection ends (agent exit, `leave`, network error, malformed bytes)
 * pending calls reject with `RpcClosedError("client closed")`, streams still waiting for
 * their first reply with `RpcClosedError("Stream closed")`, and open iterations throw an
 * `RpcClosedError` after their buffered records. The client does not reconnect: that is the
 * caller's decision (streams would have to be re-opened anyway); watch `whenClosed` and call
 * `RpcClient.connect()` again.
 */
export class RpcClient {
  /** The address this client dialed. */
  readonly addr: string;
  /**
   * Resolves when the connection is closed: with an `RpcClosedError` whose `cause` is what
   * ended it (socket error, protocol error, none for a clean close by the agent), or with
   * `undefined` after `close()`. Never rejects.
   */
  readonly whenClosed: Promise<RpcClosedError | undefined>;

  private readonly socket: Socket;
  private readonly reader: RpcFrameReader;
  private readonly requestTimeoutMs: number | undefined;
  private readonly bufferSize: number;
  private readonly pending = new Map<number, Entry>();
  private expect: Expect = EXPECT_HEADER;
  private seq = 0;
  /** Set once: `error` is undefined after `close()`, else what ended the connection. */
  private closeReason: { error: RpcClosedError | undefined } | null = null;
  private socketError: Error | undefined;
  private resolveClosed!: (reason: RpcClosedError | undefined) => void;
  private socketClosed = false;
  private readonly socketClosedPromise: Promise<void>;

  private constructor(socket: Socket, addr: string, options: RpcConnectOptions) {
    this.socket = socket;
    this.addr = addr;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.bufferSize = options.bufferSize ?? DEFAULT_SUBSCRIPTION_BUFFER;
    this.reader = new RpcFrameReader(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
    this.whenClosed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.socketClosedPromise = new Promise((resolve) => {
      socket.once("close", () => {
        this.socketClosed = true;
        resolve();
      });
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => {
      this.socketError ??= err;
    });
    socket.once("close", () => {
      const cause = this.socketError;
      this.shutdown(new RpcClosedError("client closed", cause === undefined ? {} : { cause }));
    });
  }

  /**
   * Connects, performs the handshake (Seq 1) and, if `authKey` is non-empty, `auth` (Seq 2).
   * Rejects with `RpcConnectError` (dial failed, Go wording), `RpcResponseError` (e.g.
   * `Invalid authentication token`), `RpcTimeoutError`, or `signal.reason`.
   */
  static async connect(options: RpcConnectOptions = {}): Promise<RpcClient> {
    const addr = options.addr ?? DEFAULT_RPC_ADDR;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const socket = await dial(addr, timeoutMs, options.signal);
    const client = new RpcClient(socket, addr, options);
    const remaining = (): number => Math.max(1, deadline - Date.now());
    const signal = options.signal;
    try {
      await client.call(
        "handshake",
        { version: 1 },
        withSignal({ timeoutMs: remaining() }, signal),
      );
      if (options.authKey !== undefined && options.authKey !== "") {
        await client.call(
          "auth",
          { authKey: options.authKey },
          withSignal({ timeoutMs: remaining() }, signal),
        );
      }
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  /** True once the connection is closed (no further calls possible). */
  get closed(): boolean {
    return this.closeReason !== null;
  }

  /**
   * Closes the connection. Pending calls reject with `RpcClosedError("client closed")`; open
   * iterations end normally. Resolves when the socket is closed.
   */
  close(): Promise<void> {
    this.shutdown(undefined);
    if (!this.socketClosed && !this.socket.destroyed) {
      // Flush what was written (e.g. a `respond` that was not awaited), then close.
      this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), 1000);
      timer.unref();
      this.socket.once("close", () => clearTimeout(timer));
    }
    return this.socketClosedPromise;
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /** All members known to the agent, including `left`/`failed` ones until reaped. */
  async members(options: CallOptions = {}): Promise<RpcMember[]> {
    const body = await this.call("members", undefined, options);
    return body.members.map(withAddress);
  }

  /** Members matching all given filters (`members-filtered`). */
  async membersFiltered(
    filter: MembersFilter = {},
    options: CallOptions = {},
  ): Promise<RpcMember[]> {
    const body = await this.call(
      "members-filtered",
      { tags: toMap(filter.tags), status: filter.status ?? "", name: filter.name ?? "" },
      options,
    );
    return body.members.map(withAddress);
  }

  /**
   * Joins the cluster through `addrs` (`host` or `host:port`); resolves with the number of
   * nodes contacted. Fails only if none could be contacted (`RpcResponseError` whose `body`
   * is the `JoinResponse`). `replay: false` (default) ignores user events older than the join.
   */
  async join(
    addrs: readonly string[],
    options: CallOptions & { readonly replay?: boolean | undefined } = {},
  ): Promise<number> {
    const body = await this.call(
      "join",
      { existing: addrs, replay: options.replay ?? false },
      options,
    );
    return body.num;
  }

  /** Gracefully leaves the cluster; the agent then shuts down and closes this connection. */
  async leave(options: CallOptions = {}): Promise<void> {
    await this.call("leave", undefined, options);
  }

  /** Forces `node` into the `left` state (`prune` also erases it). */
  async forceLeave(
    node: string,
    options: CallOptions & { readonly prune?: boolean | undefined } = {},
  ): Promise<void> {
    await this.call("force-leave", { node, prune: options.prune ?? false }, options);
  }

  /**
   * Broadcasts a user event. A string payload is sent as UTF-8; anything but a string or
   * `Uint8Array` (or `null`) rejects with a `TypeError`.
   */
  async userEvent(
    name: string,
    payload: PayloadInput | null = null,
    coalesce = true,
    options: CallOptions = {},
  ): Promise<void> {
    const bytes = payloadBytes(payload, "userEvent payload");
    await this.call("event", { name, payload: bytes, coalesce }, options);
  }

  /** Changes the agent's own tags: current minus `delete`, overlaid with `set`. */
  async tags(update: TagsUpdate, options: CallOptions = {}): Promise<void> {
    await this.call("tags", { tags: toMap(update.set), deleteTags: update.delete ?? [] }, options);
  }

  /**
   * Installs a key (base64) on every member. Resolves with the `KeyResponse`; if any node
   * failed or did not answer, rejects with `RpcResponseError<KeyResponse>` whose `body` holds
   * the per-node `messages`.
   */
  installKey(key: string, options: CallOptions = {}): Promise<KeyResponse> {
    return this.call("install-key", { key }, options);
  }

  /** Makes an installed key the primary key on every member (see `installKey`). */
  useKey(key: string, options: CallOptions = {}): Promise<KeyResponse> {
    return this.call("use-key", { key }, options);
  }

  /** Removes a (non-primary) key from every member (see `installKey`). */
  removeKey(key: string, options: CallOptions = {}): Promise<KeyResponse> {
    return this.call("remove-key", { key }, options);
  }

  /** Keys installed in the cluster: `keys` maps base64 key → holders, `numNodes` the total. */
  listKeys(options: CallOptions = {}): Promise<KeyResponse> {
    return this.call("list-keys", undefined, options);
  }

  /** Agent statistics: section → key → value (all strings). */
  stats(options: CallOptions = {}): Promise<StatsResponse> {
    return this.call("stats", undefined, options);
  }

  /** The network coordinate the agent holds for `node`, or `null` if it has none. */
  async getCoordinate(node: string, options: CallOptions = {}): Promise<RpcCoordinate | null> {
    const body: CoordinateResponse = await this.call("get-coordinate", { node }, options);
    return body.ok ? body.coord : null;
  }

  /**
   * Answers a query delivered on one of this connection's `stream()`s (its `id`). A string
   * payload is sent as UTF-8; anything but a string or `Uint8Array` (or `null`) is a `TypeError`.
   */
  async respond(
    id: number,
    payload: PayloadInput | null,
    options: CallOptions = {},
  ): Promise<void> {
    const bytes = payloadBytes(payload, "respond payload");
    await this.call("respond", { id, payload: bytes }, options);
  }

  /**
   * Subscribes to events. `filter` is a comma-separated list: `member-join`, `member-leave`,
   * `member-failed`, `member-update`, `member-reap`, `user`, `user:NAME`, `query`,
   * `query:NAME`, `*` (no spaces). Resolves once the agent accepted the filter (else rejects
   * with `RpcResponseError`, e.g. `Invalid event filter`). Query records must be answered
   * with `respond(record.id, ...)` on this client.
   */
  stream(filter = "*", options: StreamOptions = {}): Promise<RpcSubscription<StreamRecord>> {
    return this.openStream("stream", { type: filter }, options);
  }

  /**
   * Streams the agent's log lines at `logLevel` or above (`TRACE`, `DEBUG`, `INFO`, `WARN`,
   * `ERR`, any case); the agent first replays up to 512 recent lines. One monitor per
   * connection (`Monitor already exists`).
   */
  monitor(logLevel = "INFO", options: StreamOptions = {}): Promise<RpcSubscription<LogRecord>> {
    return this.openStream("monitor", { logLevel }, options);
  }

  /**
   * Sends a query and yields its `ack` and `response` records as they arrive; the iteration
   * ends at the agent's `done` record (the query deadline). Breaking early sends `stop`, which
   * the agent ignores for queries: later records are read and dropped until `done`.
   * `params.timeoutMs` is the query's own timeout; `options.timeoutMs` bounds the wait for the
   * agent's acceptance.
   */
  query(params: QueryParams, options: StreamOptions = {}): Promise<RpcSubscription<QueryRecord>> {
    let payload: Uint8Array | null;
    try {
      payload = payloadBytes(params.payload, "query payload");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.openStream(
      "query",
      {
        filterNodes: params.filterNodes ?? [],
        filterTags: toMap(params.filterTags),
        requestAck: params.requestAck ?? false,
        relayFactor: params.relayFactor ?? 0,
        timeoutMs: params.timeoutMs ?? 0,
        name: params.name,
        payload,
      },
      options,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private closedError(message = "client closed"): RpcClosedError {
    const cause = this.closeReason?.error?.cause;
    return new RpcClosedError(message, cause === undefined ? {} : { cause });
  }

  /** Encodes and writes a request; throws `EncodeError` for values out of range. */
  private write<C extends RpcCommand>(command: C, seq: number, body: RequestBodyOf<C>): void {
    const args = (body === undefined ? [] : [body]) as RequestBodyArgs<C>;
    const bytes = encodeRequest(command, seq, ...args);
    this.socket.write(bytes);
  }

  /** One request/reply exchange (Go's `genericRPC`). */
  private call<C extends RpcCommand>(
    command: C,
    body: RequestBodyOf<C>,
    options: CallOptions,
  ): Promise<ResponseBodyOf<C>> {
    return new Promise<ResponseBodyOf<C>>((resolve, reject) => {
      if (this.closeReason !== null) {
        reject(this.closedError());
        return;
      }
      const { signal } = options;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const seq = this.nextSeq();
      try {
        this.write(command, seq, body);
      } catch (err) {
        reject(err);
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => entry.settle?.(signal?.reason);
      const entry: CallEntry = {
        kind: "call",
        command,
        settle: (err, value) => {
          entry.settle = null;
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (err === null) resolve(value as ResponseBodyOf<C>);
          else reject(err);
        },
      };
      this.pending.set(seq, entry);
      const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          entry.settle?.(new RpcTimeoutError(`${command} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private openStream<C extends StreamCommand>(
    command: C,
    body: RequestBodyOf<C>,
    options: StreamOptions,
  ): Promise<RpcSubscription<RpcStreamRecords[C]>> {
    return new Promise<RpcSubscription<RpcStreamRecords[C]>>((resolve, reject) => {
      if (this.closeReason !== null) {
        reject(this.closedError("Stream closed"));
        return;
      }
      const { signal } = options;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const seq = this.nextSeq();
      try {
        this.write(command, seq, body);
      } catch (err) {
        reject(err);
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const giveUp = (err: unknown): void => {
        const open = entry.open;
        if (open === null) return;
        entry.open = null;
        entry.discarding = true;
        open.reject(err);
      };
      const onAbort = (): void => giveUp(signal?.reason);
      const settled = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const entry: StreamEntry = {
        kind: "stream",
        command,
        acked: false,
        open: {
          resolve: (sub) => {
            settled();
            resolve(sub as Subscription<RpcStreamRecords[C]>);
          },
          reject: (err) => {
            settled();
            reject(err);
          },
        },
        sub: null,
        discarding: false,
        stopping: null,
        bufferSize: options.bufferSize ?? this.bufferSize,
        signal,
      };
      this.pending.set(seq, entry);
      if (options.timeoutMs !== undefined) {
        const ms = options.timeoutMs;
        timer = setTimeout(
          () => giveUp(new RpcTimeoutError(`${command} timed out after ${ms} ms`)),
          ms,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sends `stop` for a stream (once) and forgets it when the agent confirmed. */
  private stopStream(seq: number, entry: StreamEntry): Promise<void> {
    entry.discarding = true;
    entry.sub?.end();
    if (entry.stopping === null) {
      entry.stopping = (async () => {
        try {
          await this.call("stop", { stop: seq }, {});
        } catch {
          // connection gone: nothing left to stop
        }
        // The agent sends no record of a stopped stream or monitor after the reply. A query
        // cannot be stopped: its records are dropped until `done`.
        if (entry.command !== "query" && this.pending.get(seq) === entry) {
          this.pending.delete(seq);
        }
      })();
    }
    return entry.stopping;
  }

  // -------------------------------------------------------------------------------------------
  // Replies

  private onData(chunk: Uint8Array): void {
    if (this.closeReason !== null) return;
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      this.fail(
        new RpcProtocolError(`malformed data from the agent: ${describe(err)}`, { cause: err }),
      );
      return;
    }
    for (const frame of frames) {
      if (this.closeReason !== null) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Uint8Array): void {
    const expect = this.expect;
    this.expect = EXPECT_HEADER;
    switch (expect.kind) {
      case "body":
        this.finishCall(expect.entry, expect.header, frame);
        return;
      case "record":
        this.onRecord(expect.seq, expect.entry, frame);
        return;
      case "unknown":
        // The body or record of a Seq nobody waits for (Go's client would misparse here).
        if (!looksLikeHeader(frame)) return;
        this.onHeader(frame);
        return;
      case "header":
        this.onHeader(frame);
        return;
    }
  }

  private onHeader(frame: Uint8Array): void {
    let header: ResponseHeader;
    try {
      header = decodeResponseHeader(frame);
    } catch (err) {
      this.fail(
        new RpcProtocolError(`malformed response header: ${describe(err)}`, { cause: err }),
      );
      return;
    }
    const entry = this.pending.get(header.seq);
    if (entry === undefined) {
      this.expect = { kind: "unknown" };
      return;
    }
    if (entry.kind === "call") {
      this.pending.delete(header.seq);
      if (responseBodyFollows(entry.command, header.error)) {
        this.expect = { kind: "body", entry, header };
      } else {
        this.finishCall(entry, header, undefined);
      }
      return;
    }
    if (entry.acked) {
      this.expect = { kind: "record", seq: header.seq, entry };
      return;
    }
    this.onStreamAck(header, entry);
  }

  private finishCall(entry: CallEntry, header: ResponseHeader, frame: Uint8Array | undefined) {
    const settle = entry.settle;
    if (settle === null) return;
    let body: unknown;
    if (frame !== undefined) {
      try {
        body = decodeResponseBody(entry.command as ResponseBodyCommand, frame);
      } catch (err) {
        settle(
          new RpcProtocolError(`cannot decode the ${entry.command} reply: ${describe(err)}`, {
            cause: err,
          }),
        );
        return;
      }
    }
    if (header.error !== "") settle(new RpcResponseError(entry.command, header.error, body));
    else settle(null, body);
  }

  private onStreamAck(header: ResponseHeader, entry: StreamEntry): void {
    entry.acked = true;
    const open = entry.open;
    entry.open = null;
    if (header.error !== "") {
      this.pending.delete(header.seq);
      open?.reject(new RpcResponseError(entry.command, header.error));
      return;
    }
    if (open === null) {
      // The opener gave up (timeout/abort) before the agent accepted: stop it again.
      void this.stopStream(header.seq, entry);
      return;
    }
    const seq = header.seq;
    const sub = new Subscription<unknown>(seq, entry.bufferSize, () => this.stopStream(seq, entry));
    entry.sub = sub;
    const signal = entry.signal;
    if (signal !== undefined) {
      const onAbort = (): void => sub.abort(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      sub.onFinish(() => signal.removeEventListener("abort", onAbort));
    }
    open.resolve(sub);
  }

  private onRecord(seq: number, entry: StreamEntry, frame: Uint8Array): void {
    let record: RpcStreamRecords[StreamCommand];
    try {
      record = decodeRecord(entry.command, frame);
    } catch (err) {
      if (!entry.discarding) {
        entry.sub?.fail(
          new RpcProtocolError(`cannot decode a ${entry.command} record: ${describe(err)}`, {
            cause: err,
          }),
        );
        void this.stopStream(seq, entry);
      }
      return;
    }
    if (entry.command === "query" && (record as QueryRecord).type === "done") {
      if (this.pending.get(seq) === entry) this.pending.delete(seq);
      entry.sub?.end();
      return;
    }
    if (!entry.discarding) entry.sub?.push(record);
  }

  // -------------------------------------------------------------------------------------------
  // Shutdown

  /** A fatal connection error: everything fails with `error` as the cause. */
  private fail(error: Error): void {
    this.shutdown(new RpcClosedError("client closed", { cause: error }));
    this.socket.destroy();
  }

  private destroy(): void {
    this.shutdown(undefined);
    this.socket.destroy();
  }

  /**
   * Settles everything once. `error` undefined = local close (iterations end normally),
   * otherwise the connection was lost (iterations throw).
   */
  private shutdown(error: RpcClosedError | undefined): void {
    if (this.closeReason !== null) return;
    this.closeReason = { error };
    const entries = [...this.pending.values()];
    this.pending.clear();
    // A call whose header arrived but whose body never did.
    if (this.expect.kind === "body") entries.push(this.expect.entry);
    this.expect = EXPECT_HEADER;
    for (const entry of entries) {
      if (entry.kind === "call") {
        entry.settle?.(this.closedError());
      } else if (!entry.acked) {
        const open = entry.open;
        entry.open = null;
        open?.reject(this.closedError("Stream closed"));
      } else if (error === undefined) {
        entry.sub?.end();
      } else {
        entry.sub?.fail(this.closedError());
      }
    }
    this.resolveClosed(error);
  }
}

function withSignal(options: { timeoutMs: number }, signal: AbortSignal | undefined): CallOptions {
  return signal === undefined ? options : { ...options, signal };
}
