import { encodeSerfMessage } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import type { SerfQueryEvent } from "./events.ts";
import type { SerfOptions } from "../options.ts";
import { SerfHarness, testIp } from "../testing/serf-harness.ts";
import { type SerfSimNode, SerfSimCluster } from "../testing/serf-sim.ts";
import { SerfMachineError } from "./serf-machine.ts";
import { SizeLimitError } from "./size-limits.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function cluster(n: number, seed: number, options: SerfOptions = { protocolVersion: 5 }) {
  const c = new SerfSimCluster({ seed, options });
  for (let i = 0; i < n; i++)
    c.addNode(undefined, { tags: { role: i % 2 === 0 ? "web" : "db", idx: `${i}` } });
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
  return c;
}

/** Every node answers every query it receives with "<name>:<payload>". */
function autoRespond(c: SerfSimCluster): void {
  const seen = new Set<string>();
  const tick = (): void => {
    for (const n of c.upNodes()) {
      for (const q of n.eventsOf("query")) {
        const key = `${n.index}/${q.handle}`;
        if (seen.has(key)) continue;
        seen.add(key);
        c.act(n, (m, now) => m.respond(q.handle, enc(`${n.name}:${dec(q.payload)}`), now));
      }
    }
    c.after(10, tick);
  };
  tick();
}

function queryEvents(n: SerfSimNode): SerfQueryEvent[] {
  return n.eventsOf("query");
}

