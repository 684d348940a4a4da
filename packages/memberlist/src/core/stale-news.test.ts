import { describe, expect, it } from "vitest";
import { CoreHarness, deadOf, suspectOf, testAddress, testIp } from "../testing/core-harness.ts";

const QUIET = { gossipIntervalMs: 0, pushPullIntervalMs: 0, probeIntervalMs: 0 };

/** The first message of each packet to `to` (the rest is piggy-backed gossip). */
function messagesTo(d: ReturnType<CoreHarness["drain"]>, to: string) {
  return d.packets.filter((p) => p.to === to).map((p) => p.typed[0]);
}

describe("stale news answers", () => {
  it("a stale suspect about us: our current alive goes straight to the accuser, nothing else changes", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 });
    // A fresh accusation (incarnation 1): refuted with incarnation 2, as in Go.
    const refuted = h.packet(testAddress(2), suspectOf("self", 1, "b"));
    expect(refuted.events.some((e) => e.type === "refute")).toBe(true);
    expect(h.machine.nodeIncarnation("self")).toBe(2);
    const health = h.machine.healthScore();
    h.drain();
    // c missed the refutation and accuses us again at incarnation 1 (its probe's compound).
    const stale = h.packet(testAddress(3), suspectOf("self", 1, "c"));
    expect(messagesTo(stale, testAddress(3))).toEqual([
      expect.objectContaining({ type: "alive", node: "self", incarnation: 2, addr: testIp(1) }),
    ]);
    expect(stale.events.filter((e) => e.type === "refute")).toEqual([]);
    expect(h.machine.nodeIncarnation("self")).toBe(2);
    expect(h.machine.healthScore()).toBe(health);
    // At most one answer per accuser per probe timeout (500 ms).
    expect(messagesTo(h.packet(testAddress(3), suspectOf("self", 1, "c")), testAddress(3))).toEqual(
      [],
    );
    h.now += 500;
    expect(messagesTo(h.packet(testAddress(3), deadOf("self", 1, "c")), testAddress(3))).toEqual([
      expect.objectContaining({ type: "alive", node: "self", incarnation: 2 }),
    ]);
  });

  it("an indirect ping for a node we hold dead: the requester gets our dead message too", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 });
    h.packet(testAddress(3), deadOf("c", 1, "b"));
    expect(h.machine.nodeState("c")).toBe(2);
    const d = h.packet(testAddress(2), {
      type: "indirect-ping",
      seqNo: 7,
      target: testIp(3),
      port: 7946,
      node: "c",
      nack: true,
      sourceAddr: testIp(2),
      sourcePort: 7946,
      sourceNode: "b",
    });
    // The ping is relayed as in Go ...
    expect(messagesTo(d, testAddress(3))).toEqual([expect.objectContaining({ type: "ping" })]);
    // ... and b learns what it missed.
    expect(messagesTo(d, testAddress(2))).toEqual([
      { type: "dead", incarnation: 1, node: "c", from: "self" },
    ]);
  });

  it("an indirect ping for a live node gets no extra message", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 });
    const d = h.packet(testAddress(2), {
      type: "indirect-ping",
      seqNo: 7,
      target: testIp(3),
      port: 7946,
      node: "c",
      nack: true,
      sourceAddr: testIp(2),
      sourcePort: 7946,
      sourceNode: "b",
    });
    expect(messagesTo(d, testAddress(2))).toEqual([]);
  });
});
