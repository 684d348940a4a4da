import { Keyring, NodeStateCode } from "@serf-ts/wire";
import { afterEach, describe, expect, it } from "vitest";
import type { MemberlistEvent } from "./core/types.ts";
import { JoinError, Memberlist, type MemberlistConfig } from "./memberlist.ts";
import { ManualClock } from "./testing/manual-clock.ts";
import { TransportError, TransportErrorCode } from "./transport.ts";
import { MemoryNetwork } from "./testing/memory-network.ts";

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const names = (ml: Memberlist): string[] =>
  ml
    .members()
    .map((n) => n.name)
    .sort();

describe("Memberlist driver on a MemoryNetwork (real timers, test profile)", () => {
  const nodes: Memberlist[] = [];
  let network: MemoryNetwork | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
    await network?.close();
    network = undefined;
  });

  async function start(name: string, extra: Partial<MemberlistConfig> = {}): Promise<Memberlist> {
    network ??= new MemoryNetwork();
    const ml = await Memberlist.create({
      options: { name, profile: "test" },
      transport: network.createTransport(),
      ...extra,
    });
    nodes.push(ml);
    return ml;
  }

  it("starts with only itself, alive with incarnation 1", async () => {
    const a = await start("a");
    expect(names(a)).toEqual(["a"]);
    expect(a.localNode()).toMatchObject({ name: "a", incarnation: 1, state: NodeStateCode.ALIVE });
    expect(a.localAddress).toBe(a.localNode().address);
  });

  it("joins, converges, detects a crash and sees a graceful leave", async () => {
    const a = await start("a");
    const b = await start("b");
    const c = await start("c");
    const seen: MemberlistEvent[] = [];
    a.on((e) => seen.push(e));
    expect(await b.join([a.localAddress])).toBe(1);
    expect(await c.join([`a/${a.localAddress}`])).toBe(1);
    await until(() => [a, b, c].every((n) => names(n).join() === "a,b,c"));
    expect(
      seen
        .filter((e) => e.type === "join")
        .map((e) => (e as { node: { name: string } }).node.name)
        .sort(),
    ).toEqual(["b", "c"]);

    // Crash c (no leave): a and b mark it dead.
    await c.shutdown();
    await until(() => a.getNode("c")?.state === NodeStateCode.DEAD, 8000);
    await until(() => b.getNode("c")?.state === NodeStateCode.DEAD, 8000);

    // b leaves gracefully: a marks it left.
    await b.leave(2000);
    await until(() => a.getNode("b")?.state === NodeStateCode.LEFT);
    expect(names(a)).toEqual(["a"]);
  });

  it("delivers events through the async iterator", async () => {
    const a = await start("a");
    const b = await start("b");
    const it = a.events();
    await b.join([a.localAddress]);
    for (;;) {
      const { value, done } = await it.next();
      expect(done).toBe(false);
      if (value?.type === "join" && value.node.name === "b") break;
    }
    await it.return?.();
  });

  it("propagates a metadata update", async () => {
    const a = await start("a");
    const b = await start("b");
    await b.join([a.localAddress]);
    await until(() => names(a).length === 2);
    await b.updateMeta(Uint8Array.of(0xff, 0x80), 2000);
    await until(() => a.getNode("b")?.meta.length === 2);
    expect(a.getNode("b")?.incarnation).toBe(2);
  });

  it("rejects a join when nobody answers", async () => {
    const a = await start("a");
    const err = await a.join(["10.99.99.99:7946"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinError);
  });

  it("encrypted nodes gossip with each other but not with a node holding another key", async () => {
    const k1 = new Uint8Array(32).fill(3);
    const k2 = new Uint8Array(32).fill(4);
    const a = await start("a", { keyring: Keyring.create([k1]) });
    const b = await start("b", { keyring: Keyring.create([k1]) });
    const c = await start("c", { keyring: Keyring.create([k2]) });
    const plain = await start("p");
    expect(await b.join([a.localAddress])).toBe(1);
    await until(() => names(a).join() === "a,b" && names(b).join() === "a,b");
    await expect(c.join([a.localAddress])).rejects.toBeInstanceOf(JoinError);
    const err = (await plain.join([a.localAddress]).catch((e: unknown) => e)) as JoinError;
    expect(err).toBeInstanceOf(JoinError);
    // a answers with an encrypted errResp, which the plaintext node cannot read.
    expect(err.message).toContain("Remote state is encrypted and encryption is not configured");
    expect(names(a)).toEqual(["a", "b"]);
    expect(a.stats.badStreams).toBeGreaterThan(0);
  });

  it("nodes with the same cluster label converge; another label cannot join", async () => {
    const a = await start("a", { options: { name: "a", profile: "test", label: "blue" } });
    const b = await start("b", { options: { name: "b", profile: "test", label: "blue" } });
    const red = await start("r", { options: { name: "r", profile: "test", label: "red" } });
    const none = await start("n");
    expect(await b.join([a.localAddress])).toBe(1);
    await until(() => names(a).join() === "a,b" && names(b).join() === "a,b");
    await expect(red.join([a.localAddress])).rejects.toBeInstanceOf(JoinError);
    await expect(none.join([a.localAddress])).rejects.toBeInstanceOf(JoinError);
    // Labelled nodes cannot join an unlabelled one either.
    await expect(b.join([none.localAddress])).rejects.toBeInstanceOf(JoinError);
    await new Promise((r) => setTimeout(r, 300)); // a few gossip / probe rounds
    expect(names(a)).toEqual(["a", "b"]);
    expect(names(b)).toEqual(["a", "b"]);
    expect(names(red)).toEqual(["r"]);
    expect(names(none)).toEqual(["n"]);
    expect(a.stats.rejectedLabels).toBeGreaterThanOrEqual(2);
    expect(none.stats.rejectedLabels).toBeGreaterThanOrEqual(1);
  });

  it("labelled and encrypted nodes converge; unlabelled nodes work as before", async () => {
    const k = new Uint8Array(32).fill(5);
    const opts = (name: string) => ({ name, profile: "test" as const, label: "blue" });
    const a = await start("a", { options: opts("a"), keyring: Keyring.create([k]) });
    const b = await start("b", { options: opts("b"), keyring: Keyring.create([k]) });
    const c = await start("c", {
      options: { ...opts("c"), label: "red" },
      keyring: Keyring.create([k]),
    });
    expect(await b.join([a.localAddress])).toBe(1);
    await until(() => names(a).join() === "a,b" && names(b).join() === "a,b");
    await expect(c.join([a.localAddress])).rejects.toBeInstanceOf(JoinError);
    expect(names(a)).toEqual(["a", "b"]);

    const p = await start("p");
    const q = await start("q", { options: { name: "q", profile: "test", label: "" } });
    expect(await q.join([p.localAddress])).toBe(1);
    await until(() => names(p).join() === "p,q" && names(q).join() === "p,q");
    expect(p.stats.rejectedLabels).toBe(0);
  });

  it("sendReliable delivers a message larger than a UDP packet, plain and encrypted", async () => {
    const key = new Uint8Array(32).fill(7);
    for (const encrypted of [false, true]) {
      const received: Uint8Array[] = [];
      const keyring = () => (encrypted ? { keyring: Keyring.create([key]) } : {});
      const a = await start(`a${encrypted ? "e" : ""}`, keyring());
      const b = await start(`b${encrypted ? "e" : ""}`, {
        ...keyring(),
        delegates: { notifyUserMessage: (m) => received.push(m) },
      });
      const payload = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
      await a.sendReliable(b.localAddress, payload);
      await until(() => received.length === 1);
      expect(received[0]).toEqual(payload);
      // An empty message is delivered too (Go sends the header with length 0).
      await a.sendReliable(b.localAddress, new Uint8Array(0));
      await until(() => received.length === 2);
      expect(received[1]).toEqual(new Uint8Array(0));
    }
  });

  it("sendReliable rejects on a timeout, when the peer is down, and after shutdown", async () => {
    const a = await start("a", { options: { name: "a", profile: "test", tcpTimeoutMs: 200 } });
    const b = await start("b");
    const addr = b.localAddress;
    // A dial across a cut link waits for its timeout.
    network!.blockLink(a.localAddress, addr);
    await expect(a.sendReliable(addr, new Uint8Array([1]))).rejects.toMatchObject({
      code: TransportErrorCode.TIMEOUT,
    });
    network!.heal();
    await b.shutdown();
    const down = await a.sendReliable(addr, new Uint8Array([1])).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(TransportError);
    expect(down).toMatchObject({ code: TransportErrorCode.UNREACHABLE });
    expect((down as Error).message).toContain(`failed to send to ${addr}`);
    expect(a.stats.failedExchanges).toBe(2);
    await a.shutdown();
    await expect(a.sendReliable(addr, new Uint8Array([1]))).rejects.toMatchObject({
      code: TransportErrorCode.CLOSED,
    });
  });

  it("closes inbound streams beyond 127 at once (Go maxPushPullRequests), then serves again", async () => {
    const a = await start("a");
    const b = await start("b");
    // 127 peers that connect and send nothing hold every inbound slot of a.
    const idle = network!.createTransport();
    const held = await Promise.all(
      Array.from({ length: 127 }, () => idle.dial(a.localAddress, { timeoutMs: 1000 })),
    );
    const extra = await idle.dial(a.localAddress, { timeoutMs: 1000 });
    expect(await extra.read()).toBeNull(); // closed at once, unread
    await until(() => a.stats.rejectedStreams === 1);
    // A push/pull join is refused the same way while the slots are taken.
    await expect(b.join([a.localAddress])).rejects.toBeInstanceOf(JoinError);
    expect(a.stats.rejectedStreams).toBe(2);
    for (const s of held) s.close();
    await new Promise((r) => setTimeout(r, 20)); // a sees the closes and frees the slots
    expect(await b.join([a.localAddress])).toBe(1);
    await until(() => names(a).join() === "a,b");
    await idle.close();
  });

  it("rejects a label longer than 255 bytes", async () => {
    await expect(start("a", { options: { name: "a", label: "x".repeat(256) } })).rejects.toThrow(
      RangeError,
    );
  });

  it("shutdown ends event iterators and is idempotent", async () => {
    const a = await start("a");
    const it = a.events();
    const pending = it.next();
    await a.shutdown();
    await a.shutdown();
    expect((await pending).done).toBe(true);
    expect(a.isShutdown).toBe(true);
  });
});

