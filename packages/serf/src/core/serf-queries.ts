/**
 * Serf queries (Go `query.go`, `internal_query.go`, `handleQuery`/`handleQueryResponse` in
 * serf.go, serf.md §7): sending our queries and collecting their acks and responses,
 * processing and answering queries from others (relays included), the internal `_serf_`
 * queries (key queries, conflict), and name-conflict resolution. Owns the open queries this
 * node sent and the queries delivered here that the application may still answer.
 */

import {
  decodeFilter,
  encodeFilter,
  encodeSerfMessage,
  formatIp,
  isInternalQueryName,
  type QueryFilter,
  QueryFlag,
  type QueryMessage,
  type QueryResponseMessage,
  QueryResponseFlag,
  utf8Decode,
  utf8Encode,
  SerfMessageType,
} from "@serf-ts/wire";
import { decodeConflictResponsePayload, encodeConflictResponsePayload } from "@serf-ts/wire/codec";
import { formatAddress, type NodeInfo } from "@serf-ts/memberlist/core";
import type { KeyOperation } from "./events.ts";
import {
  answerKeyQuery,
  fitKeyListResponse,
  KEY_QUERY_NAMES,
  KeyResponseAggregator,
  memberToWire,
} from "./internal-queries.ts";
import { QueryCollector } from "./query-collector.ts";
import { evaluateFilters } from "./query-filters.ts";
import { countQueryReply } from "./serf-metrics.ts";
import { selectRelayTargets } from "./query-timeout.ts";
import { EMPTY, messageOf, type SerfContext } from "./serf-context.ts";
import {
  SerfMachineError,
  SerfMachineErrorCode,
  type SerfQueryHandle,
  type SerfQueryParams,
} from "./serf-machine-types.ts";
import { checkQueryResponseSize, checkQuerySize, checkRelaySize } from "./size-limits.ts";

/** How long a delivered query stays known after its deadline (for error reporting). */
const RESPOND_GRACE_MS = 10_000;

/** A query delivered here, answerable until its deadline. */
interface DeliveredQuery {
  readonly handle: number;
  readonly lTime: number;
  readonly id: number;
  readonly name: string;
  readonly addr: Uint8Array;
  readonly port: number;
  readonly sourceNode: string;
  readonly relayFactor: number;
  readonly deadline: number;
  responded: boolean;
}

/** Who consumes the acks/responses of a query we sent. */
type QueryConsumer =
  | { readonly kind: "user" }
  | {
      readonly kind: "key";
      readonly op: number;
      readonly operation: KeyOperation;
      readonly aggregator: KeyResponseAggregator;
      done: boolean;
    }
  | { readonly kind: "conflict"; responses: number; matching: number };

interface OwnQuery {
  readonly collector: QueryCollector;
  readonly consumer: QueryConsumer;
}

export class SerfQueries {
  private readonly ctx: SerfContext;
  private readonly ownQueries = new Map<number, OwnQuery>();
  private readonly delivered = new Map<number, DeliveredQuery>();
  private nextHandle = 1;

  constructor(ctx: SerfContext) {
    this.ctx = ctx;
  }

  /** Go `Query` for the application (serf.md §7.1). */
  startUserQuery(params: SerfQueryParams): SerfQueryHandle {
    return this.startQuery(params, { kind: "user" });
  }

  /** Go `KeyManager.handleKeyRequest`: one `_serf_*-key` query, answers aggregated. */
  startKeyQuery(
    op: number,
    operation: KeyOperation,
    payload: Uint8Array,
    relayFactor: number,
  ): void {
    const aggregator = new KeyResponseAggregator(this.ctx.numMembers());
    const consumer: QueryConsumer = { kind: "key", op, operation, aggregator, done: false };
    this.startQuery({ name: KEY_QUERY_NAMES[operation], payload, relayFactor }, consumer);
  }

