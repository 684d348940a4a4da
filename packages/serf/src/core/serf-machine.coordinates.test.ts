import { decodeAckPayload } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { distanceSeconds } from "./coordinate/vivaldi.ts";
import { SerfHarness } from "../testing/serf-harness.ts";
import { type SerfSimNode, SerfSimCluster } from "../testing/serf-sim.ts";

/** Nodes on a plane; one-way latency = distance (ms) on top of the 1 ms base. */
const POS: readonly [number, number][] = [
  [0, 0],
  [10, 0],
  [0, 10],
  [10, 10],
  [30, 5],
  [35, 20],
  [5, 35],
  [20, 30],
];

function oneWay(a: SerfSimNode, b: SerfSimNode): number {
  const [ax, ay] = POS[a.index] ?? [0, 0];
  const [bx, by] = POS[b.index] ?? [0, 0];
  return Math.hypot(ax - bx, ay - by);
}

describe("Vivaldi coordinates (serf.md §12)", () => {
  it("estimated RTTs converge to the simulated ones", () => {
    const c = new SerfSimCluster({
      seed: 111,
      options: { protocolVersion: 5 },
      network: { latencyMs: 1, jitterMs: 0 },
      linkLatency: oneWay,
    });
    c.addNodes(POS.length);
    for (let i = 1; i < POS.length; i++) c.join(`node-${i}`, ["node-0"]);
    expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
    c.runFor(300_000);
    let total = 0;
    let count = 0;
    for (const a of c.nodes) {
      for (const b of c.nodes) {
        if (a === b) continue;
        const mine = a.m.coordinate();
        const theirs = a.m.cachedCoordinate(b.name);
        expect(mine).toBeDefined();
        expect(theirs, `${a.name} has no coordinate for ${b.name}`).toBeDefined();
        if (mine === undefined || theirs === undefined) continue;
        const estimated = distanceSeconds(mine, theirs) * 1000;
        const actual = 2 * (1 + oneWay(a, b));
        total += Math.abs(estimated - actual) / actual;
        count++;
      }
    }
    const meanRelativeError = total / count;
    expect(meanRelativeError).toBeLessThan(0.1);
    // The local coordinate is cached under the local name too (Go does the same).
    const n0 = c.node("node-0").m;
    expect(n0.cachedCoordinate("node-0")).toEqual(n0.coordinate());
  });

  it("acks carry the coordinate; disabled coordinates send none", () => {
    const h = new SerfHarness();
    const ack = h.m.handleStreamRequest(
      "10.0.0.2:7946",
      { type: "ping", seqNo: 1, node: "", sourceAddr: null, sourcePort: 0, sourceNode: "" },
      0,
    );
    // TCP acks carry no payload; the UDP ack payload comes from the delegate.
    expect(ack?.type).toBe("ack");
    h.m.handlePacket(
      "10.0.0.2:7946",
      [{ type: "ping", seqNo: 9, node: "node-1", sourceAddr: null, sourcePort: 0, sourceNode: "" }],
      0,
    );
    h.drain();
    const udpAck = h.transmits
      .flatMap((t) => (t.kind === "packet" ? t.typed : []))
      .find((m) => m.type === "ack");
    expect(udpAck?.type).toBe("ack");
    if (udpAck?.type !== "ack") return;
    expect(decodeAckPayload(udpAck.payload)).toEqual({
      vec: [0, 0, 0, 0, 0, 0, 0, 0],
      error: 1.5,
      adjustment: 0,
      height: 1e-5,
    });
    const off = new SerfHarness({ options: { protocolVersion: 5, disableCoordinates: true } });
    expect(off.m.coordinate()).toBeUndefined();
    expect(off.m.stats().coordinateResets).toBeUndefined();
  });
});
