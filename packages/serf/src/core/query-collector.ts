/**
 * Collecting acks and responses at a query's originator (Go `QueryResponse` and
 * `handleQueryResponse`). A response is matched to a pending query by `LTime`, then its `ID`
 * must match; acks and responses are de-duplicated per responder separately (relays deliver
 * copies); nothing is accepted once the query is closed or past its deadline.
 *
 * The collector does not buffer: it classifies each incoming response and the driver hands
 * accepted ones to the application (Go's channels). The limits replace Go's channel
 * capacities, which are the memberlist member count at send time.
 */

/** An incoming `queryResponse` message, as decoded. */
export interface IncomingQueryResponse {
  /** LTime of the query. */
  readonly lTime: number;
  readonly id: number;
  readonly from: string;
  /** `QueryResponseFlag` bits: 1 = ack. */
  readonly flags: number;
  readonly payload: Uint8Array | null;
}

/** Why an incoming response was not accepted. */
export const CollectRejection = {
  /** No pending query has this LTime (Go: "reply for non-running query"). */
  UNKNOWN_QUERY: "unknown-query",
  /** The LTime matches but the ID does not (Go: "query reply ID mismatch"). */
  ID_MISMATCH: "id-mismatch",
  /** The query was closed. */
  CLOSED: "closed",
  /** The response arrived after the deadline. */
  PAST_DEADLINE: "past-deadline",
  /** An ack from a node that already acked. */
  DUPLICATE_ACK: "duplicate-ack",
  /** A response from a node that already responded. */
  DUPLICATE_RESPONSE: "duplicate-response",
  /** An ack for a query sent without the ack flag (Go drops it: there is no ack channel). */
  ACK_NOT_REQUESTED: "ack-not-requested",
  /** More distinct ackers than `maxAcks`. */
  ACK_LIMIT: "ack-limit",
  /** More distinct responders than `maxResponses`. */
  RESPONSE_LIMIT: "response-limit",
  /** A response payload larger than `maxPayloadBytes`. */
  PAYLOAD_TOO_LARGE: "payload-too-large",
} as const;
export type CollectRejection = (typeof CollectRejection)[keyof typeof CollectRejection];

/** Classification of one incoming response. */
export type CollectOutcome =
  | { readonly kind: "ack"; readonly from: string }
  | { readonly kind: "response"; readonly from: string; readonly payload: Uint8Array | null }
  | { readonly kind: "rejected"; readonly reason: CollectRejection; readonly message: string };

/** Parameters of one pending query. */
export interface QueryCollectorOptions {
  /** LTime of the query. */
  readonly lTime: number;
  /** ID of the query (uint32). */
  readonly id: number;
  /** Driver time (ms) at which the query closes: send time + timeout. */
  readonly deadline: number;
  /** Whether acks were requested (`QueryFlag.ACK`). */
  readonly requestAck: boolean;
  /**
   * Maximum distinct responders accepted. Go: memberlist's member count when the query was
   * sent (its response channel capacity).
   */
  readonly maxResponses: number;
  /** Maximum distinct ackers accepted. @default maxResponses */
  readonly maxAcks?: number;
  /**
   * Largest response payload accepted, in bytes. Go does not check on receipt (senders are
   * limited by their `QueryResponseSizeLimit`, 1024 by default). @default Infinity
   */
  readonly maxPayloadBytes?: number;
}

const ACK_FLAG = 1;

function reject(reason: CollectRejection, message: string): CollectOutcome {
  return { kind: "rejected", reason, message };
}

/** One pending query at its originator. */
export class QueryCollector {
  readonly lTime: number;
  readonly id: number;
  readonly deadline: number;
  readonly requestAck: boolean;
  readonly #maxResponses: number;
  readonly #maxAcks: number;
  readonly #maxPayloadBytes: number;
  readonly #acks = new Set<string>();
  readonly #responses = new Set<string>();
  #closed = false;

