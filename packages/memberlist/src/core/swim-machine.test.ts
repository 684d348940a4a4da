import { describe, expect, it } from "vitest";
import { CoreHarness, GO_VSN, testAddress } from "../testing/core-harness.ts";
import type { PacketTransmit } from "./types.ts";

const packetBytes = (p: PacketTransmit): number =>
  p.messages.length === 1
    ? (p.messages[0]?.length ?? 0)
    : 2 + p.messages.reduce((n, m) => n + 2 + m.length, 0);

describe("SwimMachine start-up (memberlist.md §9.1)", () => {
  it("starts alive at incarnation 1 with Vsn 01 05 02 02 05 05 and a join event for itself", () => {
    const h = new CoreHarness("self", 1);
    const d = h.drain();
    expect(d.events).toEqual([{ type: "join", node: h.machine.localNode() }]);
    const me = h.machine.localNode();
    expect(me).toMatchObject({ name: "self", incarnation: 1, state: 0, port: 7946 });
    expect(me.vsn).toEqual(GO_VSN);
    expect(me.address).toBe("10.0.0.1:7946");
    expect(h.machine.broadcasts.orderedView()[0]?.broadcast.typed).toMatchObject({
      type: "alive",
      node: "self",
      incarnation: 1,
    });
    // Earliest timer: the first gossip round.
    expect(h.machine.pollTimeout()).toBe(200);
    expect(h.machine.members()).toHaveLength(1);
  });

  it("takes its meta from the delegate and rejects meta over 512 bytes", () => {
    const h = new CoreHarness("self", 1, {}, { nodeMeta: () => Uint8Array.of(0xff, 0x80) });
    expect(h.machine.localNode().meta).toEqual(Uint8Array.of(0xff, 0x80));
    expect(() => h.machine.updateMeta(new Uint8Array(513), 0)).toThrow(RangeError);
    expect(() => new CoreHarness("x", 1, {}, { nodeMeta: () => new Uint8Array(600) })).toThrow(
      RangeError,
    );
  });
});

describe("gossip (memberlist.md §9.6)", () => {
  it("fans out to GossipNodes peers every GossipInterval, CRC only for PMax ≥ 5", () => {
    const h = new CoreHarness("self", 1, { probeIntervalMs: 0, pushPullIntervalMs: 0 });
    h.addPeers(
      { name: "b", index: 2 },
      { name: "c", index: 3, vsn: Uint8Array.of(1, 4, 2, 2, 5, 5) },
      { name: "d", index: 4 },
      { name: "e", index: 5 },
    );
    const round = h.advance(200);
    expect(round.packets.length).toBe(3);
    for (const p of round.packets) {
      expect(p.crc).toBe(p.node !== "c");
      expect(p.typed.every((m) => m.type === "alive")).toBe(true);
    }
    // Until the queue is drained (limit 4 × ceil(log10(6)) = 4 transmissions each).
    const rest = h.advance(10_000);
    expect(rest.packets.length).toBeLessThanOrEqual(2);
    expect(h.machine.broadcasts.numQueued()).toBe(0);
  });

  it("sleeps while nothing is queued and wakes on its phase for a new broadcast", () => {
    const queue: Uint8Array[] = [];
    const h = new CoreHarness(
      "self",
      1,
      { probeIntervalMs: 0, pushPullIntervalMs: 0 },
      { getBroadcasts: () => queue.splice(0), hasBroadcasts: () => queue.length > 0 },
    );
    h.addPeers({ name: "b", index: 2 });
    h.advance(10_000); // the alive broadcasts run out
    expect(h.machine.broadcasts.numQueued()).toBe(0);
    // Idle: no deadline at all (no wake-ups every GossipInterval).
    expect(h.machine.pollTimeout()).toBeUndefined();
    // A delegate broadcast at t = 10 050 leaves at the next tick of the original 200 ms grid.
    h.now += 50;
    queue.push(Uint8Array.of(7));
    h.machine.wakeGossip(h.now);
    expect(h.machine.pollTimeout()).toBe(10_200);
    const round = h.advance(1_000);
    expect(round.packets.map((p) => p.typed)).toEqual([
      [{ type: "user", payload: Uint8Array.of(7) }],
    ]);
    // memberlist's own queue wakes it too (a suspect accusation is gossiped).
    expect(h.machine.pollTimeout()).toBeUndefined();
    h.packet(testAddress(2), { type: "suspect", incarnation: 1, node: "b", from: "c" });
    expect(h.machine.pollTimeout()).toBeDefined();
    expect(h.advance(200).packets.length).toBe(1);
  });

  it("fills packets up to UDPBufferSize − 2 (− 29 with encryption)", () => {
    for (const encryptionEnabled of [false, true]) {
      const h = new CoreHarness("self", 1, {
        probeIntervalMs: 0,
        pushPullIntervalMs: 0,
        encryptionEnabled,
      });
      const peers = Array.from({ length: 60 }, (_, i) => ({ name: `peer-${i}`, index: i + 2 }));
      h.addPeers(...peers);
      const round = h.advance(200);
      const limit = 1400 - (encryptionEnabled ? 29 : 0);
      for (const p of round.packets) {
        expect(packetBytes(p)).toBeLessThanOrEqual(limit);
        expect(packetBytes(p)).toBeGreaterThan(limit - 80);
      }
    }
  });

  it("appends delegate broadcasts as user messages, after memberlist's own", () => {
    const queue = [Uint8Array.of(1, 2, 3)];
    const seen: { overhead: number; limit: number }[] = [];
    const h = new CoreHarness(
      "self",
      1,
      { probeIntervalMs: 0, pushPullIntervalMs: 0 },
      {
        getBroadcasts: (overhead, limit) => {
          seen.push({ overhead, limit });
          return queue.splice(0);
        },
      },
    );
    h.addPeers({ name: "b", index: 2 });
    const round = h.advance(200);
    const p = round.packets[0] as PacketTransmit;
    expect(p.typed.at(-1)).toEqual({ type: "user", payload: Uint8Array.of(1, 2, 3) });
    expect(p.messages.at(-1)).toEqual(Uint8Array.of(8, 1, 2, 3));
    expect(p.typed[0]?.type).toBe("alive");
    expect(seen[0]?.overhead).toBe(3);
  });

  it("splits more than 255 parts into several compounds", () => {
    const tiny = Array.from({ length: 400 }, () => Uint8Array.of(1));
    const h = new CoreHarness(
      "self",
      1,
      { probeIntervalMs: 0, pushPullIntervalMs: 0 },
      {
        getBroadcasts: () => tiny.splice(0),
      },
    );
    h.addPeers({ name: "b", index: 2 });
    h.machine.broadcasts.reset();
    const round = h.advance(200);
    expect(round.packets.length).toBe(2);
    expect(round.packets[0]?.messages.length).toBe(255);
    expect(round.packets[1]?.messages.length).toBe(145);
  });

  it("gossips to recently dead nodes but not to left ones", () => {
    const h = new CoreHarness("self", 1, { probeIntervalMs: 0, pushPullIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 });
    h.packet(testAddress(9), { type: "dead", incarnation: 1, node: "b", from: "x" });
    h.packet(testAddress(3), { type: "dead", incarnation: 1, node: "c", from: "c" });
    const round = h.advance(200);
    expect(round.packets.map((p) => p.node)).toEqual(["b"]);
    h.machine.updateMeta(Uint8Array.of(1), h.now); // something to gossip
    const soon = h.advance(1_000);
    expect(soon.packets.filter((p) => p.node === "b").length).toBeGreaterThan(0);
    expect(soon.packets.filter((p) => p.node === "c")).toEqual([]);
    h.advance(30_000); // past GossipToTheDeadTime
    h.machine.updateMeta(Uint8Array.of(2), h.now);
    const late = h.advance(1_000);
    expect(late.packets.filter((p) => p.node === "b")).toEqual([]);
  });
});

