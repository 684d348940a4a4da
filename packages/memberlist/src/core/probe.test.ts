import type { AckMessage, IndirectPingMessage, PingMessage } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { CoreHarness, suspectOf, testAddress, testIp } from "../testing/core-harness.ts";
import type { PacketTransmit, StreamTransmit } from "./types.ts";

const QUIET = { gossipIntervalMs: 0, pushPullIntervalMs: 0 };
const ADDR_OF: Record<string, number> = { b: 2, c: 3, d: 4 };

function probeSetup(vsn?: Uint8Array, delegates = {}) {
  const h = new CoreHarness("self", 1, QUIET, delegates);
  h.addPeers(
    { name: "b", index: 2, ...(vsn === undefined ? {} : { vsn }) },
    { name: "c", index: 3, ...(vsn === undefined ? {} : { vsn }) },
    { name: "d", index: 4, ...(vsn === undefined ? {} : { vsn }) },
  );
  const tick = h.advance(1_000);
  const pingPacket = tick.packets.find((p) => p.typed[0]?.type === "ping") as PacketTransmit;
  expect(pingPacket).toBeDefined();
  const ping = pingPacket.typed[0] as PingMessage;
  return { h, ping, pingPacket, target: ping.node };
}

describe("probe (memberlist.md §9.2)", () => {
  it("pings the next node round-robin, piggy-backing broadcasts, without CRC", () => {
    const { ping, pingPacket, target } = probeSetup();
    expect(["b", "c", "d"]).toContain(target);
    expect(pingPacket.to).toBe(testAddress(ADDR_OF[target] as number));
    expect(pingPacket.node).toBe(target);
    expect(pingPacket.crc).toBe(false);
    expect(ping).toMatchObject({ sourceAddr: testIp(1), sourcePort: 7946, sourceNode: "self" });
    // The alive broadcasts queued for b, c, d ride along.
    expect(pingPacket.typed.slice(1).every((m) => m.type === "alive")).toBe(true);
    expect(pingPacket.messages.length).toBe(pingPacket.typed.length);
  });

  it("a direct ack ends the probe and reports the RTT to the ping delegate", () => {
    const pings: { node: string; rtt: number; payload: Uint8Array | null }[] = [];
    const { h, ping, target } = probeSetup(undefined, {
      notifyPingComplete: (node: { name: string }, rtt: number, payload: Uint8Array | null) =>
        pings.push({ node: node.name, rtt, payload }),
    });
    h.now += 30;
    const payload = Uint8Array.of(1, 2);
    h.packet(testAddress(ADDR_OF[target] as number), { type: "ack", seqNo: ping.seqNo, payload });
    expect(pings).toEqual([{ node: target, rtt: 30, payload }]);
    const later = h.advance(900);
    expect(later.transmits.filter((t) => t.kind === "stream")).toEqual([]);
    expect(later.packets.some((p) => p.typed[0]?.type === "indirect-ping")).toBe(false);
    expect(h.machine.healthScore()).toBe(0);
  });

  it("times the RTT from when the driver sent the ping (handlePingSent), not when it was planned", () => {
    const pings: number[] = [];
    const { h, ping, pingPacket, target } = probeSetup(undefined, {
      notifyPingComplete: (_node: unknown, rtt: number) => pings.push(rtt),
    });
    expect(pingPacket.pingSeqNo).toBe(ping.seqNo);
    // The driver got to the send 4 ms after the probe tick; another seqNo is ignored.
    h.machine.handlePingSent(ping.seqNo + 1, h.now + 6);
    h.machine.handlePingSent(ping.seqNo, h.now + 4);
    h.now += 30;
    h.packet(testAddress(ADDR_OF[target] as number), {
      type: "ack",
      seqNo: ping.seqNo,
      payload: null,
    });
    expect(pings).toEqual([26]);
  });

  it("after ProbeTimeout: indirect pings (nack for PMax ≥ 4) and a TCP fallback ping", () => {
    const { h, ping, target } = probeSetup();
    const phase2 = h.advance(500);
    const indirect = phase2.packets.filter((p) => p.typed[0]?.type === "indirect-ping");
    expect(indirect).toHaveLength(2);
    for (const p of indirect) {
      const ind = p.typed[0] as IndirectPingMessage;
      expect(ind).toMatchObject({
        seqNo: ping.seqNo,
        node: target,
        target: testIp(ADDR_OF[target] as number),
        port: 7946,
        nack: true,
        sourceNode: "self",
      });
      expect(p.node).not.toBe(target);
    }
    const streams = phase2.transmits.filter((t): t is StreamTransmit => t.kind === "stream");
    expect(streams).toHaveLength(1);
    expect(streams[0]?.message).toMatchObject({ type: "ping", seqNo: ping.seqNo, node: target });
    expect(streams[0]?.timeoutMs).toBe(500);
    expect(streams[0]?.to).toBe(testAddress(ADDR_OF[target] as number));
  });

  it("no ack at the deadline: suspect the target, awareness += expected − received nacks", () => {
    const { h, ping, target } = probeSetup();
    const phase2 = h.advance(500);
    const stream = phase2.transmits.find((t): t is StreamTransmit => t.kind === "stream");
    h.packet(testAddress(3), { type: "nack", seqNo: ping.seqNo });
    h.machine.handleStreamReply(stream?.exchange ?? -1, { error: "connection refused" }, h.now);
    const end = h.advance(500);
    const suspect = end.events.find((e) => e.type === "suspect");
    expect(suspect).toMatchObject({ node: { name: target }, from: "self" });
    expect(h.machine.healthScore()).toBe(1); // 2 nacks expected, 1 received
    expect(end.events).toContainEqual({ type: "health", score: 1 });
  });

  it("without nack-capable peers a failed probe costs one health point; PMax < 3: no TCP ping", () => {
    const { h } = probeSetup(Uint8Array.of(1, 2, 2, 2, 5, 5));
    const phase2 = h.advance(500);
    const indirect = phase2.packets.filter((p) => p.typed[0]?.type === "indirect-ping");
    expect(indirect.every((p) => (p.typed[0] as IndirectPingMessage).nack === false)).toBe(true);
    expect(phase2.transmits.filter((t) => t.kind === "stream")).toEqual([]);
    h.advance(500);
    expect(h.machine.healthScore()).toBe(1);
  });

  it("an ack relayed by an intermediary ends the probe successfully (no RTT report)", () => {
    let reported = 0;
    const { h, ping } = probeSetup(undefined, { notifyPingComplete: () => reported++ });
    h.advance(500);
    h.packet(testAddress(3), { type: "ack", seqNo: ping.seqNo, payload: null });
    const rest = h.advance(500);
    expect(rest.events.filter((e) => e.type === "suspect")).toEqual([]);
    expect(reported).toBe(0);
  });

  it("a TCP fallback success saves the node", () => {
    const { h, ping } = probeSetup();
    const phase2 = h.advance(500);
    const stream = phase2.transmits.find((t): t is StreamTransmit => t.kind === "stream");
    const outcome = h.machine.handleStreamReply(
      stream?.exchange ?? -1,
      { type: "ack", seqNo: ping.seqNo, payload: null },
      h.now,
    );
    expect(outcome).toMatchObject({ kind: "ping", ok: true });
    const end = h.advance(500);
    expect(end.events.filter((e) => e.type === "suspect")).toEqual([]);
    expect(end.events).toContainEqual({ type: "probe-fallback", node: ping.node });
  });

  it("probes a suspect node with compound{ping, suspect} and CRC (PMax ≥ 5)", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 });
    h.packet(testAddress(3), suspectOf("b", 1, "x"));
    const tick = h.advance(1_000);
    const p = tick.packets.find((x) => x.typed[0]?.type === "ping") as PacketTransmit;
    expect(p.typed).toEqual([
      expect.objectContaining({ type: "ping", node: "b" }),
      suspectOf("b", 1, "self"),
    ]);
    expect(p.crc).toBe(true);
  });

  it("the probe interval scales with the health score", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 });
    h.packet(testAddress(2), { type: "suspect", incarnation: 1, node: "self", from: "b" });
    h.packet(testAddress(2), { type: "suspect", incarnation: 2, node: "self", from: "b" });
    expect(h.machine.healthScore()).toBe(2);
    const first = h.advance(1_000);
    const ping = first.packets.find((x) => x.typed[0]?.type === "ping");
    expect(ping).toBeDefined();
    // Deadline = 3 × ProbeInterval: no suspicion before 3 s.
    const mid = h.advance(2_900);
    expect(mid.events.filter((e) => e.type === "suspect")).toEqual([]);
    const end = h.advance(200);
    expect(end.events.filter((e) => e.type === "suspect")).toHaveLength(1);
  });
});

