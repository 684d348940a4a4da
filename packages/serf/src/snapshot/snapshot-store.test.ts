import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openFileSnapshotStore } from "./file-snapshot-store.ts";
import { parseSnapshot } from "../core/snapshot/snapshot-format.ts";
import { MemorySnapshotStore, type SnapshotStore } from "./snapshot-store.ts";

const text = async (s: SnapshotStore): Promise<string> =>
  new TextDecoder().decode(await s.readAll());

describe("MemorySnapshotStore", () => {
  it("appends, tracks size and sync, rewrites", async () => {
    const s = new MemorySnapshotStore("clock: 1\n");
    expect(s.size).toBe(9);
    expect(s.syncedSize).toBe(9);
    await s.append("alive: é 1.1.1.1:1\n");
    expect(s.size).toBe(9 + 20);
    expect(s.syncedSize).toBe(9);
    await s.sync();
    expect(s.syncedSize).toBe(29);
    expect(await text(s)).toBe("clock: 1\nalive: é 1.1.1.1:1\n");
    await s.rewrite("clock: 2\n");
    expect(s.text()).toBe("clock: 2\n");
    expect(s.size).toBe(9);
    await s.close();
    await expect(s.append("x")).rejects.toThrow("closed");
  });
});

describe("FileSnapshotStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "serf-ts-snap-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the file, appends in call order, and reads it back", async () => {
    const path = join(dir, "snap");
    const s = await openFileSnapshotStore(path);
    expect(s.size).toBe(0);
    expect(await text(s)).toBe("");
    // Not awaited one by one: order must still hold.
    const ops = [s.append("alive: a 1.1.1.1:1\n"), s.append("clock: 1\n"), s.sync()];
    expect(s.size).toBe(28);
    await Promise.all(ops);
    expect(await readFile(path, "utf8")).toBe("alive: a 1.1.1.1:1\nclock: 1\n");
    await s.close();
    await expect(s.append("x\n")).rejects.toThrow("closed");
  });

  it("opens an existing file at its size and keeps appending", async () => {
    const path = join(dir, "snap");
    await writeFile(path, "clock: 5\nclock: 6");
    const s = await openFileSnapshotStore(path);
    expect(s.size).toBe(17);
    await s.append("\nclock: 7\n");
    const parsed = parseSnapshot(await s.readAll());
    expect(parsed.records.at(-1)).toEqual({ kind: "clock", value: 7 });
    await s.close();
  });

  it("compacts by writing PATH.compact and renaming it over PATH", async () => {
    const path = join(dir, "snap");
    const s = await openFileSnapshotStore(path);
    await s.append("alive: a 1.1.1.1:1\n".repeat(100));
    const rewrite = s.rewrite("alive: a 1.1.1.1:1\nclock: 3\n");
    const after = s.append("clock: 4\n");
    expect(s.size).toBe(28 + 9);
    await Promise.all([rewrite, after]);
    expect(await readFile(path, "utf8")).toBe("alive: a 1.1.1.1:1\nclock: 3\nclock: 4\n");
    expect(await readdir(dir)).toEqual(["snap"]);
    await s.close();
  });

  it("a failed operation does not wedge later ones", async () => {
    const path = join(dir, "snap");
    const s = await openFileSnapshotStore(path);
    // Renaming into a missing directory fails; the store keeps working.
    await rm(dir, { recursive: true, force: true });
    await expect(s.rewrite("clock: 1\n")).rejects.toThrow();
    await expect(s.append("clock: 2\n")).resolves.toBeUndefined();
    await s.close();
  });
});

describe("raw bytes in snapshots (Go strings are bytes)", () => {
  it("writes a name holding byte 0xFF as 0xFF and reads it back the same", async () => {
    const dir = await mkdtemp(join(tmpdir(), "serf-snap-raw-"));
    try {
      const path = join(dir, "snap");
      const s = await openFileSnapshotStore(path);
      // "\udcff" is how @serf-ts/wire keeps the raw byte 0xFF of a Go string.
      await s.append("alive: n\udcff1 1.1.1.1:1\n");
      await s.sync();
      await s.close();
      const raw = await readFile(path);
      expect(raw.includes(Buffer.from([0x6e, 0xff, 0x31]))).toBe(true);
      const again = await openFileSnapshotStore(path);
      const parsed = parseSnapshot(await again.readAll());
      await again.close();
      expect(JSON.stringify(parsed)).toContain("n\\udcff1");
      const mem = new MemorySnapshotStore("alive: m\udcfe 1.1.1.1:1\n");
      expect([...(await mem.readAll())].slice(7, 9)).toEqual([0x6d, 0xfe]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
