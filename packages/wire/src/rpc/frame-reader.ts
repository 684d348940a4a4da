/**
 * Sans-I/O framing of an agent RPC byte stream. Each direction of an RPC connection is a
 * sequence of msgpack objects written back to back, with no length prefix or delimiter: the
 * only way to find where one ends is to walk its msgpack structure. `RpcFrameReader` is fed
 * the bytes as they arrive and returns every object that became complete, as its own bytes,
 * for the header/body/record decoders.
 *
 * The walk is resumable: bytes already walked are not walked again when the next chunk
 * arrives, so the cost is linear in the input however it is chunked.
 */

import { DecodeError } from "../errors.ts";

/** Largest object accepted by default (4 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Deepest nesting accepted by default (as `MsgpackReader`). */
export const DEFAULT_MAX_FRAME_DEPTH = 32;

export interface RpcFrameReaderOptions {
  /** Largest msgpack object accepted, in bytes. @default 4 MiB */
  readonly maxFrameBytes?: number;
  /** Deepest nesting of arrays and maps accepted. @default 32 */
  readonly maxDepth?: number;
}

/**
 * Splits a byte stream into complete msgpack objects.
 *
 * ```ts
 * const reader = new RpcFrameReader();
 * socket.on("data", (chunk) => {
 *   for (const frame of reader.push(chunk)) handle(frame);
 * });
 * ```
 *
 * Throws `DecodeError` on a byte that cannot start a msgpack value (ext types, `c1`), on an
 * object larger than `maxFrameBytes` (as soon as its declared sizes exceed it, without waiting
 * for the bytes) or nested deeper than `maxDepth`. Objects completed before the bad bytes are
 * returned first and the error is thrown by the next call. After an error the stream cannot be
 * resynchronised: every later `push` or `finish` throws the same error.
 */
export class RpcFrameReader {
  readonly maxFrameBytes: number;
  readonly maxDepth: number;

  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** Start of the object being walked. */
  private start = 0;
  /** End of the buffered bytes. */
  private end = 0;
  /** Next byte to walk (always at a value boundary). */
  private pos = 0;
  /** Values still to walk at each open nesting level; `[1]` at the start of an object. */
  private pending: number[] = [1];
  private failure: DecodeError | null = null;

  constructor(options: RpcFrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_FRAME_DEPTH;
    if (!Number.isSafeInteger(this.maxFrameBytes) || this.maxFrameBytes < 1) {
      throw new RangeError(`maxFrameBytes must be a positive integer: ${this.maxFrameBytes}`);
    }
    if (!Number.isSafeInteger(this.maxDepth) || this.maxDepth < 0) {
      throw new RangeError(`maxDepth must be a non-negative integer: ${this.maxDepth}`);
    }
  }

  /** Bytes held for an object that is not complete yet. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Feeds the next bytes; returns the objects completed by them (copies), in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== null) throw this.failure;
    this.append(chunk);
    const frames: Uint8Array[] = [];
    try {
      while (this.walk()) {
        frames.push(this.buf.slice(this.start, this.pos));
        this.start = this.pos;
        this.pending = [1];
      }
    } catch (err) {
      this.failure =
        err instanceof DecodeError ? err : new DecodeError("RPC framing failed", { cause: err });
      // Objects completed before the bad bytes are still delivered; the next call throws.
      if (frames.length > 0) return frames;
      throw this.failure;
    }
    if (this.start === this.end) {
      this.start = this.end = this.pos = 0;
    }
    return frames;
  }

  /**
   * Declares the end of the stream. Throws `DecodeError` if an object was cut off (bytes of
   * an incomplete object are buffered) or the stream had failed.
   */
  finish(): void {
    if (this.failure !== null) throw this.failure;
    if (this.end > this.start) {
      throw new DecodeError(
        `RPC stream ended inside a msgpack object (${this.end - this.start} bytes buffered)`,
      );
    }
  }

  private append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      let size = Math.max(this.buf.length * 2, 4096);
      while (size < live + chunk.length) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end));
      this.pos -= this.start;
      this.start = 0;
      this.end = live;
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private tooLarge(bytes: number): never {
    throw new DecodeError(
      `RPC msgpack object of at least ${bytes} bytes exceeds the ${this.maxFrameBytes} byte limit`,
    );
  }

  /**
   * Walks values until the current object is complete (true) or the buffered bytes run out
   * (false; the walk resumes at `pos` when more bytes arrive).
   */
  private walk(): boolean {
    const buf = this.buf;
    const pending = this.pending;
    for (;;) {
      const top = pending.length - 1;
      if (top < 0) return true;
      if (pending[top] === 0) {
        pending.pop();
        continue;
      }
      if (top > this.maxDepth) {
        throw new DecodeError(`RPC msgpack object nested deeper than ${this.maxDepth}`);
      }
      const at = this.pos;
      if (at >= this.end) return false;
      const b = buf[at]!;
      // Bytes of the value's header, then either a payload to skip or items to walk.
      let head = 1;
      let skip = 0;
      let items = -1;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
        // fixint, nil, bool: the header is the value
      } else if ((b & 0xe0) === 0xa0) {
        skip = b & 0x1f;
      } else if ((b & 0xf0) === 0x90) {
        items = b & 0x0f;
      } else if ((b & 0xf0) === 0x80) {
        items = (b & 0x0f) * 2;
      } else {
        const sizeBytes = SIZE_BYTES[b] ?? 0;
        if (sizeBytes === 0) {
          const fixed = FIXED_PAYLOAD[b];
          if (fixed === undefined) {
            throw new DecodeError(`unsupported msgpack descriptor byte 0x${b.toString(16)}`);
          }
          skip = fixed;
        } else {
          head = 1 + sizeBytes;
          if (at + head > this.end) return false;
          const n =
            sizeBytes === 1
              ? buf[at + 1]!
              : sizeBytes === 2
                ? this.view.getUint16(at + 1)
                : this.view.getUint32(at + 1);
          if (b === 0xdc || b === 0xdd) items = n;
          else if (b === 0xde || b === 0xdf) items = n * 2;
          else skip = n;
        }
      }
      // Every item takes at least one byte, so a count also bounds the object's size.
      const minEnd = at + head + skip + Math.max(items, 0) - this.start;
      if (minEnd > this.maxFrameBytes) this.tooLarge(minEnd);
      if (at + head + skip > this.end) return false;
      pending[top]!--;
      this.pos = at + head + skip;
      if (items >= 0) pending.push(items);
    }
  }
}

/** Bytes of the length field of str8/16/32, bin8/16/32, array16/32 and map16/32. */
const SIZE_BYTES: Readonly<Record<number, number>> = {
  196: 1,
  197: 2,
  198: 4,
  217: 1,
  218: 2,
  219: 4,
  220: 2,
  221: 4,
  222: 2,
  223: 4,
};

/** Payload bytes of the fixed-size numbers. */
const FIXED_PAYLOAD: Readonly<Record<number, number>> = {
  202: 4,
  203: 8,
  204: 1,
  205: 2,
  206: 4,
  207: 8,
  208: 1,
  209: 2,
  210: 4,
  211: 8,
};
