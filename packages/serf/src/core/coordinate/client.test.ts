import { describe, expect, it } from "vitest";
import { seededRandom } from "../random.ts";
import { latencyMedian, VivaldiClient } from "./client.ts";
import {
  DEFAULT_VIVALDI_CONFIG,
  durationNsToSeconds,
  newCoordinate,
  type VivaldiConfig,
} from "./vivaldi.ts";

const close = (a: number, b: number, eps = 1e-6): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(eps);
};
const cfg = (over: Partial<VivaldiConfig> = {}): VivaldiConfig => ({
  ...DEFAULT_VIVALDI_CONFIG,
  dimensionality: 3,
  ...over,
});

describe("VivaldiClient (ported from Go client_test.go)", () => {
  it("rejects a zero dimensionality and starts at the origin", () => {
    expect(() => new VivaldiClient(seededRandom(1), cfg({ dimensionality: 0 }))).toThrow(
      "dimensionality",
    );
    const c = new VivaldiClient(seededRandom(1), cfg({ dimensionality: 7 }));
    expect(c.getCoordinate()).toEqual(newCoordinate(cfg({ dimensionality: 7 })));
  });

  it("moves away from a node that is further than expected (Go TestClient_Update)", () => {
    const client = new VivaldiClient(seededRandom(1), cfg());
    expect(client.getCoordinate().vec).toEqual([0, 0, 0]);
    const other = { ...newCoordinate(cfg()), vec: [0, 0, 0.001] };
    const r = client.update("node", other, 2 * 0.001 * 1000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.coordinate.vec[2]).toBeLessThan(0);
    const set = client.setCoordinate({ ...r.coordinate, vec: [0, 0, 99] });
    expect(set.ok).toBe(true);
    close(client.getCoordinate().vec[2] as number, 99.0);
  });

  it("computes known values for one update (worked from the §12.2 formulas)", () => {
    const config = cfg();
    const client = new VivaldiClient(seededRandom(1), config);
    const other = { ...newCoordinate(config), vec: [0, 0, 0.001] };
    const r = client.update("peer", other, 2); // 2 ms
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.coordinate;
    const h = 1e-5;
    const rtt = 0.002;
    // Vivaldi: d = 0.001 + 2h = 0.00102; w = |d − rtt|/rtt = 0.49; weight = 1.5/3 = 0.5.
    const d = 0.001 + 2 * h;
    const w = Math.abs(d - rtt) / rtt;
    const error = 0.25 * 0.5 * w + 1.5 * (1 - 0.25 * 0.5);
    close(c.error, error, 1e-12); // 1.37375
    close(c.error, 1.37375, 1e-12);
    // Force 0.125·(rtt − d) away from `other` along −z; height scaled by force/|Δ|.
    const force = 0.125 * (rtt - d);
    const z1 = -force;
    const h1 = ((h + h) * force) / 0.001 + h; // 1.245e-5
    close(h1, 1.245e-5, 1e-15);
    // Adjustment: rtt − raw distance to `other` after the move, averaged over 2 × 20.
    const adjustment = (rtt - (Math.abs(z1 - 0.001) + h1 + h)) / 40;
    close(c.adjustment, adjustment, 1e-15);
    close(c.adjustment, 2.137625e-5, 1e-12);
    // Gravity towards the origin: d0 = |z1| + h + h1 + adjustment, force −(d0/150)².
    const d0 = Math.abs(z1) + h + h1 + adjustment;
    const g = -((d0 / 150) ** 2);
    close(c.vec[2] as number, z1 - g, 1e-15);
    close(c.height, ((h1 + h) * g) / Math.abs(z1) + h1, 1e-15);
    expect(c.vec[0]).toBe(0);
    expect(c.vec[1]).toBe(0);
    // The estimate to `other` is now closer to the observed RTT than before (1.02 ms).
    expect(client.distanceTo(other)).toBeGreaterThan(d);
  });

  it("rejects out-of-range RTTs without changing state (Go TestClient_InvalidInPingValues)", () => {
    const client = new VivaldiClient(seededRandom(1), cfg());
    const other = { ...newCoordinate(cfg()), vec: [0, 0, 0.001] };
    const dist = client.distanceTo(other);
    for (const rttMs of [Number.MAX_SAFE_INTEGER, -35_000, 11_000, Number.NaN]) {
      const r = client.update("node", other, rttMs);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toBe("rtt-out-of-range");
        expect(r.message).toContain("round trip time not in valid range");
      }
      expect(client.distanceTo(other)).toBe(dist);
    }
    expect(client.update("node", other, 10_000).ok).toBe(true);
    expect(client.update("node", other, 0).ok).toBe(true);
    expect(client.stats.zeroRtts).toBe(1);
  });

  it("DistanceTo is Go's truncated Duration (Go TestClient_DistanceTo)", () => {
    const config = cfg({ heightMin: 0 });
    const client = new VivaldiClient(seededRandom(1), config);
    const other = { ...newCoordinate(config), vec: [0, 0, 12.345] };
    expect(client.distanceTo(other)).toBe(durationNsToSeconds(12_345_000_000));
  });

  it("median latency filter per node (Go TestClient_latencyFilter)", () => {
    const config = cfg({ latencyFilterSize: 3 });
    // Observe the filter through a client whose other stages are neutralised: compare the
    // adjustment sample it records (rtt − raw distance) for two identical clients.
    const seq = [0.201, 0.2, 0.207, 1.9, 0.203, 0.199, 0.211];
    const medians = [0.201, 0.201, 0.201, 0.207, 0.207, 0.203, 0.203];
    const window: number[] = [];
    seq.forEach((s, i) => {
      window.push(s);
      if (window.length > 3) window.shift();
      close(latencyMedian(window), medians[i] as number);
    });
    // An even window takes the upper median, as Go's sort-and-index does.
    expect(latencyMedian([0.4, 0.1, 0.3, 0.2])).toBe(0.3);
    // And through the real client: a glitch is medianed out, so two clients fed the same
    // samples except for the glitch end up identical after the glitch leaves the window.
    const a = new VivaldiClient(seededRandom(1), config);
    const b = new VivaldiClient(seededRandom(1), config);
    const other = { ...newCoordinate(config), vec: [0, 0, 0.2] };
    for (const s of [201, 200, 207, 1900, 203]) a.update("alice", other, s);
    for (const s of [201, 200, 207, 207, 203]) b.update("alice", other, s);
    close(a.getCoordinate().vec[2] as number, b.getCoordinate().vec[2] as number, 1e-12);
    // Nodes are not coupled, and forgetNode drops the samples.
    a.forgetNode("alice");
    b.forgetNode("alice");
    a.update("bob", other, 310);
    b.update("bob", other, 310);
    close(a.getCoordinate().error, b.getCoordinate().error, 1e-12);
  });

  it("defends against NaN and incompatible input (Go TestClient_NaN_Defense)", () => {
    const config = cfg();
    const client = new VivaldiClient(seededRandom(1), config);
    const bad = { ...newCoordinate(config), vec: [Number.NaN, 0, 0] };
    const r = client.update("node", bad, 250);
    expect(!r.ok && r.message).toBe("coordinate is invalid");
    expect(!client.setCoordinate(bad).ok).toBe(true);
    const alien = { ...newCoordinate(config), vec: [0, 0, 0, 0, 0, 0] };
    const r2 = client.update("node", alien, 250);
    expect(!r2.ok && r2.message).toBe("dimensions aren't compatible");
    const s2 = client.setCoordinate(alien);
    expect(!s2.ok && s2.reason).toBe("incompatible");

    // Poison the internal state: the next update resets to the origin and counts it.
    const poisoned = new VivaldiClient(seededRandom(1), config);
    poisoned.setCoordinate({ ...newCoordinate(config), height: Number.MAX_VALUE });
    const r3 = poisoned.update("node", newCoordinate(config), 250);
    expect(r3.ok).toBe(true);
    expect(r3.ok && r3.coordinate).toEqual(newCoordinate(config));
    expect(poisoned.stats.resets).toBe(1);
  });

  it("converges towards the true distance between two nodes", () => {
    const config = DEFAULT_VIVALDI_CONFIG;
    const a = new VivaldiClient(seededRandom(1), config);
    const b = new VivaldiClient(seededRandom(2), config);
    for (let i = 0; i < 200; i++) {
      a.update("b", b.getCoordinate(), 50);
      b.update("a", a.getCoordinate(), 50);
    }
    close(a.distanceTo(b.getCoordinate()), 0.05, 0.005);
  });
});
