/**
 * Public types of {@link SerfMachine}: identity, hooks, query parameters, stats and the
 * machine's typed error. Re-exported from `serf-machine.ts`.
 */

import type { CoreMetrics } from "@serf-ts/memberlist/core";
import { type SerfMessageType, SerfError } from "@serf-ts/wire";
import type { Member } from "./events.ts";
import type { SnapshotRecord } from "./snapshot/snapshot-format.ts";
import type { KeyringPort } from "./internal-queries.ts";

/** Identity of the local node. */
export interface SerfIdentity {
  /** Cluster-unique node name. */
  readonly name: string;
  /** Advertised IP: 4 raw bytes for IPv4, 16 for IPv6. */
  readonly addr: Uint8Array;
  /** Advertised port (UDP and TCP). */
  readonly port: number;
  /** Initial tags. @default {} */
  readonly tags?: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined;
}

/** Where snapshot records go (the driver's snapshot writer). Called synchronously. */
export interface SnapshotSink {
  record(record: SnapshotRecord): void;
}

/** Logging hook (structurally the `Logger` of `@serf-ts/memberlist`, minus `child`). */
export interface SerfMachineLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Ports and hooks of a machine. */
export interface SerfMachineHooks {
  /** The keyring the key queries act on; absent = encryption not enabled. */
  readonly keyring?: KeyringPort | undefined;
  /** Snapshot writer; absent = no snapshot records. */
  readonly snapshot?: SnapshotSink | undefined;
  /** Logs (no-op by default). */
  readonly logger?: SerfMachineLogger | undefined;
  /**
   * Admission filter (Go `Config.Merge`, a `MergeDelegate`): called with the members of a
   * join push/pull, and with single members announced by alive messages; return a reason to
   * refuse them (memberlist then ignores the state), `undefined` to accept. Members carry
   * status `left` when memberlist has them left, else `none`. Must be pure and synchronous.
   */
  readonly merge?: ((members: readonly Member[]) => string | undefined) | undefined;
  /**
   * Test seam (Go `messageDropper`): inbound serf messages of the types it returns true for
   * are ignored; `JOIN` also drops memberlist join notifications, `PUSH_PULL` push/pull
   * user state, as in Go.
   * @internal
   */
  readonly messageDropper?: ((type: SerfMessageType) => boolean) | undefined;
  /** Metrics of serf and of its memberlist (Go's names; see `SERF_METRICS`). */
  readonly metrics?: CoreMetrics | undefined;
}

/** Local serf instance state (Go `SerfState`). */
export type SerfState = "alive" | "leaving" | "left" | "shutdown";

/** Parameters of {@link SerfMachine.query} (Go `QueryParam` + name and payload). */
export interface SerfQueryParams {
  readonly name: string;
  /** @default empty */
  readonly payload?: Uint8Array | undefined;
  /** Only these nodes process the query. */
  readonly filterNodes?: readonly string[] | undefined;
  /** Tag → Go regular expression (unanchored) the node's tag must match. */
  readonly filterTags?: Readonly<Record<string, string>> | ReadonlyMap<string, string> | undefined;
  /** Ask every processing node for an ack. @default false */
  readonly requestAck?: boolean | undefined;
  /** Extra relayed copies of every ack/response (0–255). @default 0 */
  readonly relayFactor?: number | undefined;
  /** @default `defaultQueryTimeoutMs()` (also when 0) */
  readonly timeoutMs?: number | undefined;
}

/** A query this node sent: its events carry the same `lTime` and `id`. */
export interface SerfQueryHandle {
  readonly lTime: number;
  readonly id: number;
  /** Time (ms) the query closes. */
  readonly deadline: number;
}

/** Options of the key operations. */
export interface KeyOperationOptions {
  /** Relayed copies of each response (Go `KeyRequestOptions.RelayFactor`). @default 0 */
  readonly relayFactor?: number | undefined;
}

/** Operator statistics (Go `Stats`, values as numbers). */
export interface SerfStats {
  readonly members: number;
  readonly failed: number;
  readonly left: number;
  readonly healthScore: number;
  readonly memberTime: number;
  readonly eventTime: number;
  readonly queryTime: number;
  readonly intentQueue: number;
  readonly eventQueue: number;
  readonly queryQueue: number;
  readonly encrypted: boolean;
  /** `undefined` when coordinates are disabled. */
  readonly coordinateResets: number | undefined;
}

/** Error code of {@link SerfMachineError}. */
export const SerfMachineErrorCode = {
  /** The operation is not allowed in the current state (join after leave, …). */
  STATE: "SERF_ERR_STATE",
  /** The serf protocol in use does not support the operation (queries below 4). */
  UNSUPPORTED: "SERF_ERR_UNSUPPORTED",
  /** A response to an unknown, expired or already answered query. */
  RESPOND: "SERF_ERR_RESPOND",
} as const;
export type SerfMachineErrorCode = (typeof SerfMachineErrorCode)[keyof typeof SerfMachineErrorCode];

/** An operation the machine refused; the message is Go's text where Go has one. */
export class SerfMachineError extends SerfError {
  constructor(code: SerfMachineErrorCode, message: string) {
    super(code, message);
    this.name = "SerfMachineError";
  }
}
