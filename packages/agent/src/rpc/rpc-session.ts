/**
 * One agent RPC connection (Go `IPCClient` + `AgentIPC.handleClient`): splits the byte stream
 * into msgpack objects, enforces handshake and auth, executes commands one at a time in
 * order (stream records keep flowing meanwhile), and writes every header with its body or
 * record as one unit.
 *
 * Behaviour follows rpc.md §4: the Seq of a request is echoed in its reply; a body follows the
 * reply header of a command that defines one, also on errors, except after the header-only
 * errors; `Handshake required` and `Unsupported command` are answered and then the connection
 * is closed; an undecodable header or body, or a `members-filtered` regexp that does not
 * compile, closes the connection without a reply. Deliberate differences from Go: a request
 * body that follows a command refused with `Authentication required` is consumed (Go parses it
 * as the next header and may answer twice); a header without `Command` is an unknown command
 * (Go reuses the previous header's); a client that does not read its replies is disconnected
 * once `maxWriteBufferBytes` are queued (Go blocks its streams and drops their events); a
 * connection that stalls in the middle of a request or never completes the handshake is closed
 * after a timeout.
 */

import type { Socket } from "node:net";
import type { MetricsSink } from "@serf-ts/memberlist";
import {
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponse,
  hasRequestBody,
  isRpcCommand,
  type KeyResponse,
  type RequestBodyCommand,
  type RequestHeader,
  type ResponseBodyArgs,
  type ResponseBodyCommand,
  RpcCommand,
  RpcError,
  type RpcRequestBodies,
  type RpcResponseBodies,
  RpcFrameReader,
} from "@serf-ts/wire/rpc";
import {
  type AgentBackend,
  type AgentKeyResult,
  type AgentQueryEvent,
  errorText,
  JoinError,
} from "./agent-backend.ts";
import { EventStream, parseStreamFilter } from "./event-stream.ts";
import { LogStream, parseMonitorLevel } from "./log-stream.ts";
import { filterMembers, MemberFilterError } from "./member-filter.ts";
import { type LongTimer, longTimeout } from "./long-timer.ts";
import { QueryStream } from "./query-stream.ts";

/** The logger the RPC server writes `agent.ipc` lines to (a `ComponentLogger` fits). */
export interface RpcLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Limits and timeouts of a connection (see `RpcServerOptions`). */
export interface RpcSessionLimits {
  readonly maxWriteBufferBytes: number;
  readonly maxFrameBytes: number;
  readonly maxQueuedBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly closeLingerMs: number;
}

const IPC_COMMAND = ["agent", "ipc", "command"];

/** What a session needs from its server. */
export interface RpcSessionContext {
  readonly backend: AgentBackend;
  readonly authKey: string;
  readonly limits: RpcSessionLimits;
  /** Logs without re-entering the caller (lines may reach this very connection's monitor). */
  readonly log: RpcLogger;
  /** The reply to `leave` was written on `session`: shut the agent and the server down. */
  onLeave(session: RpcSession): void;
  /** The connection is closed and every stream of it stopped. */
  onClosed(session: RpcSession): void;
  /** Receives `agent.ipc.command`. */
  readonly metrics?: MetricsSink | undefined;
}

type Item =
  | { readonly kind: "frame"; readonly bytes: Uint8Array }
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "eof" };

/** A failure to read a request body: the request cannot be evaluated. */
class BodyReadError extends Error {
  readonly silent: boolean;
  constructor(message: string, silent = false) {
    super(message);
    this.silent = silent;
  }
}

const EMPTY_MAP: ReadonlyMap<string, string> = new Map();

/** `KeyResponse` with nothing in it (a key command that failed before any query). */
function emptyKeyResponse(list: boolean): KeyResponse {
  return { keys: list ? new Map() : null, messages: EMPTY_MAP, numErr: 0, numNodes: 0, numResp: 0 };
}