describe("leave and meta updates (memberlist.md §9.1, §9.10)", () => {
  it("leave broadcasts dead{From: self} and completes once transmitted", () => {
    const h = new CoreHarness("self", 1, { probeIntervalMs: 0, pushPullIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 });
    h.advance(5_000);
    h.machine.leave(h.now);
    const d = h.drain();
    expect(d.events[0]).toMatchObject({ type: "leave", node: { name: "self", state: 3 } });
    expect(h.machine.isLeaveComplete()).toBe(false);
    const out = h.advance(2_000);
    const deads = out.packets.flatMap((p) => p.typed).filter((m) => m.type === "dead");
    expect(deads[0]).toEqual({ type: "dead", incarnation: 1, node: "self", from: "self" });
    expect(deads).toHaveLength(4); // 4 × ceil(log10(3))
    expect(out.events).toContainEqual({ type: "leave-complete" });
    expect(h.machine.isLeaveComplete()).toBe(true);
  });

  it("leave with nobody else alive completes at once", () => {
    const h = new CoreHarness();
    h.drain();
    h.machine.leave(0);
    expect(h.machine.isLeaveComplete()).toBe(true);
    expect(h.drain().events).toContainEqual({ type: "leave-complete" });
  });

  it("updateMeta bumps the incarnation, emits update and completes when gossiped", () => {
    const h = new CoreHarness("self", 1, { probeIntervalMs: 0, pushPullIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 });
    h.advance(5_000);
    h.machine.updateMeta(Uint8Array.of(7), h.now);
    const d = h.drain();
    expect(d.events[0]).toMatchObject({ type: "update", node: { name: "self", incarnation: 2 } });
    expect(h.machine.isUpdateComplete()).toBe(false);
    const out = h.advance(2_000);
    expect(out.events).toContainEqual({ type: "update-complete", incarnation: 2 });
    expect(h.machine.isUpdateComplete()).toBe(true);
  });

  it("sendUserPacket sends a bare user message, with CRC to known PMax ≥ 5 nodes", () => {
    const h = new CoreHarness();
    h.addPeers({ name: "b", index: 2 });
    h.machine.sendUserPacket(testAddress(2), Uint8Array.of(1), "b");
    h.machine.sendUserPacket("10.9.9.9:7946", Uint8Array.of(2));
    const [a, b] = h.drain().packets;
    expect(a).toMatchObject({ to: testAddress(2), crc: true });
    expect(a?.messages).toEqual([Uint8Array.of(8, 1)]);
    expect(b).toMatchObject({ to: "10.9.9.9:7946", crc: false });
  });

  it("shutdown stops timers and ignores inputs", () => {
    const h = new CoreHarness();
    h.drain();
    h.machine.shutdown();
    expect(h.machine.pollTimeout()).toBeUndefined();
    expect(h.packet(testAddress(2), { type: "ack", seqNo: 1, payload: null }).transmits).toEqual(
      [],
    );
    expect(h.machine.join([testAddress(2)], 0)).toEqual([]);
  });
});
