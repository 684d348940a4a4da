import { utf8Decode, utf8Encode } from "@serf-ts/wire";

/**
 * Where snapshot lines go. The snapshot recorder appends lines, occasionally makes them
 * durable, and compacts by replacing the whole content; at start it reads everything back.
 * Operations of one store are applied in call order even when the caller does not await them.
 */
export interface SnapshotStore {
  /** The whole current content (empty if the snapshot does not exist yet). */
  readAll(): Promise<Uint8Array>;
  /** Appends text (normally complete lines ending in `\n`). */
  append(text: string): Promise<void>;
  /** Makes every completed append durable (fsync). */
  sync(): Promise<void>;
  /**
   * Atomically replaces the whole content with `text`, durably (compaction). After it
   * resolves, a crash leaves either the old or the new content, never a mix.
   */
  rewrite(text: string): Promise<void>;
  /**
   * Bytes in the store as tracked for compaction: size at open (or after the last rewrite)
   * plus bytes appended since, including appends still in flight.
   */
  readonly size: number;
  /** Releases resources; further calls fail. */
  close(): Promise<void>;
}

/** Go strings are bytes: raw bytes of names (kept by @serf-ts/wire) are written back as such. */
const encoder = { encode: utf8Encode };

/** A {@link SnapshotStore} in memory, for tests and for running without a snapshot file. */
export class MemorySnapshotStore implements SnapshotStore {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #synced = 0;
  #closed = false;

  /** @param initial content to start with (e.g. a snapshot written by Go). */
  constructor(initial: string | Uint8Array = "") {
    if (initial.length > 0) {
      const bytes = typeof initial === "string" ? encoder.encode(initial) : initial.slice();
      this.#chunks.push(bytes);
      this.#size = bytes.length;
      this.#synced = this.#size;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes that a `sync()` has covered (what would survive a crash). */
  get syncedSize(): number {
    return this.#synced;
  }

  #check(): void {
    if (this.#closed) throw new Error("snapshot store is closed");
  }

  /** The current content as text (test helper). */
  text(): string {
    return utf8Decode(this.#concat());
  }

  #concat(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    this.#chunks = [out];
    return out;
  }

  async readAll(): Promise<Uint8Array> {
    this.#check();
    return this.#concat().slice();
  }

  async append(text: string): Promise<void> {
    this.#check();
    const bytes = encoder.encode(text);
    this.#chunks.push(bytes);
    this.#size += bytes.length;
  }

  async sync(): Promise<void> {
    this.#check();
    this.#synced = this.#size;
  }

  async rewrite(text: string): Promise<void> {
    this.#check();
    const bytes = encoder.encode(text);
    this.#chunks = [bytes];
    this.#size = bytes.length;
    this.#synced = this.#size;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