describe("queries (serf.md §7)", () => {
  it("reach every node once (the originator included), acks and responses are collected", () => {
    const c = cluster(6, 81);
    autoRespond(c);
    const h = c.act("node-2", (m, now) =>
      m.query({ name: "ping", payload: enc("hi"), requestAck: true }, now),
    );
    // Default timeout: 200 ms × 16 × ceil(log10(7)) = 3200 ms.
    expect(h.deadline - c.now).toBe(3_200);
    c.runFor(4_000);
    const origin = c.node("node-2");
    const done = origin.eventsOf("query-done");
    expect(done).toHaveLength(1);
    expect([...(done[0]?.acks ?? [])].sort()).toEqual(c.nodes.map((n) => n.name).sort());
    const responses = origin.eventsOf("query-response").map((r) => dec(r.payload));
    expect(responses.sort()).toEqual(c.nodes.map((n) => `${n.name}:hi`).sort());
    for (const n of c.nodes) {
      const qs = queryEvents(n);
      expect(qs).toHaveLength(1);
      expect(qs[0]).toMatchObject({
        name: "ping",
        lTime: h.lTime,
        id: h.id,
        sourceNode: "node-2",
        sourceAddress: "10.0.0.2:7946",
      });
    }
    // No late events after the deadline.
    expect(origin.events.at(-1)?.event.type).not.toBe("query-response");
  });

  it("node filters and tag filters (Go regexp, unanchored) select the processing nodes", () => {
    const c = cluster(6, 82);
    autoRespond(c);
    c.act("node-0", (m, now) =>
      m.query({ name: "q1", filterNodes: ["node-1", "node-4", "nope"], requestAck: true }, now),
    );
    c.act("node-0", (m, now) =>
      m.query({ name: "q2", filterTags: { role: "^w.b$", idx: "[0-3]" }, requestAck: true }, now),
    );
    c.act("node-0", (m, now) => m.query({ name: "q3", filterTags: { role: "(?i)DB" } }, now));
    c.runFor(4_000);
    const got = (name: string) =>
      c.nodes.filter((n) => queryEvents(n).some((q) => q.name === name)).map((n) => n.name);
    expect(got("q1")).toEqual(["node-1", "node-4"]);
    expect(got("q2")).toEqual(["node-0", "node-2"]);
    expect(got("q3")).toEqual(["node-1", "node-3", "node-5"]);
    const acks = c
      .node("node-0")
      .eventsOf("query-done")
      .map((d) => [...d.acks].sort());
    expect(acks).toEqual([["node-1", "node-4"], ["node-0", "node-2"], []]);
  });

  it("relay factor: responses arrive through relays when the direct path is lost", () => {
    const c = cluster(6, 83);
    autoRespond(c);
    // node-5 → node-0 datagrams are all lost: only relayed copies can arrive.
    c.faults.setLinkLoss("node-5", "node-0", 1);
    c.act("node-0", (m, now) => m.query({ name: "r0", requestAck: true }, now));
    c.runFor(4_000);
    c.act("node-0", (m, now) => m.query({ name: "r2", requestAck: true, relayFactor: 2 }, now));
    c.runFor(4_000);
    const [r0, r2] = c.node("node-0").eventsOf("query-done");
    expect(r0?.acks).not.toContain("node-5");
    expect(r0?.responders).not.toContain("node-5");
    expect(r2?.acks).toContain("node-5");
    expect(r2?.responders).toContain("node-5");
    // Relays bring duplicates: still one response per node.
    const rs = c
      .node("node-0")
      .eventsOf("query-response")
      .filter((r) => r.lTime === r2?.lTime);
    expect(new Set(rs.map((r) => r.from)).size).toBe(rs.length);
    expect(rs).toHaveLength(6);
  });

  it("respond: once, before the deadline, within the size limit", () => {
    const c = cluster(2, 84);
    const sent = c.now;
    c.act("node-0", (m, now) => m.query({ name: "x", timeoutMs: 1_000 }, now));
    c.runFor(400);
    const q = queryEvents(c.node("node-1"))[0] as SerfQueryEvent;
    // Deadline = receipt + Timeout.
    expect(q.deadline).toBeGreaterThan(sent + 1_000);
    expect(q.deadline).toBeLessThan(sent + 1_400);
    const m1 = c.machine("node-1");
    expect(() => m1.respond(q.handle, new Uint8Array(1024), c.now)).toThrow(
      "response exceeds limit of 1024 bytes",
    );
    m1.respond(q.handle, enc("ok"), c.now);
    expect(() => m1.respond(q.handle, enc("again"), c.now)).toThrow("response already sent");
    c.pump(c.node("node-1"));
    c.act("node-0", (m, now) => m.query({ name: "y", timeoutMs: 500 }, now));
    c.runFor(400);
    const late = queryEvents(c.node("node-1")).find((e) => e.name === "y") as SerfQueryEvent;
    expect(() => m1.respond(late.handle, enc("late"), late.deadline + 1)).toThrow(SerfMachineError);
    c.runFor(1_000);
    expect(
      c
        .node("node-0")
        .eventsOf("query-response")
        .map((r) => dec(r.payload)),
    ).toEqual(["ok"]);
  });

  it("dedup by (LTime, ID); query size limit; protocol < 4 cannot send", () => {
    const h = new SerfHarness();
    const q = {
      type: "query" as const,
      lTime: 5,
      id: 77,
      addr: testIp(2),
      port: 7946,
      sourceNode: "node-2",
      filters: null,
      flags: 0,
      relayFactor: 0,
      timeoutNs: 3_200_000_000,
      name: "hello",
      payload: null,
    };
    expect(h.serf(2, q).filter((e) => e.type === "query")).toHaveLength(1);
    expect(h.m.queueDepths().query).toBe(1); // rebroadcast
    expect(h.serf(3, q).filter((e) => e.type === "query")).toHaveLength(0);
    expect(h.m.queueDepths().query).toBe(1);
    expect(h.serf(3, { ...q, id: 78 }).filter((e) => e.type === "query")).toHaveLength(1);
    // NoBroadcast flag: delivered, not re-gossiped.
    h.serf(3, { ...q, id: 79, flags: 2 });
    expect(h.m.queueDepths().query).toBe(2);
    expect(h.m.clocks().query).toBe(6);
    expect(() => h.m.query({ name: "big", payload: new Uint8Array(1000) }, 0)).toThrow(
      SizeLimitError,
    );
    const old = new SerfHarness({ options: { protocolVersion: 3 } });
    expect(() => old.m.query({ name: "q" }, 0)).toThrow("Feature not supported");
  });

  it("the timeout formula follows the live member count", () => {
    const c = cluster(10, 85);
    expect(c.machine("node-0").defaultQueryTimeoutMs()).toBe(200 * 16 * 2);
    const h = new SerfHarness({ options: { protocolVersion: 5, queryTimeoutMult: 4 } });
    expect(h.m.defaultQueryTimeoutMs()).toBe(200 * 4 * 1);
    const q = h.m.query({ name: "t", timeoutMs: 1234 }, 0);
    expect(q.deadline).toBe(1234);
    h.drain();
    expect(h.advance(1_233).filter((e) => e.type === "query-done")).toHaveLength(0);
    expect(h.advance(1).filter((e) => e.type === "query-done")).toHaveLength(1);
  });

  it("relays forward the inner message unchanged; _serf_ping only acks", () => {
    const h = new SerfHarness();
    const inner = encodeSerfMessage({
      type: "query-response",
      lTime: 3,
      id: 9,
      from: "node-4",
      flags: 0,
      payload: enc("pong"),
    });
    const mark = h.transmits.length;
    h.serf(4, {
      type: "relay",
      destAddr: { ip: testIp(7), port: 7946, zone: "" },
      destName: "node-7",
      message: inner,
    });
    const out = h.transmits.slice(mark);
    expect(out).toHaveLength(1);
    const t = out[0];
    expect(t?.kind === "packet" ? [t.to, t.node, t.typed] : undefined).toEqual([
      "10.0.0.7:7946",
      "node-7",
      [{ type: "user", payload: inner }],
    ]);

    const ping = {
      type: "query" as const,
      lTime: 2,
      id: 5,
      addr: testIp(7),
      port: 7946,
      sourceNode: "node-7",
      filters: null,
      flags: 1,
      relayFactor: 0,
      timeoutNs: 1_000_000_000,
      name: "_serf_ping",
      payload: null,
    };
    const mark2 = h.transmits.length;
    expect(h.serf(7, ping).filter((e) => e.type === "query")).toEqual([]);
    expect(h.sentSerf(mark2).map((s) => [s.to, s.msg])).toEqual([
      [
        "10.0.0.7:7946",
        { type: "query-response", lTime: 2, id: 5, from: "node-1", flags: 1, payload: null },
      ],
    ]);
  });

  it("closeQuery ends a query early with query-done", () => {
    const h = new SerfHarness();
    const q = h.m.query({ name: "stop-me", requestAck: true }, 0);
    h.drain();
    expect(h.m.closeQuery(q.lTime, 10)).toBe(true);
    expect(h.drain()).toEqual([
      { type: "query-done", lTime: q.lTime, id: q.id, acks: [], responders: [] },
    ]);
    expect(h.m.closeQuery(q.lTime, 10)).toBe(false);
    expect(h.advance(5_000).filter((e) => e.type === "query-done")).toEqual([]);
  });
});
