/**
 * An in-memory `AgentBackend` for tests and demos: a fixed member list, a local node whose
 * tags can change, user events and queries delivered to the local subscribers, scripted
 * joins, key operations, coordinates and stats, and a log ring. It follows serf's rules where
 * clients can observe them (size limits, reserved query names, respond-once) and records every
 * call.
 */

import {
  type KeyResponse,
  type Member,
  type QueryRequest,
  queryLimitError,
  type RpcCoordinate,
  SerfCommandError,
  type StatsResponse,
  type StringMap,
  userEventLimitError,
} from "@serf-ts/wire/rpc";
import type { LogLevel } from "../../logging/log-level.ts";
import { LogRing } from "../../logging/log-ring.ts";
import type {
  AgentBackend,
  AgentEvent,
  AgentKeyResult,
  AgentQuery,
  AgentQueryResponse,
} from "../agent-backend.ts";

/** A minimal unbounded async channel (single consumer). */
export class PushChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiting: Array<(r: IteratorResult<T>) => void> = [];
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const w = this.waiting.shift();
    if (w !== undefined) w({ value: item, done: false });
    else this.items.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
  }

  get closed(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** A query sent through the backend, as a test sees it. */
export interface MemoryQuery {
  readonly params: QueryRequest;
  readonly deadline: number;
  ack(from: string): void;
  respond(from: string, payload: Uint8Array | null): void;
  /** True once the server closed it (deadline passed or client gone). */
  readonly closed: boolean;
}

/** A query delivered to local subscribers that a client may answer. */
interface DeliveredQuery {
  readonly deadline: number;
  responded: boolean;
  readonly responses: Array<Uint8Array | null>;
}

export interface MemoryBackendOptions {
  readonly localName?: string;
  readonly members?: readonly Member[];
  readonly rpcAuthKey?: string;
  readonly userEventSizeLimit?: number;
  readonly querySizeLimit?: number;
  /** Default query timeout (ms) when a request says 0. @default 1000 */
  readonly defaultQueryTimeoutMs?: number;
  /** Every query closes after this long, whatever it asked for (fast tests). */
  readonly fixedQueryTimeoutMs?: number;
  readonly stats?: StatsResponse;
  readonly coordinates?: ReadonlyMap<string, RpcCoordinate>;
}

/** A member with serf 0.9.4's protocol versions. */
export function memoryMember(
  name: string,
  ip: readonly number[],
  tags: Readonly<Record<string, string>> | StringMap = {},
  status = "alive",
  port = 7946,
): Member {
  return {
    name,
    addr: Uint8Array.from(ip),
    port,
    tags: tags instanceof Map ? tags : new Map(Object.entries(tags)),
    status,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 5,
  };
}

const EMPTY: ReadonlyMap<string, string> = new Map();

export class MemoryAgentBackend implements AgentBackend {
  readonly rpcAuthKey: string;
  readonly localName: string;
  memberList: Member[];
  statsData: StatsResponse;
  readonly coordinates: Map<string, RpcCoordinate>;
  readonly ring = new LogRing(512);
  readonly userEventSizeLimit: number;
  readonly querySizeLimit: number;
  readonly defaultQueryTimeoutMs: number;
  readonly fixedQueryTimeoutMs: number | undefined;

  /** Every call, for assertions: `[method, ...args]`. */
  readonly calls: Array<[string, ...unknown[]]> = [];
  readonly queries: MemoryQuery[] = [];
  /** Called for each `query`: script acks and responses here. */
  onQuery: ((q: MemoryQuery) => void) | undefined;
  /** `join`: default contacts every address. */
  joinHandler: (existing: readonly string[], replay: boolean) => Promise<number> = async (e) =>
    e.length;
  /** Key operations: default = a plain cluster (every node refuses). */
  keyHandler: (op: string, key: string | undefined) => Promise<AgentKeyResult>;
  leaveHandler: () => Promise<void> = async () => {};
  forceLeaveHandler: (node: string, prune: boolean) => Promise<void> = async () => {};
  shutdownCount = 0;

  private lTime = 0;
  private queryLTime = 0;
  private nextHandle = 0;
  private readonly delivered = new Map<number, DeliveredQuery>();
  private readonly eventHandlers = new Set<(event: AgentEvent) => void>();
  private readonly openQueries = new Set<{ acks: PushChannel<string> }>();

  constructor(options: MemoryBackendOptions = {}) {
    this.localName = options.localName ?? "n1";
    this.memberList = [...(options.members ?? [memoryMember(this.localName, [127, 0, 0, 1])])];
    this.rpcAuthKey = options.rpcAuthKey ?? "";
    this.userEventSizeLimit = options.userEventSizeLimit ?? 512;
    this.querySizeLimit = options.querySizeLimit ?? 1024;
    this.defaultQueryTimeoutMs = options.defaultQueryTimeoutMs ?? 1000;
    this.fixedQueryTimeoutMs = options.fixedQueryTimeoutMs;
    this.coordinates = new Map(options.coordinates ?? []);
    this.statsData =
      options.stats ??
      new Map([
        ["agent", new Map([["name", this.localName]])],
        ["tags", new Map()],
      ]);
    const names = () => this.memberList.map((m) => m.name);
    this.keyHandler = async (op) => {
      const messages = new Map<string, string>();
      const text =
        op === "list"
          ? "Keyring is empty (encryption not enabled)"
          : "No keyring to modify (encryption not enabled)";
      for (const n of names()) messages.set(n, text);
      const total = names().length;
      return {
        keys: op === "list" ? new Map() : null,
        messages,
        numErr: total,
        numNodes: total,
        numResp: total,
        error: `${total}/${total} nodes reported failure`,
      };
    };
  }

  // --- test helpers ---------------------------------------------------------------------------

  /** Delivers an event to every `stream` subscriber. */
  emit(event: AgentEvent): void {
    for (const h of [...this.eventHandlers]) h(event);
  }

  /** Delivers a query to local subscribers; returns its handle. */
  deliverQuery(name: string, payload: Uint8Array | null, timeoutMs = 5000, lTime?: number): number {
    this.nextHandle += 1;
    const handle = this.nextHandle;
    const deadline = Date.now() + timeoutMs;
    this.delivered.set(handle, { deadline, responded: false, responses: [] });
    this.queryLTime = lTime ?? this.queryLTime + 1;
    this.emit({ type: "query", name, payload, lTime: this.queryLTime, handle, deadline });
    return handle;
  }

  /** Responses clients sent for a delivered query. */
  responsesTo(handle: number): ReadonlyArray<Uint8Array | null> {
    return this.delivered.get(handle)?.responses ?? [];
  }

  /** Writes a log line (`[LEVEL] component: message`) with a fixed timestamp. */
  logLine(text: string, stamp = "2026/11/24 11:19:56"): void {
    this.ring.write(`${stamp} ${text}`);
  }

  get eventSubscriberCount(): number {
    return this.eventHandlers.size;
  }

  get logSubscriberCount(): number {
    return this.ring.subscriberCount;
  }

  get openQueryCount(): number {
    return this.openQueries.size;
  }

  // --- AgentBackend ---------------------------------------------------------------------------

  members(): readonly Member[] {
    this.calls.push(["members"]);
    return this.memberList;
  }

  join(existing: readonly string[], replay: boolean): Promise<number> {
    this.calls.push(["join", [...existing], replay]);
    return this.joinHandler(existing, replay);
  }

  async leave(): Promise<void> {
    this.calls.push(["leave"]);
    await this.leaveHandler();
    const local = this.memberList.find((m) => m.name === this.localName);
    if (local !== undefined) {
      const left = { ...local, status: "left" };
      this.memberList = this.memberList.map((m) => (m === local ? left : m));
      this.emit({ type: "member-leave", members: [left] });
    }
  }

  async shutdown(): Promise<void> {
    this.calls.push(["shutdown"]);
    this.shutdownCount += 1;
  }

  forceLeave(node: string, prune: boolean): Promise<void> {
    this.calls.push(["forceLeave", node, prune]);
    return this.forceLeaveHandler(node, prune);
  }

  userEvent(name: string, payload: Uint8Array | null, coalesce: boolean): void {
    this.calls.push(["userEvent", name, payload, coalesce]);
    const size = new TextEncoder().encode(name).length + (payload?.length ?? 0);
    if (size > this.userEventSizeLimit)
      throw new Error(userEventLimitError(this.userEventSizeLimit));
    this.lTime += 1;
    this.emit({ type: "user", name, payload, lTime: this.lTime, coalesce });
  }

  async setTags(set: StringMap, deleteKeys: readonly string[]): Promise<void> {
    this.calls.push(["setTags", new Map(set), [...deleteKeys]]);
    const local = this.memberList.find((m) => m.name === this.localName);
    const tags = new Map<string, string>();
    for (const [k, v] of local?.tags ?? EMPTY) if (!deleteKeys.includes(k)) tags.set(k, v);
    for (const [k, v] of set) tags.set(k, v);
    const encoded = [...tags].reduce((n, [k, v]) => n + k.length + v.length + 2, 1);
    if (encoded > 512) throw new Error("Encoded length of tags exceeds limit of 512 bytes");
    if (local !== undefined) {
      const updated = { ...local, tags };
      this.memberList = this.memberList.map((m) => (m === local ? updated : m));
      const section = this.statsData.get("tags");
      if (section !== undefined) {
        const next = new Map(this.statsData);
        next.set("tags", tags);
        this.statsData = next;
      }
    }
  }

  query(params: QueryRequest): AgentQuery {
    this.calls.push(["query", params]);
    if (
      params.name.startsWith("_serf_") &&
      !(params.name === "_serf_ping" && params.payload === null)
    ) {
      throw new Error(SerfCommandError.QUERY_RESERVED_PREFIX);
    }
    const size = params.name.length + (params.payload?.length ?? 0) + 50;
    if (size > this.querySizeLimit) throw new Error(queryLimitError(this.querySizeLimit));
    const timeout =
      this.fixedQueryTimeoutMs ??
      (params.timeoutMs > 0 ? params.timeoutMs : this.defaultQueryTimeoutMs);
    const deadline = Date.now() + timeout;
    const acks = new PushChannel<string>();
    const responses = new PushChannel<AgentQueryResponse>();
    const entry = { acks };
    this.openQueries.add(entry);
    const seen = new Set<string>();
    const q: MemoryQuery = {
      params,
      deadline,
      ack: (from) => {
        if (params.requestAck) acks.push(from);
      },
      respond: (from, payload) => {
        if (seen.has(from)) return;
        seen.add(from);
        responses.push({ from, payload });
      },
      get closed() {
        return acks.closed;
      },
    };
    this.queries.push(q);
    this.onQuery?.(q);
    const close = (): void => {
      acks.end();
      responses.end();
      this.openQueries.delete(entry);
    };
    setTimeout(close, Math.min(Math.max(0, timeout + 50), 0x7fffffff)).unref();
    return { deadline, acks, responses, close };
  }

  respond(handle: number, payload: Uint8Array | null): void {
    this.calls.push(["respond", handle, payload]);
    const q = this.delivered.get(handle);
    if (q === undefined) throw new Error("failed to respond to key query: unknown query");
    if (Date.now() > q.deadline) throw new Error(SerfCommandError.RESPONSE_PAST_DEADLINE);
    if (q.responded) throw new Error(SerfCommandError.RESPONSE_ALREADY_SENT);
    q.responded = true;
    q.responses.push(payload);
  }

  installKey(key: string): Promise<AgentKeyResult> {
    this.calls.push(["installKey", key]);
    return this.keyHandler("install", key);
  }

  useKey(key: string): Promise<AgentKeyResult> {
    this.calls.push(["useKey", key]);
    return this.keyHandler("use", key);
  }

  removeKey(key: string): Promise<AgentKeyResult> {
    this.calls.push(["removeKey", key]);
    return this.keyHandler("remove", key);
  }

  listKeys(): Promise<AgentKeyResult> {
    this.calls.push(["listKeys"]);
    return this.keyHandler("list", undefined);
  }

  stats(): StatsResponse {
    this.calls.push(["stats"]);
    return this.statsData;
  }

  getCoordinate(node: string): RpcCoordinate | undefined {
    this.calls.push(["getCoordinate", node]);
    return this.coordinates.get(node);
  }

  subscribeEvents(handler: (event: AgentEvent) => void): () => void {
    const h = (event: AgentEvent): void => handler(event);
    this.eventHandlers.add(h);
    return () => {
      this.eventHandlers.delete(h);
    };
  }

  subscribeLogs(_level: LogLevel, handler: (line: string) => void): () => void {
    return this.ring.subscribe((line) => handler(line));
  }
}

/** A key result of a successful operation on `n` nodes. */
export function keySuccess(
  n: number,
  keys: ReadonlyMap<string, number> | null = null,
): KeyResponse {
  return { keys, messages: new Map(), numErr: 0, numNodes: n, numResp: n };
}
