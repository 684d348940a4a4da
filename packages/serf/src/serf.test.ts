/**
 * `Serf` driver tests on the in-memory network with a ManualClock: everything (gossip, query
 * timeouts, leave delays, snapshot flushes) runs in virtual time, so the tests are
 * deterministic and fast. `flush(ms)` advances the clock in small steps and lets pending
 * promise callbacks (stream exchanges) run between steps.
 */

import { ManualClock, MemoryNetwork } from "@serf-ts/memberlist/testing";
import { seededRandom } from "@serf-ts/memberlist";
import { encodeKeyBase64 } from "@serf-ts/wire";
import { afterEach, describe, expect, it } from "vitest";
import type { SerfUserEvent } from "./core/events.ts";
import { type SerfConfig, Serf, type SerfDriverEvent } from "./serf.ts";
import { MemorySnapshotStore } from "./snapshot/snapshot-store.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Harness {
  readonly clock: ManualClock;
  readonly network: MemoryNetwork;
  readonly nodes: Serf[];
  start(name: string, extra?: Partial<SerfConfig>): Promise<Serf>;
  flush(ms: number): Promise<void>;
  until(cond: () => boolean, maxMs: number): Promise<number>;
  settle<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

let current: Harness | undefined;

function harness(): Harness {
  const clock = new ManualClock(0);
  const network = new MemoryNetwork({ clock, latencyMs: 1 });
  const nodes: Serf[] = [];
  let seed = 1;
  const flush = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 5) {
      clock.advance(5);
      for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const h: Harness = {
    clock,
    network,
    nodes,
    async start(name, extra = {}) {
      const s = await Serf.create({
        nodeName: name,
        transport: network.createTransport(),
        clock,
        random: seededRandom(seed++),
        ...extra,
      });
      nodes.push(s);
      return s;
    },
    flush,
    async until(cond, maxMs) {
      const start = clock.now();
      while (!cond()) {
        if (clock.now() - start > maxMs) throw new Error(`condition not met in ${maxMs} ms`);
        await flush(10);
      }
      return clock.now() - start;
    },
    async settle<T>(p: Promise<T>, maxMs = 10_000): Promise<T> {
      let done = false;
      let value: T | undefined;
      let error: unknown;
      let failed = false;
      p.then(
        (v) => {
          done = true;
          value = v;
        },
        (e: unknown) => {
          done = true;
          failed = true;
          error = e;
        },
      );
      await h.until(() => done, maxMs);
      if (failed) throw error;
      return value as T;
    },
  };
  current = h;
  return h;
}

afterEach(async () => {
  const h = current;
  current = undefined;
  if (h === undefined) return;
  await Promise.all(h.nodes.map((n) => n.shutdown()));
  await h.network.close();
});

function aliveNames(s: Serf): string[] {
  return s
    .members()
    .filter((m) => m.status === "alive")
    .map((m) => m.name)
    .sort();
}

async function cluster(h: Harness, names: string[], extra: Partial<SerfConfig> = {}) {
  const nodes: Serf[] = [];
  for (const n of names) nodes.push(await h.start(n, extra));
  const [first, ...rest] = nodes as [Serf, ...Serf[]];
  for (const n of rest) expect(await h.settle(n.join([first.localAddress]))).toBe(1);
  const all = [...names].sort().join();
  await h.until(() => nodes.every((n) => aliveNames(n).join() === all), 10_000);
  return nodes;
}