  /** Go `QueryResponse.Close`; false if the query is not open. */
  close(lTime: number): boolean {
    const own = this.ownQueries.get(lTime);
    if (own === undefined) return false;
    this.finishOwnQuery(lTime, own);
    return true;
  }

  /** The `query-deadline` timer of one of our queries. */
  onDeadline(lTime: number, id: number): void {
    const own = this.ownQueries.get(lTime);
    if (own !== undefined && own.collector.id === id) this.finishOwnQuery(lTime, own);
  }

  /** The `respond-expire` timer: a delivered query is forgotten. */
  expire(handle: number): void {
    this.delivered.delete(handle);
  }

  /** Go `Query.Respond` for a delivered `query` event. */
  respond(handle: number, payload: Uint8Array): void {
    const q = this.delivered.get(handle);
    if (q === undefined) {
      throw new SerfMachineError(SerfMachineErrorCode.RESPOND, "unknown or expired query");
    }
    const resp = this.responseTo(q, payload);
    const raw = encodeSerfMessage(resp);
    this.sendResponse(q, raw);
  }

  /** Go `handleQuery` (serf.md §7.2). @returns whether to rebroadcast. */
  handleQuery(q: QueryMessage): boolean {
    const verdict = this.ctx.queryBuffer.offer(q, this.ctx.queryClock);
    if (verdict !== "new") {
      if (verdict === "too-old") this.ctx.log.warn("received old query", { name: q.name });
      return false;
    }
    this.ctx.metrics.query(q.name);
    const rebroadcast = (q.flags & QueryFlag.NO_BROADCAST) === 0;
    const filters: (QueryFilter | undefined)[] = [];
    for (const f of q.filters ?? []) {
      try {
        filters.push(decodeFilter(f));
      } catch {
        filters.push(undefined);
      }
    }
    const verdictFilters = evaluateFilters(filters, {
      nodeName: this.ctx.name,
      tags: this.ctx.tags(),
    });
    if (!verdictFilters.pass) {
      if (verdictFilters.reason !== "node-not-listed" && verdictFilters.reason !== "tag-mismatch") {
        this.ctx.log.warn("query filter not evaluated", { reason: verdictFilters.reason });
      }
      return rebroadcast;
    }
    if ((q.flags & QueryFlag.ACK) !== 0) {
      const ack: QueryResponseMessage = {
        type: "query-response",
        lTime: q.lTime,
        id: q.id,
        from: this.ctx.name,
        flags: QueryResponseFlag.ACK,
        payload: null,
      };
      const raw = encodeSerfMessage(ack);
      this.ctx.sendTo(formatAddress(q.addr, q.port), raw, q.sourceNode);
      try {
        this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, raw);
      } catch (err) {
        this.ctx.log.error("failed to relay ack", { error: messageOf(err) });
      }
    }
    this.deliverQuery(q);
    return rebroadcast;
  }

  /** Hands a processed query to the internal handler or the application. */
  private deliverQuery(q: QueryMessage): void {
    const deadline = this.ctx.now() + q.timeoutNs / 1e6;
    const rec: DeliveredQuery = {
      handle: this.nextHandle++,
      lTime: q.lTime,
      id: q.id,
      name: q.name,
      addr: q.addr,
      port: q.port,
      sourceNode: q.sourceNode,
      relayFactor: q.relayFactor,
      deadline,
      responded: false,
    };
    // Go's snapshotter sits before the internal-query stage: internal queries count too.
    this.ctx.snapshotQueryClock(q.lTime);
    if (isInternalQueryName(q.name)) {
      this.handleInternalQuery(rec, q.payload ?? EMPTY);
      return;
    }
    this.delivered.set(rec.handle, rec);
    // Kept a while past the deadline so a late respond() gets Go's "past the deadline" error.
    this.ctx.schedule(deadline + RESPOND_GRACE_MS, {
      kind: "respond-expire",
      handle: rec.handle,
    });
    this.ctx.emit({
      type: "query",
      name: q.name,
      payload: q.payload === null ? EMPTY : q.payload.slice(),
      lTime: q.lTime,
      id: q.id,
      sourceNode: q.sourceNode,
      sourceAddress: formatAddress(q.addr, q.port),
      handle: rec.handle,
      deadline,
    });
  }

  /** Go `serfQueries.handleQuery`. */
  private handleInternalQuery(q: DeliveredQuery, payload: Uint8Array): void {
    const respond = (p: Uint8Array): void => {
      try {
        this.sendResponse(q, encodeSerfMessage(this.responseTo(q, p)));
      } catch (err) {
        this.ctx.log.error("failed to respond to internal query", {
          name: q.name,
          error: messageOf(err),
        });
      }
    };
    switch (q.name) {
      case "_serf_ping":
        return;
      case "_serf_conflict": {
        const node = utf8Decode(payload);
        if (node === this.ctx.name) return; // never answer about ourselves
        const member = this.ctx.table.get(node)?.member;
        respond(encodeConflictResponsePayload(member === undefined ? null : memberToWire(member)));
        return;
      }
      case KEY_QUERY_NAMES.install:
      case KEY_QUERY_NAMES.use:
      case KEY_QUERY_NAMES.remove: {
        const operation: KeyOperation =
          q.name === KEY_QUERY_NAMES.install
            ? "install"
            : q.name === KEY_QUERY_NAMES.use
              ? "use"
              : "remove";
        const resp = answerKeyQuery(operation, payload, this.ctx.keyring);
        if (!resp.result)
          this.ctx.log.error("key query failed", { name: q.name, message: resp.message });
        respond(encodeSerfMessage({ type: "key-response", ...resp }));
        return;
      }
      case KEY_QUERY_NAMES.list: {
        const resp = answerKeyQuery("list", payload, this.ctx.keyring);
        const fitted = fitKeyListResponse(
          resp,
          (p) => encodeSerfMessage(this.responseTo(q, p)),
          this.ctx.options.queryResponseSizeLimit,
        );
        if (fitted === undefined) {
          this.ctx.log.error("Failed to truncate response so that it fits into message");
          return;
        }
        if (fitted.truncated) this.ctx.log.warn("truncated key list response");
        try {
          this.sendResponse(q, fitted.raw);
        } catch (err) {
          this.ctx.log.error("failed to respond to key query", { error: messageOf(err) });
        }
        return;
      }
      default:
        this.ctx.log.warn("unhandled internal query", { name: q.name });
    }
  }

  private responseTo(q: DeliveredQuery, payload: Uint8Array): QueryResponseMessage {
    return {
      type: "query-response",
      lTime: q.lTime,
      id: q.id,
      from: this.ctx.name,
      flags: 0,
      payload,
    };
  }

  /** Go `respondWithMessageAndResponse`: checks, sends, relays, marks answered. */
  private sendResponse(q: DeliveredQuery, raw: Uint8Array): void {
    checkQueryResponseSize(raw.length, this.ctx.options.queryResponseSizeLimit);
    if (q.responded) {
      throw new SerfMachineError(SerfMachineErrorCode.RESPOND, "response already sent");
    }
    if (this.ctx.now() > q.deadline) {
      throw new SerfMachineError(SerfMachineErrorCode.RESPOND, "response is past the deadline");
    }
    this.ctx.sendTo(formatAddress(q.addr, q.port), raw, q.sourceNode);
    this.relayResponse(q.relayFactor, q.addr, q.port, q.sourceNode, raw);
    q.responded = true;
  }

  /** Go `relayResponse` (serf.md §7.5). */
  private relayResponse(
    relayFactor: number,
    addr: Uint8Array,
    port: number,
    sourceNode: string,
    raw: Uint8Array,
  ): void {
    if (relayFactor === 0) return;
    const members = this.ctx.table.list();
    if (members.length < relayFactor + 1) return;
    const relay = encodeSerfMessage({
      type: "relay",
      destAddr: { ip: addr, port, zone: "" },
      destName: sourceNode,
      message: raw,
    });
    checkRelaySize(relay.length, this.ctx.options.queryResponseSizeLimit);
    const targets = selectRelayTargets(members, relayFactor, this.ctx.name, this.ctx.random);
    for (const m of targets) this.ctx.sendTo(formatAddress(m.addr, m.port), relay, m.name);
  }

  /** Go `handleQueryResponse` (serf.md §7.6). */
  handleQueryResponse(resp: QueryResponseMessage): void {
    const own = this.ownQueries.get(resp.lTime);
    if (own === undefined) {
      this.ctx.log.warn("reply for non-running query", {
        lTime: resp.lTime,
        id: resp.id,
        from: resp.from,
      });
      return;
    }
    const outcome = own.collector.collect(resp, this.ctx.now());
    countQueryReply(this.ctx.metrics, outcome);
    if (outcome.kind === "rejected") {
      this.ctx.log.debug("query reply ignored", {
        reason: outcome.reason,
        message: outcome.message,
      });
      return;
    }
    const c = own.consumer;
    if (outcome.kind === "ack") {
      if (c.kind === "user") {
        this.ctx.emit({ type: "query-ack", lTime: resp.lTime, id: resp.id, from: outcome.from });
      }
      return;
    }
    const payload = outcome.payload ?? EMPTY;
    switch (c.kind) {
      case "user":
        this.ctx.emit({
          type: "query-response",
          lTime: resp.lTime,
          id: resp.id,
          from: outcome.from,
          payload: payload.slice(),
        });
        return;
      case "key":
        if (c.done) return;
        if (c.aggregator.add(outcome.from, payload)) {
          c.done = true;
          this.finishKeyOp(c);
        }
        return;
      case "conflict": {
        if (payload.length < 1 || payload[0] !== SerfMessageType.CONFLICT_RESPONSE) {
          this.ctx.log.error("invalid conflict query response type");
          return;
        }
        let member: ReturnType<typeof decodeConflictResponsePayload>;
        try {
          member = decodeConflictResponsePayload(payload);
        } catch (err) {
          this.ctx.log.error("failed to decode conflict query response", { error: messageOf(err) });
          return;
        }
        c.responses++;
        if (
          member !== null &&
          sameIp(member.addr, this.ctx.addr) &&
          member.port === this.ctx.port
        ) {
          c.matching++;
        }
        return;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending queries

  private startQuery(params: SerfQueryParams, consumer: QueryConsumer): SerfQueryHandle {
    if (this.ctx.options.protocolVersion < 4) {
      throw new SerfMachineError(SerfMachineErrorCode.UNSUPPORTED, "Feature not supported");
    }
    const timeoutMs =
      params.timeoutMs === undefined || params.timeoutMs === 0
        ? this.ctx.defaultQueryTimeoutMs()
        : params.timeoutMs;
    const relayFactor = params.relayFactor ?? 0;
    if (!Number.isInteger(relayFactor) || relayFactor < 0 || relayFactor > 255) {
      throw new RangeError(`relayFactor must be in [0, 255], got ${relayFactor}`);
    }
    const filters: Uint8Array[] = [];
    if (params.filterNodes !== undefined && params.filterNodes.length > 0) {
      filters.push(encodeFilter({ type: "node", nodes: [...params.filterNodes] }));
    }
    const tagEntries =
      params.filterTags === undefined
        ? []
        : params.filterTags instanceof Map
          ? [...params.filterTags]
          : Object.entries(params.filterTags as Readonly<Record<string, string>>);
    for (const [tag, expr] of tagEntries) filters.push(encodeFilter({ type: "tag", tag, expr }));
    const payload = params.payload ?? EMPTY;
    const q: QueryMessage = {
      type: "query",
      lTime: this.ctx.queryClock.time(),
      id: this.ctx.random.nextUint32() & 0x7fffffff,
      addr: this.ctx.addr,
      port: this.ctx.port,
      sourceNode: this.ctx.name,
      filters: filters.length === 0 ? null : filters,
      flags: params.requestAck === true ? QueryFlag.ACK : 0,
      relayFactor,
      timeoutNs: Math.round(timeoutMs * 1e6),
      name: params.name,
      payload: payload.length === 0 ? null : payload.slice(),
    };
    const raw = encodeSerfMessage(q);
    checkQuerySize(raw.length, this.ctx.options.querySizeLimit);
    const deadline = this.ctx.now() + timeoutMs;
    const collector = new QueryCollector({
      lTime: q.lTime,
      id: q.id,
      deadline,
      requestAck: params.requestAck === true,
      // Go's channels hold NumMembers entries but are drained concurrently; bound generously.
      maxResponses: Math.max(1024, 4 * this.ctx.numMembers()),
    });
    this.ownQueries.get(q.lTime)?.collector.close();
    this.ownQueries.set(q.lTime, { collector, consumer });
    this.ctx.schedule(deadline, { kind: "query-deadline", lTime: q.lTime, id: q.id });
    this.handleQuery(q);
    this.ctx.queryQueue.queueBroadcast({ message: raw });
    return { lTime: q.lTime, id: q.id, deadline };
  }

  private finishOwnQuery(lTime: number, own: OwnQuery): void {
    this.ownQueries.delete(lTime);
    own.collector.close();
    const c = own.consumer;
    switch (c.kind) {
      case "user":
        this.ctx.emit({
          type: "query-done",
          lTime,
          id: own.collector.id,
          acks: [...own.collector.acks],
          responders: [...own.collector.responders],
        });
        return;
      case "key":
        if (!c.done) {
          c.done = true;
          this.finishKeyOp(c);
        }
        return;
      case "conflict": {
        const majority = Math.floor(c.responses / 2) + 1;
        const won = c.matching >= majority;
        this.ctx.emit({
          type: "name-conflict-resolved",
          matching: c.matching,
          responses: c.responses,
          won,
        });
        if (won) {
          this.ctx.log.info("majority in name conflict resolution", { matching: c.matching });
        } else {
          this.ctx.log.warn("minority in name conflict resolution, quitting", {
            matching: c.matching,
          });
          this.ctx.shutdownWith("name-conflict", this.ctx.now());
        }
        return;
      }
    }
  }

  private finishKeyOp(c: Extract<QueryConsumer, { kind: "key" }>): void {
    this.ctx.emit({
      type: "key-operation",
      op: c.op,
      operation: c.operation,
      response: c.aggregator.response(),
      error: c.aggregator.error(),
    });
  }

  /** Go `handleNodeConflict` + `resolveNodeConflict`. */
  handleNodeConflict(existing: NodeInfo, other: NodeInfo): void {
    const local = existing.name === this.ctx.name;
    const resolving = local && this.ctx.options.enableNameConflictResolution && !this.ctx.isShut();
    this.ctx.emit({
      type: "name-conflict",
      node: existing.name,
      existing: existing.address,
      other: other.address,
      local,
      resolving,
    });
    if (!local) {
      this.ctx.log.warn("name conflict", {
        node: existing.name,
        existing: existing.address,
        other: other.address,
      });
      return;
    }
    this.ctx.log.error("node name conflicts with another node", { other: other.address });
    if (!resolving) return;
    try {
      this.startQuery(
        { name: "_serf_conflict", payload: utf8Encode(this.ctx.name) },
        { kind: "conflict", responses: 0, matching: 0 },
      );
    } catch (err) {
      this.ctx.log.error("failed to start name resolution query", { error: messageOf(err) });
    }
  }
}

/** Go `net.IP.Equal`: IPv4 equals its IPv4-mapped IPv6 form. */
function sameIp(a: Uint8Array, b: Uint8Array): boolean {
  return formatIp(a) === formatIp(b);
}