describe("Memberlist driver with a ManualClock (deterministic)", () => {
  it("converges and detects failure in virtual time", async () => {
    const clock = new ManualClock(0);
    const network = new MemoryNetwork({ clock, latencyMs: 1 });
    const mk = (name: string, seed: number) =>
      Memberlist.create({
        options: { name, profile: "lan" },
        transport: network.createTransport(),
        clock,
        random: { nextUint32: lcg(seed), nextFloat: () => 0.5 },
      });
    const a = await mk("a", 1);
    const b = await mk("b", 2);
    const c = await mk("c", 3);
    const flush = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 5) {
        clock.advance(5);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      }
    };
    const joining = Promise.all([b.join([a.localAddress]), c.join([a.localAddress])]);
    await flush(50);
    expect(await joining).toEqual([1, 1]);
    await flush(3000);
    for (const n of [a, b, c]) expect(names(n)).toEqual(["a", "b", "c"]);
    const deadAt: Record<string, number> = {};
    for (const n of [a, b]) {
      n.on((e) => {
        if (e.type === "leave" && e.node.name === "c") deadAt[n.name] = clock.now();
      });
    }
    const crashedAt = clock.now();
    await c.shutdown();
    // LAN profile: suspicion takes 4-24 s with 3 nodes; 30 virtual seconds is plenty.
    await flush(30_000);
    expect(a.getNode("c")?.state).toBe(NodeStateCode.DEAD);
    expect(b.getNode("c")?.state).toBe(NodeStateCode.DEAD);
    for (const n of ["a", "b"]) {
      expect(deadAt[n]! - crashedAt).toBeGreaterThan(4000);
      expect(deadAt[n]! - crashedAt).toBeLessThan(26_000);
    }
    await a.shutdown();
    await b.shutdown();
    await network.close();
  }, 30_000);
});

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}
