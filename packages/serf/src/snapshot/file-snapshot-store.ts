/**
 * A {@link SnapshotStore} backed by a file, laid out like Go's: appends go to `PATH` (opened
 * in append mode, created 0644), `sync` is fsync, and compaction writes `PATH.compact`,
 * fsyncs it and renames it over `PATH` (then fsyncs the directory so the rename is durable).
 *
 * Go deletes `PATH` before renaming because Windows cannot rename over an existing file; on
 * POSIX the rename alone is atomic, so a crash never leaves the snapshot missing. Node's
 * `rename` replaces existing files on Windows too.
 */

import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { utf8Encode } from "@serf-ts/wire";
import { dirname } from "node:path";
import { SNAPSHOT_COMPACT_SUFFIX } from "../core/snapshot/compaction.ts";
import type { SnapshotStore } from "./snapshot-store.ts";

/** Go strings are bytes: raw bytes of names (kept by @serf-ts/wire) are written back as such. */
const encoder = { encode: utf8Encode };

/** Opens (creating if needed) a snapshot file. */
export async function openFileSnapshotStore(path: string): Promise<FileSnapshotStore> {
  const handle = await open(path, "a+", 0o644);
  try {
    const { size } = await handle.stat();
    return new FileSnapshotStore(path, handle, size);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** File-backed snapshot store; create with {@link openFileSnapshotStore}. */
export class FileSnapshotStore implements SnapshotStore {
  readonly path: string;
  #handle: FileHandle | undefined;
  #size: number;
  /** Serializes operations in call order. */
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal use {@link openFileSnapshotStore}. */
  constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  #enqueue<T>(op: (handle: FileHandle) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      const h = this.#handle;
      if (h === undefined) throw new Error(`snapshot store ${this.path} is closed`);
      return op(h);
    });
    // A failure must not wedge later operations; each caller sees its own error.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  readAll(): Promise<Uint8Array> {
    return this.#enqueue(async (h) => {
      const { size } = await h.stat();
      const buf = new Uint8Array(size);
      let off = 0;
      while (off < size) {
        const { bytesRead } = await h.read(buf, off, size - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    });
  }

  append(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    this.#size += bytes.length;
    return this.#enqueue(async (h) => {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await h.write(bytes, off, bytes.length - off);
        off += bytesWritten;
      }
    });
  }

  sync(): Promise<void> {
    return this.#enqueue((h) => h.sync());
  }

  rewrite(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    const tmp = this.path + SNAPSHOT_COMPACT_SUFFIX;
    // Counted at call time: appends issued after this call land after the new content.
    this.#size = bytes.length;
    return this.#enqueue(async (old) => {
      const fh = await open(tmp, "w", 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } catch (err) {
        await fh.close();
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fh.close();
      await rename(tmp, this.path);
      await syncDirectory(dirname(this.path));
      // Appends must now go to the new file.
      this.#handle = await open(this.path, "a+", 0o644);
      await old.close();
    });
  }

  close(): Promise<void> {
    return this.#enqueue(async (h) => {
      this.#handle = undefined;
      await h.close();
    });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dir, "r");
    await dh.sync();
  } catch {
    // Not supported everywhere (e.g. Windows); the rename itself already happened.
  } finally {
    await dh?.close();
  }
}
