/**
 * The in-memory log ring behind `serf monitor` (Go `logWriter`): the last N lines (512 in the
 * agent), every level, plus live subscribers. A new subscriber first receives the buffered
 * lines, oldest first.
 */

/** Receives log lines (without trailing newline). Must not block; errors are ignored. */
export type LogHandler = (line: string) => void;

export class LogRing {
  readonly capacity: number;
  private readonly lines: string[];
  private next = 0;
  private count = 0;
  private readonly handlers = new Set<LogHandler>();

  constructor(capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`log ring capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.lines = new Array<string>(capacity).fill("");
  }

  /** Stores a line (one trailing newline is stripped) and passes it to every subscriber. */
  write(line: string): void {
    const text = line.endsWith("\n") ? line.slice(0, -1) : line;
    this.lines[this.next] = text;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    for (const handler of [...this.handlers]) {
      try {
        handler(text);
      } catch {
        // A broken subscriber must not break logging.
      }
    }
  }

  /** The buffered lines, oldest first. */
  snapshot(): string[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.lines[(start + i) % this.capacity] ?? "");
    return out;
  }

  /**
   * Replays the buffer to `handler`, then streams new lines to it until the returned function
   * is called. Registering the same handler twice has no effect (as in Go).
   */
  subscribe(handler: LogHandler): () => void {
    if (!this.handlers.has(handler)) {
      for (const line of this.snapshot()) {
        try {
          handler(line);
        } catch {
          // ignored, see write()
        }
      }
      this.handlers.add(handler);
    }
    return () => {
      this.handlers.delete(handler);
    };
  }

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.handlers.size;
  }
}
