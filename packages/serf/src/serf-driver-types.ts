/**
 * The public types of the `Serf` driver: its configuration, the events it delivers (queries
 * with `respond`, overflow markers), query parameters and results, key operations and stats.
 */

import type {
  Clock,
  Logger,
  MachineDriverStats,
  MetricsSink,
  ProfileName,
  Random,
  Transport,
} from "@serf-ts/memberlist";
import type { SerfStats } from "./core/serf-machine.ts";
import type {
  KeyOperation,
  KeyResponse,
  SerfEvent,
  SerfMemberEvent,
  SerfMemberEventType,
  SerfQueryEvent,
} from "./core/events.ts";
import type { SerfOptions } from "./options.ts";
import type { SnapshotStore } from "./snapshot/snapshot-store.ts";

/** Everything `Serf.create` takes. All optional; a real node usually sets name and bind. */
export interface SerfConfig {
  /** Cluster-unique node name. @default os.hostname() */
  readonly nodeName?: string | undefined;
  /** Address the UDP and TCP listeners bind to. @default "0.0.0.0" */
  readonly bindAddr?: string | undefined;
  /** Port for UDP and TCP (0 = pick one). @default 7946 */
  readonly bindPort?: number | undefined;
  /** Address advertised to peers (NAT, wildcard bind). */
  readonly advertiseAddr?: string | undefined;
  /** Port advertised to peers. */
  readonly advertisePort?: number | undefined;
  /** Initial tags (encoded Meta ≤ 512 bytes). */
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /**
   * Gossip encryption keys, base64 (as `serf keygen` prints) or raw 16/24/32 bytes; the first
   * is the primary key. Enables encryption.
   */
  readonly encryptKeys?: readonly (string | Uint8Array)[] | undefined;
  /**
   * Keyring file (Go agent `-keyring-file`): loaded at start when it exists (then
   * `encryptKeys` must be empty, as in Go), created from `encryptKeys` otherwise, and
   * rewritten after every key change.
   */
  readonly keyringFile?: string | undefined;
  /** Snapshot file (Go agent `-snapshot`): replayed at start, then written. */
  readonly snapshotPath?: string | undefined;
  /** A snapshot store to use instead of a file (tests, custom storage). */
  readonly snapshotStore?: SnapshotStore | undefined;
  /** Agent `-rejoin`: a `leave` in the snapshot does not prevent the rejoin. @default false */
  readonly rejoinAfterLeave?: boolean | undefined;
  /** Serf protocol version 2–5 (Go library default 4, agent 5). */
  readonly protocolVersion?: number | undefined;
  /**
   * Go 0.9.5 `ValidateNodeNames`: refuse a node name with characters other than ASCII letters,
   * digits, `-` and `.`, or longer than 128 bytes (Go's error texts). @default false
   */
  readonly validateNodeNames?: boolean | undefined;
  /** memberlist timing profile. @default "lan" */
  readonly profile?: ProfileName | undefined;
  /** Every other serf (and, under `memberlist`, memberlist) option. */
  readonly options?: SerfOptions | undefined;
  /** The network. @default a `NetTransport` on bindAddr:bindPort (closed by `shutdown`) */
  readonly transport?: Transport | undefined;
  /** @default systemClock */
  readonly clock?: Clock | undefined;
  /** @default noopLogger */
  readonly logger?: Logger | undefined;
  /** Randomness of the machine. @default crypto-seeded */
  readonly random?: Random | undefined;
  /** Default buffer of `events()` iterators. @default 1024 */
  readonly eventBufferSize?: number | undefined;
  /**
   * Where serf's and memberlist's metrics go (Go's names: `serf.member.join`,
   * `memberlist.probeNode`, …; see `SERF_METRICS`, `MEMBERLIST_METRICS`). A sink that throws
   * is ignored. @default none
   */
  readonly metrics?: MetricsSink | undefined;
}

/** A delivered query with a way to answer it (once, before `deadline`). */
export interface SerfQuery extends SerfQueryEvent {
  /**
   * Sends the response. @throws SizeLimitError / SerfMachineError ("response already sent",
   * "response is past the deadline", unknown or expired query).
   */
  respond(payload: Uint8Array | string): void;
}

/** Marker an `events()` iterator yields in place of events it had to drop. */
export interface SerfOverflowEvent {
  readonly type: "overflow";
  /** How many events were dropped (oldest first) at this point of the stream. */
  readonly dropped: number;
}

/** What `Serf` delivers: the machine's events, queries with `respond`, and the overflow marker. */
export type SerfDriverEvent = Exclude<SerfEvent, SerfQueryEvent> | SerfQuery | SerfOverflowEvent;