  constructor(options: QueryCollectorOptions) {
    this.lTime = options.lTime;
    this.id = options.id;
    this.deadline = options.deadline;
    this.requestAck = options.requestAck;
    this.#maxResponses = options.maxResponses;
    this.#maxAcks = options.maxAcks ?? options.maxResponses;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Nodes that acked, in arrival order. */
  get acks(): ReadonlySet<string> {
    return this.#acks;
  }

  /** Nodes that responded, in arrival order. */
  get responders(): ReadonlySet<string> {
    return this.#responses;
  }

  /** Closed explicitly, or `now` is past the deadline (Go `Finished`). */
  isFinished(now: number): boolean {
    return this.#closed || now > this.deadline;
  }

  /** Closes the query; later responses are rejected. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  /** Classifies one response addressed to this query (LTime already matched). */
  collect(resp: IncomingQueryResponse, now: number): CollectOutcome {
    if (resp.id !== this.id) {
      return reject(
        CollectRejection.ID_MISMATCH,
        `query reply ID mismatch (local: ${this.id}, response: ${resp.id})`,
      );
    }
    if (this.#closed) return reject(CollectRejection.CLOSED, "query is closed");
    if (now > this.deadline) {
      return reject(CollectRejection.PAST_DEADLINE, `reply from ${resp.from} after the deadline`);
    }
    if ((resp.flags & ACK_FLAG) !== 0) {
      if (this.#acks.has(resp.from)) {
        return reject(CollectRejection.DUPLICATE_ACK, `duplicate ack from ${resp.from}`);
      }
      if (!this.requestAck) {
        return reject(
          CollectRejection.ACK_NOT_REQUESTED,
          `ack from ${resp.from} for a query without the ack flag`,
        );
      }
      if (this.#acks.size >= this.#maxAcks) {
        return reject(
          CollectRejection.ACK_LIMIT,
          `failed to deliver query ack from ${resp.from}: limit of ${this.#maxAcks} acks reached`,
        );
      }
      this.#acks.add(resp.from);
      return { kind: "ack", from: resp.from };
    }
    if (this.#responses.has(resp.from)) {
      return reject(CollectRejection.DUPLICATE_RESPONSE, `duplicate response from ${resp.from}`);
    }
    const size = resp.payload?.length ?? 0;
    if (size > this.#maxPayloadBytes) {
      return reject(
        CollectRejection.PAYLOAD_TOO_LARGE,
        `response from ${resp.from} is ${size} bytes, over the limit of ${this.#maxPayloadBytes}`,
      );
    }
    if (this.#responses.size >= this.#maxResponses) {
      return reject(
        CollectRejection.RESPONSE_LIMIT,
        `failed to deliver query response from ${resp.from}: ` +
          `limit of ${this.#maxResponses} responses reached`,
      );
    }
    this.#responses.add(resp.from);
    return { kind: "response", from: resp.from, payload: resp.payload };
  }
}

/**
 * All pending queries of a node, keyed by LTime (Go `queryResponse` map; one query per LTime
 * since every query takes a fresh query-clock value). Expired queries are closed and removed
 * by {@link PendingQueries.handleTimeout}.
 */
export class PendingQueries {
  readonly #byLTime = new Map<number, QueryCollector>();

  get size(): number {
    return this.#byLTime.size;
  }

  /** Registers a query; a previous one with the same LTime is closed and replaced. */
  register(collector: QueryCollector): void {
    this.#byLTime.get(collector.lTime)?.close();
    this.#byLTime.set(collector.lTime, collector);
  }

  /** The pending query with this LTime. */
  get(lTime: number): QueryCollector | undefined {
    return this.#byLTime.get(lTime);
  }

  /** Routes a response to its query and classifies it. */
  dispatch(resp: IncomingQueryResponse, now: number): CollectOutcome {
    const q = this.#byLTime.get(resp.lTime);
    if (q === undefined) {
      return reject(
        CollectRejection.UNKNOWN_QUERY,
        `reply for non-running query (LTime: ${resp.lTime}, ID: ${resp.id}) from ${resp.from}`,
      );
    }
    return q.collect(resp, now);
  }

  /** Earliest deadline among pending queries. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const q of this.#byLTime.values())
      if (min === undefined || q.deadline < min) min = q.deadline;
    return min;
  }

  /** Closes and removes every query whose deadline is ≤ `now`; returns them. */
  handleTimeout(now: number): QueryCollector[] {
    const done: QueryCollector[] = [];
    for (const [lTime, q] of this.#byLTime) {
      if (q.deadline <= now) {
        q.close();
        this.#byLTime.delete(lTime);
        done.push(q);
      }
    }
    return done;
  }

  /** Closes and removes one query (e.g. the application cancelled it). */
  close(lTime: number): boolean {
    const q = this.#byLTime.get(lTime);
    q?.close();
    return this.#byLTime.delete(lTime);
  }
}