describe("serving pings (memberlist.md §9.3)", () => {
  it("acks to SourceAddr:SourcePort with the delegate's payload; ignores pings for others", () => {
    const payload = Uint8Array.of(1, 9);
    const h = new CoreHarness("self", 1, QUIET, { ackPayload: () => payload });
    h.drain();
    const d = h.packet("192.168.0.9:1234", {
      type: "ping",
      seqNo: 5,
      node: "self",
      sourceAddr: testIp(2),
      sourcePort: 7000,
      sourceNode: "b",
    });
    expect(d.packets).toHaveLength(1);
    expect(d.packets[0]).toMatchObject({ to: "10.0.0.2:7000", node: "b", crc: false });
    expect(d.packets[0]?.typed[0]).toEqual({ type: "ack", seqNo: 5, payload });
    const anon = h.packet("192.168.0.9:1234", {
      type: "ping",
      seqNo: 6,
      node: "",
      sourceAddr: null,
      sourcePort: 0,
      sourceNode: "",
    });
    expect(anon.packets[0]?.to).toBe("192.168.0.9:1234");
    const other = h.packet("192.168.0.9:1234", {
      type: "ping",
      seqNo: 7,
      node: "not-me",
      sourceAddr: null,
      sourcePort: 0,
      sourceNode: "",
    });
    expect(other.packets).toEqual([]);
    expect(other.events[0]).toMatchObject({ type: "dropped" });
  });

  it("relays an indirect ping: forwards the ack with the requester's SeqNo", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.drain();
    const ind: IndirectPingMessage = {
      type: "indirect-ping",
      seqNo: 77,
      target: testIp(4),
      port: 7946,
      node: "d",
      nack: true,
      sourceAddr: testIp(3),
      sourcePort: 7946,
      sourceNode: "c",
    };
    const d = h.packet(testAddress(3), ind);
    const fwd = d.packets[0]?.typed[0] as PingMessage;
    expect(d.packets[0]?.to).toBe(testAddress(4));
    expect(fwd).toMatchObject({ type: "ping", node: "d", sourceNode: "self" });
    expect(fwd.seqNo).not.toBe(77);
    const ack: AckMessage = { type: "ack", seqNo: fwd.seqNo, payload: Uint8Array.of(1) };
    const relayed = h.packet(testAddress(4), ack);
    expect(relayed.packets[0]?.to).toBe(testAddress(3));
    expect(relayed.packets[0]?.typed[0]).toEqual({ type: "ack", seqNo: 77, payload: null });
    expect(h.advance(1_000).packets.filter((p) => p.typed[0]?.type === "nack")).toEqual([]);
  });

  it("nacks after ProbeTimeout when asked to and no ack came; port 0 means our bind port", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.drain();
    const d = h.packet(testAddress(3), {
      type: "indirect-ping",
      seqNo: 78,
      target: testIp(4),
      port: 0,
      node: "d",
      nack: true,
      sourceAddr: null,
      sourcePort: 0,
      sourceNode: "",
    });
    expect(d.packets[0]?.to).toBe(testAddress(4));
    expect(h.advance(499).packets).toEqual([]);
    const nack = h.advance(1).packets;
    expect(nack[0]?.to).toBe(testAddress(3));
    expect(nack[0]?.typed[0]).toEqual({ type: "nack", seqNo: 78 });
  });
});