/** Event type names. */
export type SerfDriverEventType = SerfDriverEvent["type"];

/** The event delivered for a `type` string (member events share one interface). */
export type SerfDriverEventOf<T extends SerfDriverEventType> = T extends SerfMemberEventType
  ? SerfMemberEvent
  : Extract<SerfDriverEvent, { type: T }>;

/**
 * A JS query responder (`Serf.onQuery`). Returning (or resolving to) a `Uint8Array` or a
 * string responds with it; anything else (`undefined`, nothing) means "no response from me".
 * It may also call `query.respond` itself.
 */
export type QueryHandler = (query: SerfQuery) => unknown;

/** Options of `Serf.events()`. */
export interface SerfEventsOptions {
  /** Buffer size of this iterator. @default the `eventBufferSize` of the config */
  readonly bufferSize?: number | undefined;
  /** Only these event types (the overflow marker always comes through). @default all */
  readonly types?: readonly SerfDriverEventType[] | undefined;
  /** Ends the iterator when aborted. */
  readonly signal?: AbortSignal | undefined;
}

/** Parameters of `Serf.query` (Go `QueryParam`). */
export interface QueryParams {
  /** Only these nodes process the query. */
  readonly filterNodes?: readonly string[] | undefined;
  /** Tag → Go regular expression (unanchored) the node's tag must match. */
  readonly filterTags?: Readonly<Record<string, string>> | undefined;
  /** Ask each processing node for an ack. @default false */
  readonly requestAck?: boolean | undefined;
  /** Relayed copies of every ack/response. @default 0 */
  readonly relayFactor?: number | undefined;
  /** @default gossipInterval × 16 × ceil(log10(n + 1)) */
  readonly timeoutMs?: number | undefined;
  /** Closes the query early when aborted (`finished` resolves with what arrived). */
  readonly signal?: AbortSignal | undefined;
}

/** One response to a query. */
export interface NodeResponse {
  readonly from: string;
  readonly payload: Uint8Array;
}

/** What a closed query collected. */
export interface QueryResult {
  /** Nodes that acked, in arrival order. */
  readonly acks: readonly string[];
  /** Responses, in arrival order (one per node). */
  readonly responses: readonly NodeResponse[];
}

/** A query in flight (Go `QueryResponse`). */
export interface QueryResponse {
  readonly name: string;
  /** Query-clock LTime and ID of the query. */
  readonly lTime: number;
  readonly id: number;
  /** Driver-clock time (ms) at which the query closes. */
  readonly deadline: number;
  /** Names of acking nodes as they arrive; ends when the query closes. Single consumer. */
  readonly acks: AsyncIterable<string>;
  /** Responses as they arrive; ends when the query closes. Single consumer. */
  readonly responses: AsyncIterable<NodeResponse>;
  /** Resolves when the query closes (deadline, `close()`, abort, shutdown). */
  readonly finished: Promise<QueryResult>;
  /** True once closed. */
  readonly closed: boolean;
  /** Closes the query before its deadline. */
  close(): void;
}

/** Result of a cluster-wide key operation (Go `KeyResponse` + error). */
export interface KeyOperationResult extends KeyResponse {
  readonly operation: KeyOperation;
  /**
   * Go's error: `"N/M nodes reported failure"` or `"N/M nodes reported success"` when not every
   * live member answered with success; per-node messages are in `messages`.
   */
  readonly error: string | undefined;
}

/** Cluster-wide key rotation (Go `KeyManager`); operations run one at a time. */
export interface SerfKeyManager {
  installKey(key: string, options?: KeyOptions): Promise<KeyOperationResult>;
  useKey(key: string, options?: KeyOptions): Promise<KeyOperationResult>;
  removeKey(key: string, options?: KeyOptions): Promise<KeyOperationResult>;
  listKeys(options?: KeyOptions): Promise<KeyOperationResult>;
}

/** Options of a key operation. */
export interface KeyOptions {
  /** Relayed copies of each response. @default 0 */
  readonly relayFactor?: number | undefined;
}

/** Driver statistics: the machine's (Go `Stats`) plus the driver's counters. */
export interface SerfDriverStats extends SerfStats {
  /** Events dropped because an `events()` consumer fell behind. */
  readonly droppedEvents: number;
  /** Packet/stream counters of the network layer. */
  readonly network: Readonly<MachineDriverStats>;
}

/** An operation the cluster or the local node refused (leave/tags/force-leave failures). */
export class SerfOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SerfOperationError";
  }
}