/** Go's `net.Addr.String()` of a socket's remote end (`ip:port`, IPv6 in brackets). */
export function remoteAddrString(socket: Socket): string {
  let ip = socket.remoteAddress ?? "";
  if (ip.startsWith("::ffff:") && ip.includes(".")) ip = ip.slice("::ffff:".length);
  const port = socket.remotePort ?? 0;
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A pending query delivered to this connection's streams, answerable with `respond`. */
interface PendingQuery {
  readonly handle: number;
  readonly timer: LongTimer;
}

export class RpcSession {
  /** `ip:port` of the client, as Go prints it. */
  readonly name: string;
  private readonly socket: Socket;
  private readonly ctx: RpcSessionContext;
  private readonly reader: RpcFrameReader;

  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private waiter: (() => void) | undefined;
  private paused = false;
  private awaitingBody = false;

  private version = 0;
  private didAuth = false;
  private monitor: LogStream | undefined;
  private readonly eventStreams = new Map<number, EventStream>();
  private readonly queryStreams = new Set<QueryStream>();
  private queryId = 0;
  private readonly pendingQueries = new Map<number, PendingQuery>();

  private closing = false;
  private finished = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly closedWaiters: Array<() => void> = [];

  constructor(socket: Socket, ctx: RpcSessionContext) {
    this.socket = socket;
    this.ctx = ctx;
    this.name = remoteAddrString(socket);
    this.reader = new RpcFrameReader({ maxFrameBytes: ctx.limits.maxFrameBytes });
  }

  /** Starts reading and serving. */
  start(): void {
    const s = this.socket;
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("end", () => {
      // The client hung up (or half-closed): serve what was received, then close. A cut-off
      // object is a decode error, as for Go's decoder.
      const partial = this.reader.bufferedBytes > 0;
      this.enqueue(partial ? { kind: "error", message: "unexpected EOF" } : { kind: "eof" });
    });
    s.on("error", () => {
      // Reset, timeout, EPIPE…: nothing to answer any more. `close` follows.
    });
    s.on("close", () => this.finish());
    if (this.ctx.limits.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.ctx.log.debug(`Closing client without handshake: ${this.name}`);
        this.close();
      }, this.ctx.limits.handshakeTimeoutMs);
    }
    void this.run();
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** True until the connection is closed (or closing). */
  get open(): boolean {
    return !this.closing && !this.finished;
  }

  /** Streams currently attached to this connection (monitor, event streams, queries). */
  get streamCount(): number {
    return (
      (this.monitor?.active === true ? 1 : 0) + this.eventStreams.size + this.queryStreams.size
    );
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private onData(chunk: Buffer): void {
    if (this.closing || this.finished) return;
    let frames: Uint8Array[] = [];
    let failure: string | undefined;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      failure = errorText(err);
    }
    if (failure === undefined && frames.length > 0 && this.reader.bufferedBytes > 0) {
      // A framing error after complete objects is only thrown by the next push.
      try {
        this.reader.push(new Uint8Array(0));
      } catch (err) {
        failure = errorText(err);
      }
    }
    for (const bytes of frames) this.enqueue({ kind: "frame", bytes });
    if (failure !== undefined) {
      // Requests before the bad bytes are still served; then the connection is closed.
      this.enqueue({ kind: "error", message: failure });
      this.pause();
      return;
    }
    if (this.queuedBytes >= this.ctx.limits.maxQueuedBytes) this.pause();
    this.updateStallTimer(true);
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (item.kind === "frame") this.queuedBytes += item.bytes.length;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next item, waiting for it if needed. */
  private async next(): Promise<Item> {
    for (;;) {
      if (this.closing || this.finished) return { kind: "eof" };
      const item = this.queue.shift();
      if (item !== undefined) {
        if (item.kind === "frame") this.queuedBytes -= item.bytes.length;
        const low = this.queuedBytes < this.ctx.limits.maxQueuedBytes / 2;
        if (this.paused && item.kind === "frame" && low && this.queue.at(-1)?.kind !== "error") {
          this.paused = false;
          this.socket.resume();
          this.updateStallTimer(true);
        }
        return item;
      }
      this.updateStallTimer(false);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /**
   * Arms the stall timer while a request is incomplete (bytes of an unfinished object buffered,
   * or a header waiting for its body); `progress` restarts it.
   */
  private updateStallTimer(progress: boolean): void {
    const timeout = this.ctx.limits.stallTimeoutMs;
    if (timeout <= 0 || this.closing || this.finished) return;
    // While reading is paused the client is not the one stalling.
    const mid =
      !this.paused &&
      (this.reader.bufferedBytes > 0 || (this.awaitingBody && this.queue.length === 0));
    if (!mid) {
      if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      return;
    }
    if (this.stallTimer !== undefined && !progress) return;
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.ctx.log.debug(`Closing client stalled in a request: ${this.name}`);
      this.close();
    }, timeout);
  }

  /** The body of the current request (the next object). */
  private async readBody(): Promise<Uint8Array> {
    this.awaitingBody = true;
    this.updateStallTimer(true);
    try {
      const item = await this.next();
      if (item.kind === "frame") return item.bytes;
      if (item.kind === "eof") throw new BodyReadError("EOF", this.closing || this.finished);
      throw new BodyReadError(item.message);
    } finally {
      this.awaitingBody = false;
    }
  }

  private async decodeBody<C extends RequestBodyCommand>(command: C): Promise<RpcRequestBodies[C]> {
    const bytes = await this.readBody();
    try {
      return decodeRequestBody(command, bytes);
    } catch (err) {
      throw new BodyReadError(errorText(err));
    }
  }

  // -------------------------------------------------------------------------------------------
  // The request loop

  private async run(): Promise<void> {
    try {
      while (!this.closing && !this.finished) {
        const item = await this.next();
        if (item.kind === "eof") {
          this.close();
          return;
        }
        if (item.kind === "error") {
          this.fatal(`failed to decode request header: ${item.message}`);
          return;
        }
        let header: RequestHeader;
        try {
          header = decodeRequestHeader(item.bytes);
        } catch (err) {
          this.fatal(`failed to decode request header: ${errorText(err)}`);
          return;
        }
        let keepGoing: boolean;
        try {
          keepGoing = await this.handleRequest(header);
        } catch (err) {
          if (err instanceof BodyReadError) {
            if (err.silent) this.close();
            else this.fatal(`Failed to evaluate request: decode failed: ${err.message}`);
          } else {
            this.fatal(`Failed to evaluate request: ${errorText(err)}`);
          }
          return;
        }
        if (!keepGoing) return;
      }
    } catch (err) {
      // Never let a connection's failure escape as an unhandled rejection.
      this.fatal(`Failed to evaluate request: ${errorText(err)}`);
    }
  }

  /** Logs an error and closes the connection (after flushing what was already written). */
  private fatal(message: string): void {
    if (!this.closing && !this.finished) this.ctx.log.error(`${message}`);
    this.close();
  }

  /** Evaluates one request; false when the connection is to be closed. */
  private async handleRequest(header: RequestHeader): Promise<boolean> {
    const { command, seq } = header;

    if (command !== RpcCommand.HANDSHAKE && this.version === 0) {
      this.replyHeader(command, seq, RpcError.HANDSHAKE_REQUIRED);
      this.fatal(`Failed to evaluate request: ${RpcError.HANDSHAKE_REQUIRED}`);
      return false;
    }
    this.ctx.metrics?.incrCounter(IPC_COMMAND, 1);

    if (
      this.ctx.authKey !== "" &&
      !this.didAuth &&
      command !== RpcCommand.AUTH &&
      command !== RpcCommand.HANDSHAKE
    ) {
      this.ctx.log.warn("Client sending commands before auth");
      this.replyHeader(command, seq, RpcError.AUTH_REQUIRED);
      // Go does not read the body here; consume it so that it is not taken for a header.
      if (hasRequestBody(command)) {
        try {
          await this.readBody();
        } catch {
          this.close();
          return false;
        }
      }
      return true;
    }

    if (!isRpcCommand(command)) {
      this.replyHeader(command, seq, RpcError.UNSUPPORTED_COMMAND);
      this.fatal(`Failed to evaluate request: command '${command}' not recognized`);
      return false;
    }

    switch (command) {
      case "handshake":
        return this.handshake(seq);
      case "auth":
        return this.auth(seq);
      case "event":
        return this.event(seq);
      case "force-leave":
        return this.forceLeave(seq);
      case "join":
        return this.join(seq);
      case "members":
        return this.members(seq);
      case "members-filtered":
        return this.membersFiltered(seq);
      case "tags":
        return this.tags(seq);
      case "stream":
        return this.stream(seq);
      case "monitor":
        return this.monitorCommand(seq);
      case "stop":
        return this.stop(seq);
      case "leave":
        return this.leave(seq);
      case "query":
        return this.query(seq);
      case "respond":
        return this.respond(seq);
      case "install-key":
      case "use-key":
      case "remove-key":
      case "list-keys":
        return this.keyCommand(command, seq);
      case "stats":
        return this.stats(seq);
      case "get-coordinate":
        return this.getCoordinate(seq);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  private async handshake(seq: number): Promise<boolean> {
    const req = await this.decodeBody("handshake");
    let error = "";
    if (req.version < 1 || req.version > 1) {
      error = RpcError.UNSUPPORTED_IPC_VERSION;
    } else if (this.version !== 0) {
      error = RpcError.HANDSHAKE_ALREADY_PERFORMED;
    } else {
      this.version = req.version;
      if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = undefined;
    }
    this.replyHeader("handshake", seq, error);
    return true;
  }

  private async auth(seq: number): Promise<boolean> {
    const req = await this.decodeBody("auth");
    let error = "";
    if (req.authKey === this.ctx.authKey) this.didAuth = true;
    else error = RpcError.INVALID_AUTH_TOKEN;
    this.replyHeader("auth", seq, error);
    return true;
  }

  private async event(seq: number): Promise<boolean> {
    const req = await this.decodeBody("event");
    const error = await this.attempt(() =>
      this.ctx.backend.userEvent(req.name, req.payload, req.coalesce),
    );
    this.replyHeader("event", seq, error);
    return true;
  }

  private async forceLeave(seq: number): Promise<boolean> {
    const req = await this.decodeBody("force-leave");
    const error = await this.attempt(() => this.ctx.backend.forceLeave(req.node, req.prune));
    this.replyHeader("force-leave", seq, error);
    return true;
  }

  private async join(seq: number): Promise<boolean> {
    const req = await this.decodeBody("join");
    let num = 0;
    let error = "";
    try {
      num = await this.ctx.backend.join(req.existing, req.replay);
    } catch (err) {
      error = errorText(err);
      if (err instanceof JoinError) num = err.num;
    }
    this.reply("join", seq, error, { num: Math.trunc(num) | 0 });
    return true;
  }

  private async members(seq: number): Promise<boolean> {
    const members = await this.ctx.backend.members();
    this.reply("members", seq, "", { members });
    return true;
  }

  private async membersFiltered(seq: number): Promise<boolean> {
    const req = await this.decodeBody("members-filtered");
    const all = await this.ctx.backend.members();
    let members: ReturnType<typeof filterMembers>;
    try {
      members = filterMembers(all, req.tags, req.status, req.name);
    } catch (err) {
      if (!(err instanceof MemberFilterError)) throw err;
      // Go: no reply, the connection is closed.
      this.fatal(`Failed to evaluate request: ${err.message}`);
      return false;
    }
    this.reply("members-filtered", seq, "", { members });
    return true;
  }

  private async tags(seq: number): Promise<boolean> {
    const req = await this.decodeBody("tags");
    const error = await this.attempt(() => this.ctx.backend.setTags(req.tags, req.deleteTags));
    this.replyHeader("tags", seq, error);
    return true;
  }

  private async stream(seq: number): Promise<boolean> {
    const req = await this.decodeBody("stream");
    const filters = parseStreamFilter(req.type);
    if (filters === undefined) {
      this.replyHeader("stream", seq, RpcError.INVALID_EVENT_FILTER);
      return true;
    }
    if (this.eventStreams.has(seq)) {
      this.replyHeader("stream", seq, RpcError.STREAM_EXISTS);
      return true;
    }
    const es = new EventStream(
      seq,
      filters,
      (frame) => this.send(frame),
      (query) => this.registerQuery(query),
      (what, err) => this.streamFailed(what, err),
    );
    this.eventStreams.set(seq, es);
    // Reply first, then register: no record may precede the reply.
    this.replyHeader("stream", seq, "");
    if (this.open) es.start((handler) => this.ctx.backend.subscribeEvents(handler));
    return true;
  }

  private async monitorCommand(seq: number): Promise<boolean> {
    const req = await this.decodeBody("monitor");
    const parsed = parseMonitorLevel(req.logLevel);
    if ("error" in parsed) {
      this.replyHeader("monitor", seq, parsed.error);
      return true;
    }
    if (this.monitor !== undefined) {
      this.replyHeader("monitor", seq, RpcError.MONITOR_ALREADY_EXISTS);
      return true;
    }
    const ls = new LogStream(
      seq,
      parsed.level,
      (frame) => this.send(frame),
      (what, err) => this.streamFailed(what, err),
    );
    this.monitor = ls;
    this.replyHeader("monitor", seq, "");
    if (this.open) {
      ls.start((level, handler) => this.ctx.backend.subscribeLogs(level, handler));
    }
    return true;
  }

  private async stop(seq: number): Promise<boolean> {
    const req = await this.decodeBody("stop");
    if (this.monitor !== undefined && this.monitor.seq === req.stop) {
      this.monitor.stop();
      this.monitor = undefined;
    }
    const es = this.eventStreams.get(req.stop);
    if (es !== undefined) {
      es.stop();
      this.eventStreams.delete(req.stop);
    }
    this.replyHeader("stop", seq, "");
    return true;
  }

  private async leave(seq: number): Promise<boolean> {
    this.ctx.log.info("Graceful leave triggered");
    const error = await this.attempt(() => this.ctx.backend.leave());
    if (error !== "") this.ctx.log.error(`leave failed: ${error}`);
    this.replyHeader("leave", seq, error);
    this.ctx.onLeave(this);
    return true;
  }

  private async query(seq: number): Promise<boolean> {
    const req = await this.decodeBody("query");
    let started: Awaited<ReturnType<AgentBackend["query"]>>;
    try {
      started = await this.ctx.backend.query(req);
    } catch (err) {
      this.replyHeader("query", seq, errorText(err));
      return true;
    }
    const qs = new QueryStream(
      seq,
      started,
      (frame) => this.send(frame),
      (what, err) => this.streamFailed(what, err),
      (s) => this.queryStreams.delete(s),
    );
    this.queryStreams.add(qs);
    this.replyHeader("query", seq, "");
    if (this.open) qs.start();
    else qs.stop();
    return true;
  }

  private async respond(seq: number): Promise<boolean> {
    const req = await this.decodeBody("respond");
    const pending = this.pendingQueries.get(req.id);
    let error: string;
    if (pending === undefined) {
      error = RpcError.NO_PENDING_QUERY;
    } else {
      error = await this.attempt(() => this.ctx.backend.respond(pending.handle, req.payload));
    }
    this.replyHeader("respond", seq, error);
    return true;
  }

  private async keyCommand(
    command: "install-key" | "use-key" | "remove-key" | "list-keys",
    seq: number,
  ): Promise<boolean> {
    const backend = this.ctx.backend;
    let run: () => Promise<AgentKeyResult>;
    if (command === "list-keys") {
      run = () => backend.listKeys();
    } else {
      const { key } = await this.decodeBody(command);
      run =
        command === "install-key"
          ? () => backend.installKey(key)
          : command === "use-key"
            ? () => backend.useKey(key)
            : () => backend.removeKey(key);
    }
    const list = command === "list-keys";
    let body: KeyResponse;
    let error = "";
    try {
      const r = await run();
      error = r.error ?? "";
      body = {
        // Go copies Keys only for list-keys; the others always send nil.
        keys: list ? r.keys : null,
        messages: r.messages,
        numErr: r.numErr,
        numNodes: r.numNodes,
        numResp: r.numResp,
      };
    } catch (err) {
      error = errorText(err);
      body = emptyKeyResponse(list);
    }
    this.reply(command, seq, error, body);
    return true;
  }

  private async stats(seq: number): Promise<boolean> {
    let body: Awaited<ReturnType<AgentBackend["stats"]>>;
    let error = "";
    try {
      body = await this.ctx.backend.stats();
    } catch (err) {
      error = errorText(err);
      body = new Map();
    }
    this.reply("stats", seq, error, body);
    return true;
  }

  private async getCoordinate(seq: number): Promise<boolean> {
    const req = await this.decodeBody("get-coordinate");
    let coord: Awaited<ReturnType<AgentBackend["getCoordinate"]>>;
    let error = "";
    try {
      coord = await this.ctx.backend.getCoordinate(req.node);
    } catch (err) {
      error = errorText(err);
      coord = undefined;
    }
    this.reply("get-coordinate", seq, error, {
      coord: coord ?? { vec: null, error: 0, adjustment: 0, height: 0 },
      ok: coord !== undefined,
    });
    return true;
  }

  /** Runs a backend call; its failure text, or `""`. */
  private async attempt(call: () => unknown): Promise<string> {
    try {
      await call();
      return "";
    } catch (err) {
      return errorText(err);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Queries delivered to this connection's streams

  private registerQuery(query: AgentQueryEvent): number {
    this.queryId += 1;
    const id = this.queryId;
    const remaining = query.deadline - Date.now();
    if (!(remaining >= 0) || this.closing || this.finished) return id;
    const timer = longTimeout(() => this.pendingQueries.delete(id), remaining);
    this.pendingQueries.set(id, { handle: query.handle, timer });
    return id;
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  /**
   * A reply: the header, and the body when the command defines one (always, also on errors,
   * except after the header-only errors).
   */
  private reply<C extends ResponseBodyCommand>(
    command: C,
    seq: number,
    error: string,
    body: RpcResponseBodies[C],
  ): void {
    const args = [body] as unknown as ResponseBodyArgs<C>;
    this.send(encodeResponse(command, { error, seq }, ...args));
  }

  /** A header-only reply (commands without a response body, or a header-only error). */
  private replyHeader(command: string, seq: number, error: string): void {
    this.send(encodeResponse(command as RpcCommand, { error, seq }, ...([] as [])));
  }

  /** Writes one complete frame; false if the connection is gone or was dropped as too slow. */
  send(frame: Uint8Array): boolean {
    if (this.closing || this.finished || this.socket.destroyed) return false;
    if (this.socket.writableLength > this.ctx.limits.maxWriteBufferBytes) {
      this.ctx.log.warn(`Disconnecting slow client: ${this.name}`);
      this.destroy();
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  private streamFailed(what: string, err: unknown): void {
    this.ctx.log.error(`Failed to stream ${what} to ipc.client: ${this.name}: ${errorText(err)}`);
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  private stopStreams(): void {
    this.monitor?.stop();
    this.monitor = undefined;
    for (const es of this.eventStreams.values()) es.stop();
    this.eventStreams.clear();
    for (const qs of [...this.queryStreams]) qs.stop();
    this.queryStreams.clear();
    for (const p of this.pendingQueries.values()) p.timer.cancel();
    this.pendingQueries.clear();
    for (const t of [this.handshakeTimer, this.stallTimer]) if (t !== undefined) clearTimeout(t);
    this.handshakeTimer = undefined;
    this.stallTimer = undefined;
  }

  /**
   * Closes the connection after flushing what was written (Go `conn.Close()` after its last
   * `Send`); a client that does not take the bytes within `closeLingerMs` is cut off.
   */
  close(): void {
    if (this.closing || this.finished) return;
    this.closing = true;
    this.stopStreams();
    this.wake();
    const s = this.socket;
    if (s.destroyed) {
      this.finish();
      return;
    }
    s.end(() => s.destroy());
    this.lingerTimer = setTimeout(() => s.destroy(), this.ctx.limits.closeLingerMs);
  }

  /** Drops the connection at once, discarding unsent bytes. */
  destroy(): void {
    if (this.finished) return;
    this.closing = true;
    this.stopStreams();
    this.wake();
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The socket closed: release everything (idempotent). */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.stopStreams();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.wake();
    if (!this.socket.destroyed) this.socket.destroy();
    for (const w of this.closedWaiters.splice(0)) w();
    this.ctx.onClosed(this);
  }
}
