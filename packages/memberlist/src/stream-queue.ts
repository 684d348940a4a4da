/**
 * A small receive queue shared by the stream implementations: chunks are pushed by the
 * transport and pulled by a single reader through `read()`.
 */

import { TransportError, TransportErrorCode } from "./transport.ts";

type Waiter = {
  resolve: (chunk: Uint8Array | null) => void;
  reject: (err: Error) => void;
};

/** Chunks in, `read()` out; `null` after end of stream, rejection after an error. */
export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  #waiters: Waiter[] = [];
  #ended = false;
  #error: Error | undefined;

  /** True once end of stream or an error was recorded. */
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** Bytes queued and not yet read. */
  get bufferedBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  push(chunk: Uint8Array): void {
    if (this.finished || chunk.length === 0) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(chunk);
    else this.#chunks.push(chunk);
  }

  /** End of stream: queued chunks are still delivered, then `null`. */
  end(): void {
    if (this.finished) return;
    this.#ended = true;
    for (const w of this.#waiters.splice(0)) w.resolve(null);
  }

  /** A failure: queued chunks are still delivered, then reads reject with `err`. */
  fail(err: Error): void {
    if (this.finished) return;
    this.#error = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** Discards everything queued and ends the stream (local close). */
  discard(): void {
    this.#chunks = [];
    this.#ended = true;
    this.#error = undefined;
    for (const w of this.#waiters.splice(0)) w.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }
}

/** `for await` over a stream's `read()`. */
export async function* iterateReads(
  read: () => Promise<Uint8Array | null>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for (;;) {
    const chunk = await read();
    if (chunk === null) return;
    yield chunk;
  }
}

/** The error writes get after a stream was closed. */
export function closedStreamError(): TransportError {
  return new TransportError(TransportErrorCode.CLOSED, "stream is closed");
}