describe("Serf driver (MemoryNetwork + ManualClock)", () => {
  it("starts alone, alive, with its tags", async () => {
    const h = harness();
    const a = await h.start("a", { tags: { role: "web" } });
    expect(a.state).toBe("alive");
    expect(a.localMember()).toMatchObject({ name: "a", status: "alive", tags: { role: "web" } });
    expect(a.members().map((m) => m.name)).toEqual(["a"]);
    expect(a.coordinate()).toBeDefined();
    expect(a.stats()).toMatchObject({ members: 1, encrypted: false, droppedEvents: 0 });
  });

  it("three nodes join; a user event is delivered exactly once everywhere", async () => {
    const h = harness();
    const nodes = await cluster(h, ["a", "b", "c"]);
    const seen = new Map<string, SerfUserEvent[]>();
    for (const n of nodes) {
      seen.set(n.name, []);
      n.on("user", (e) => seen.get(n.name)?.push(e));
    }
    nodes[0]?.userEvent("deploy", "v1");
    await h.flush(3000);
    for (const n of nodes) {
      const events = seen.get(n.name) ?? [];
      expect(events.map((e) => [e.name, text(e.payload)])).toEqual([["deploy", "v1"]]);
    }
    // Member events were seen too.
    const joins: string[] = [];
    const d = await h.start("d");
    d.on("member-join", (e) => joins.push(...e.members.map((m) => m.name)));
    await h.settle(d.join([nodes[1]?.localAddress ?? ""]));
    expect(joins.sort()).toEqual(["a", "b", "c"]);
  });

  it("queries collect acks and responses (handlers, event respond, filters)", async () => {
    const h = harness();
    const [a, b, c] = (await cluster(h, ["a", "b", "c"])) as [Serf, Serf, Serf];
    await h.settle(c.setTags({ role: "web" }));
    await h.until(() => a.member("c")?.tags.role === "web", 5000);
    // c answers with a JS handler; a answers from its event iterator.
    c.onQuery((q) => (q.name === "ping" ? `pong from ${q.payload.length}` : undefined));
    const it = a.events({ types: ["query"] });
    void (async () => {
      for await (const e of it) {
        if (e.type === "query") e.respond("pong from a");
      }
    })();

    const q = b.query("ping", "xyz", { requestAck: true, timeoutMs: 2000 });
    const streamed: string[] = [];
    const reading = (async () => {
      for await (const r of q.responses) streamed.push(`${r.from}:${text(r.payload)}`);
    })();
    const result = await h.settle(q.finished);
    await reading;
    expect([...result.acks].sort()).toEqual(["a", "b", "c"]);
    expect(result.responses.map((r) => `${r.from}:${text(r.payload)}`).sort()).toEqual([
      "a:pong from a",
      "c:pong from 3",
    ]);
    expect(streamed.sort()).toEqual(["a:pong from a", "c:pong from 3"]);
    expect(q.closed).toBe(true);

    // Tag filter: only c (role=web) processes it; node filter: only a.
    const tq = await h.settle(
      b.query("ping", "", { requestAck: true, filterTags: { role: "^we" }, timeoutMs: 1000 })
        .finished,
    );
    expect(tq.acks).toEqual(["c"]);
    expect(tq.responses.map((r) => r.from)).toEqual(["c"]);
    const nq = await h.settle(
      b.query("ping", "", { requestAck: true, filterNodes: ["a"], timeoutMs: 1000 }).finished,
    );
    expect(nq.acks).toEqual(["a"]);
    expect(nq.responses.map((r) => r.from)).toEqual(["a"]);
    await it.return?.();
  });

  it("an aborted query closes early with what it has", async () => {
    const h = harness();
    const [a] = (await cluster(h, ["a", "b"])) as [Serf, Serf];
    const ac = new AbortController();
    const q = a.query("slow", "", { requestAck: true, timeoutMs: 60_000, signal: ac.signal });
    await h.flush(200);
    ac.abort();
    const r = await h.settle(q.finished, 100);
    expect([...r.acks].sort()).toEqual(["a", "b"]);
    expect(q.closed).toBe(true);
    expect(() => a.query("x", "", { signal: ac.signal })).toThrow();
  });

  it("a tag change reaches the other nodes", async () => {
    const h = harness();
    const [a, b] = (await cluster(h, ["a", "b"])) as [Serf, Serf];
    const updates: string[] = [];
    a.on("member-update", (e) => updates.push(...e.members.map((m) => m.name)));
    await h.settle(b.setTags({ role: "db", dc: "x" }));
    await h.until(() => a.member("b")?.tags.dc === "x", 5000);
    expect(a.member("b")?.tags).toEqual({ role: "db", dc: "x" });
    expect(updates).toEqual(["b"]);
  });

  it("graceful leave: the node ends `left` and the others see it left", async () => {
    const h = harness();
    const [a, b, c] = (await cluster(h, ["a", "b", "c"])) as [Serf, Serf, Serf];
    const leaves: string[] = [];
    a.on("member-leave", (e) => leaves.push(...e.members.map((m) => m.name)));
    const started = h.clock.now();
    await h.settle(c.leave());
    // Intent broadcast, memberlist leave, then LeavePropagateDelay (1 s).
    expect(h.clock.now() - started).toBeGreaterThanOrEqual(1000);
    expect(c.state).toBe("left");
    await c.shutdown();
    expect(c.state).toBe("shutdown");
    await h.until(() => a.member("c")?.status === "left" && b.member("c")?.status === "left", 5000);
    expect(leaves).toEqual(["c"]);
    await expect(c.join([a.localAddress])).rejects.toThrow();
  });

  it("join reports failures", async () => {
    const h = harness();
    const a = await h.start("a");
    await expect(h.settle(a.join(["10.99.99.99:7946"]))).rejects.toThrow(/Failed to join/);
  });

  it("events(): bounded buffer drops the oldest and yields an overflow marker", async () => {
    const h = harness();
    const a = await h.start("a");
    const it = a.events({ bufferSize: 3, types: ["user"] });
    for (let i = 0; i < 10; i++) a.userEvent(`e${i}`);
    const got: SerfDriverEvent[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await it.next();
      if (!r.done) got.push(r.value);
    }
    expect(
      got.map((e) => (e.type === "user" ? e.name : `${e.type}:${"dropped" in e ? e.dropped : ""}`)),
    ).toEqual(["overflow:7", "e7", "e8", "e9"]);
    expect(a.stats().droppedEvents).toBe(7);
    await a.shutdown();
    expect((await it.next()).done).toBe(true);
  });

  it("coalesces user events when configured", async () => {
    const h = harness();
    const a = await h.start("a", {
      options: { userCoalescePeriodMs: 300, userQuiescentPeriodMs: 100 },
    });
    const seen: string[] = [];
    a.on("user", (e) => seen.push(text(e.payload)));
    a.userEvent("deploy", "1", true);
    a.userEvent("deploy", "2", true);
    a.userEvent("other", "x", false);
    expect(seen).toEqual(["x"]);
    await h.flush(200);
    expect(seen).toEqual(["x", "2"]);
  });

  it("rotates encryption keys cluster-wide", async () => {
    const h = harness();
    const k1 = encodeKeyBase64(new Uint8Array(32).fill(1));
    const k2 = encodeKeyBase64(new Uint8Array(32).fill(2));
    const nodes = (await cluster(h, ["a", "b", "c"], { encryptKeys: [k1] })) as [Serf, Serf, Serf];
    const [a, b] = nodes;
    expect(a.encryptionEnabled).toBe(true);
    const install = await h.settle(a.keyManager.installKey(k2));
    expect(install).toMatchObject({ operation: "install", numNodes: 3, numResp: 3, numErr: 0 });
    expect(install.error).toBeUndefined();
    await h.settle(b.keyManager.useKey(k2));
    for (const n of nodes)
      expect(encodeKeyBase64(n.keyring?.primaryKey ?? new Uint8Array())).toBe(k2);
    const bad = await h.settle(a.keyManager.removeKey(k2));
    expect(bad.error).toBe("3/3 nodes reported failure");
    expect(bad.messages.get("b")).toBe("Removing the primary key is not allowed");
    await h.settle(a.keyManager.removeKey(k1));
    const list = await h.settle(a.keyManager.listKeys());
    expect(list.error).toBeUndefined();
    expect([...list.keys]).toEqual([[k2, 3]]);
    expect([...list.primaryKeys]).toEqual([[k2, 3]]);
    // Still one cluster on the new key.
    nodes[2].userEvent("after-rotation");
    await h.flush(2000);
    expect(aliveNames(a)).toEqual(["a", "b", "c"]);
  });

  it("replays a snapshot: clocks restored and rejoin without an explicit join", async () => {
    const h = harness();
    const store = new MemorySnapshotStore();
    const [a, b] = (await cluster(h, ["a", "b"], {})) as [Serf, Serf];
    const c = await h.start("c", { snapshotStore: store });
    await h.settle(c.join([a.localAddress]));
    await h.until(() => aliveNames(c).join() === "a,b,c", 5000);
    a.userEvent("one");
    b.query("q", "", { timeoutMs: 500 });
    await h.flush(2000);
    const address = c.localAddress;
    await c.shutdown();
    const snap = store.text();
    expect(snap).toContain(`alive: a ${a.localAddress}\n`);
    expect(snap).toContain("event-clock: 1\n");
    expect(snap).toContain("query-clock: 1\n");

    // Restart c on the same address from the same snapshot: it rejoins by itself and does
    // not deliver the old event again.
    const store2 = new MemorySnapshotStore(snap);
    const users: string[] = [];
    const c2 = await h.start("c", {
      snapshotStore: store2,
      transport: h.network.createTransport(address),
    });
    c2.on("user", (e) => users.push(e.name));
    await h.until(() => aliveNames(c2).join() === "a,b,c", 5000);
    expect(c2.stats().eventTime).toBeGreaterThanOrEqual(2);
    a.userEvent("two");
    await h.flush(2000);
    expect(users).toEqual(["two"]);
  });

  it("a graceful leave is recorded in the snapshot and prevents the rejoin", async () => {
    const h = harness();
    const store = new MemorySnapshotStore();
    const [a] = (await cluster(h, ["a"])) as [Serf];
    const b = await h.start("b", { snapshotStore: store });
    await h.settle(b.join([a.localAddress]));
    await h.until(() => aliveNames(b).join() === "a,b", 5000);
    await h.settle(b.leave());
    await b.shutdown();
    expect(store.text()).toMatch(/\nleave\n/);
    const b2 = await h.start("b2", { snapshotStore: new MemorySnapshotStore(store.text()) });
    await h.flush(2000);
    expect(aliveNames(b2)).toEqual(["b2"]);
  });
});
