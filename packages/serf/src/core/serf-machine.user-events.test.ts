import { describe, expect, it } from "vitest";
import type { SerfOptions } from "../options.ts";
import { SerfHarness } from "../testing/serf-harness.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";
import { SizeLimitError } from "./size-limits.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function cluster(n: number, seed: number, options: SerfOptions = { protocolVersion: 5 }) {
  const c = new SerfSimCluster({ seed, options });
  c.addNodes(n);
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
  return c;
}

describe("user events (serf.md §6)", () => {
  it("are delivered exactly once on every node, also with 10% packet loss", () => {
    const c = cluster(8, 61);
    c.faults.setLoss(0.1);
    for (let i = 0; i < 20; i++) {
      const from = `node-${i % 8}`;
      c.act(from, (m, now) => m.userEvent(`ev-${i}`, enc(`payload-${i}`), i % 2 === 0, now));
      c.runFor(50);
    }
    c.runFor(40_000); // retransmissions and push/pull repair losses
    for (const n of c.nodes) {
      const got = n.eventsOf("user").map((e) => `${e.name}=${dec(e.payload)}`);
      expect(new Set(got).size, `${n.name} duplicates`).toBe(got.length);
      expect(got.sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `ev-${i}=payload-${i}`).sort(),
      );
    }
    // The first event has LTime 1 (concurrent senders may share an LTime); CC is carried.
    const ev = c.node("node-5").eventsOf("user");
    expect(ev.find((e) => e.name === "ev-0")).toMatchObject({ lTime: 1, coalesce: true });
    expect(ev.find((e) => e.name === "ev-1")).toMatchObject({ coalesce: false });
  });

  it("replay protection: the same event (LTime, name, payload) is delivered once", () => {
    const h = new SerfHarness();
    const msg = {
      type: "user-event" as const,
      lTime: 7,
      name: "deploy",
      payload: enc("v1"),
      cc: false,
    };
    expect(h.serf(2, msg).filter((e) => e.type === "user")).toHaveLength(1);
    expect(h.serf(3, msg).filter((e) => e.type === "user")).toHaveLength(0);
    // Same LTime, other payload: a different event.
    expect(h.serf(3, { ...msg, payload: enc("v2") }).filter((e) => e.type === "user")).toHaveLength(
      1,
    );
    expect(h.m.clocks().event).toBe(8);
    // Far older than the 512-slot window.
    h.serf(2, { ...msg, lTime: 2_000, name: "new" });
    expect(h.serf(2, { ...msg, lTime: 1_000 }).filter((e) => e.type === "user")).toHaveLength(0);
  });

  it("enforces the size limits with Go's messages", () => {
    const h = new SerfHarness();
    expect(() => h.m.userEvent("x", new Uint8Array(512), false, 0)).toThrow(SizeLimitError);
    expect(() => h.m.userEvent("x", new Uint8Array(512), false, 0)).toThrow(
      "user event exceeds configured limit of 512 bytes before encoding",
    );
    // 500 bytes of name+payload fit before encoding but not after (msgpack overhead).
    expect(() => h.m.userEvent("x", new Uint8Array(500), false, 0)).toThrow(
      "encoded user event exceeds configured limit of 512 bytes after encoding",
    );
    h.m.userEvent("x", new Uint8Array(400), false, 0);
    expect(h.drain().filter((e) => e.type === "user")).toHaveLength(1);
    const big = new SerfHarness({ options: { protocolVersion: 5, userEventSizeLimit: 9216 } });
    big.m.userEvent("x", new Uint8Array(9000), false, 0);
    expect(() => new SerfHarness({ options: { userEventSizeLimit: 9217 } })).toThrow(
      "user event size limit exceeds limit of 9216 bytes",
    );
  });

  it("a join with ignoreOld skips events already in the remote buffer; without it they are replayed", () => {
    const c = cluster(3, 62);
    c.act("node-0", (m, now) => m.userEvent("old-1", enc("a"), false, now));
    c.act("node-1", (m, now) => m.userEvent("old-2", enc("b"), false, now));
    c.runFor(5_000);
    const fresh = c.addNode("fresh");
    const replay = c.addNode("replay");
    c.join(fresh, ["node-0"], true);
    c.join(replay, ["node-0"], false);
    c.runFor(3_000);
    expect(fresh.eventsOf("user")).toEqual([]);
    // eventMinTime = the seed's EventLTime at the push/pull.
    expect(fresh.m.minTimes().event).toBe(c.machine("node-0").clocks().event);
    expect(
      replay
        .eventsOf("user")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["old-1", "old-2"]);
    // New events reach both.
    c.act("node-2", (m, now) => m.userEvent("new", enc("c"), false, now));
    c.runFor(3_000);
    expect(fresh.eventsOf("user").map((e) => e.name)).toEqual(["new"]);
    expect(
      replay
        .eventsOf("user")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["new", "old-1", "old-2"]);
  });
});

describe("queue depth limits (serf.md §5.9)", () => {
  it("warns at QueueDepthWarning and prunes above MaxQueueDepth", () => {
    const h = new SerfHarness({
      options: {
        protocolVersion: 5,
        queueCheckIntervalMs: 1_000,
        queueDepthWarning: 5,
        maxQueueDepth: 8,
      },
    });
    // Alone: nothing is ever transmitted, the event queue only grows.
    for (let i = 0; i < 12; i++) h.m.userEvent(`e${i}`, new Uint8Array(0), false, 0);
    const ev = h.advance(1_000).filter((e) => e.type === "queue-depth");
    expect(ev).toEqual([{ type: "queue-depth", queue: "event", depth: 12, limit: 8, dropped: 4 }]);
    expect(h.m.queueDepths().event).toBe(8);
    const warn = h.advance(1_000).filter((e) => e.type === "queue-depth");
    expect(warn).toEqual([{ type: "queue-depth", queue: "event", depth: 8, limit: 8, dropped: 0 }]);
  });

  it("MinQueueDepth makes the limit max(MinQueueDepth, 2 × members)", () => {
    const h = new SerfHarness({
      options: { protocolVersion: 5, queueCheckIntervalMs: 1_000, minQueueDepth: 3 },
    });
    for (let i = 0; i < 5; i++) h.m.userEvent(`e${i}`, new Uint8Array(0), false, 0);
    const ev = h.advance(1_000).filter((e) => e.type === "queue-depth");
    expect(ev).toEqual([{ type: "queue-depth", queue: "event", depth: 5, limit: 3, dropped: 2 }]);
  });
});
