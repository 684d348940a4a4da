/**
 * Buffer of join/leave intents received for nodes that memberlist has not reported yet
 * (Go `recentIntents`, `upsertIntent`, `recentIntent`, `reapIntents`). Gossip can deliver a
 * serf intent before memberlist's alive message; when the node then joins, its buffered
 * intent decides its status LTime (and `leaving` status for a leave intent).
 */

/** Go serf `RecentIntentTimeout`: 5 minutes. */
export const DEFAULT_RECENT_INTENT_TIMEOUT_MS = 5 * 60 * 1000;

/** The two intents serf buffers. */
export type IntentType = "join" | "leave";

/** One buffered intent. */
export interface RecentIntent {
  readonly type: IntentType;
  /** Member-clock LTime carried by the intent. */
  readonly lTime: number;
  /** Driver time (ms) when it was stored, for expiry. */
  readonly storedAt: number;
}

/** Options of {@link RecentIntents}. */
export interface RecentIntentsOptions {
  /**
   * Upper bound on buffered nodes; when full, the intent stored longest ago is evicted. Go has
   * no bound (only the 5-minute expiry), so a flood of intents for unknown names grows memory.
   * @default Infinity
   */
  readonly maxEntries?: number;
}

/** Newest join or leave intent per unknown node (only one is kept per node). */
export class RecentIntents {
  readonly #intents = new Map<string, RecentIntent>();
  readonly #maxEntries: number;

  constructor(options: RecentIntentsOptions = {}) {
    const max = options.maxEntries ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1)) throw new RangeError(`maxEntries must be ≥ 1, got ${max}`);
    this.#maxEntries = max;
  }

  /** Number of buffered nodes. */
  get size(): number {
    return this.#intents.size;
  }

  /**
   * Stores the intent if the node has none or this one is newer (strictly greater LTime), as
   * Go `upsertIntent`. Returns true if stored: the caller rebroadcasts only then.
   */
  upsert(node: string, type: IntentType, lTime: number, now: number): boolean {
    const existing = this.#intents.get(node);
    if (existing !== undefined && lTime <= existing.lTime) return false;
    // Re-insert so Map order stays "oldest stored first" for eviction.
    this.#intents.delete(node);
    if (this.#intents.size >= this.#maxEntries) {
      const oldest = this.#intents.keys().next();
      if (!oldest.done) this.#intents.delete(oldest.value);
    }
    this.#intents.set(node, { type, lTime, storedAt: now });
    return true;
  }

  /**
   * The buffered LTime of `node` if its intent is of `type` (Go `recentIntent`). The entry is
   * not consumed: Go leaves it in place until it expires.
   */
  get(node: string, type: IntentType): number | undefined {
    const intent = this.#intents.get(node);
    return intent !== undefined && intent.type === type ? intent.lTime : undefined;
  }

  /** The buffered intent of `node`, whatever its type. */
  peek(node: string): RecentIntent | undefined {
    return this.#intents.get(node);
  }

  /** Forgets the intent of `node`. */
  delete(node: string): boolean {
    return this.#intents.delete(node);
  }

  /**
   * Drops intents stored more than `timeoutMs` before `now` (Go `reapIntents`, run every
   * `ReapInterval`; strictly older than the timeout). Returns how many were dropped.
   */
  reap(now: number, timeoutMs: number = DEFAULT_RECENT_INTENT_TIMEOUT_MS): number {
    let dropped = 0;
    for (const [node, intent] of this.#intents) {
      if (now - intent.storedAt > timeoutMs) {
        this.#intents.delete(node);
        dropped++;
      }
    }
    return dropped;
  }

  /** Snapshot of all entries, oldest stored first. */
  entries(): [string, RecentIntent][] {
    return [...this.#intents];
  }
}
