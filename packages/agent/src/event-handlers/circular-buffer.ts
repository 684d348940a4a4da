/**
 * A fixed-size byte buffer keeping the most recent bytes written (armon/circbuf, which serf uses
 * to capture handler output), with a count of everything ever written.
 */
export class CircularBuffer {
  readonly size: number;
  private readonly data: Uint8Array;
  private writeAt = 0;
  private total = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`buffer size must be a positive integer, got ${size}`);
    }
    this.size = size;
    this.data = new Uint8Array(size);
  }

  /** Appends bytes, overwriting the oldest when full. */
  write(chunk: Uint8Array): void {
    this.total += chunk.length;
    let src = chunk;
    if (src.length > this.size) src = src.subarray(src.length - this.size);
    const first = Math.min(src.length, this.size - this.writeAt);
    this.data.set(src.subarray(0, first), this.writeAt);
    this.data.set(src.subarray(first), 0);
    this.writeAt = (this.writeAt + src.length) % this.size;
  }

  /** Bytes ever written. */
  get totalWritten(): number {
    return this.total;
  }

  /** The kept bytes (at most `size`), oldest first. */
  bytes(): Uint8Array {
    if (this.total < this.size) return this.data.slice(0, this.total);
    const out = new Uint8Array(this.size);
    out.set(this.data.subarray(this.writeAt));
    out.set(this.data.subarray(0, this.writeAt), this.size - this.writeAt);
    return out;
  }
}
