import { describe, expect, it } from "vitest";
import {
  kRandomNodes,
  pushPullScaleMs,
  retransmitLimit,
  suspicionTimeoutAfterMs,
  suspicionTimeoutMs,
} from "./math.ts";
import { seededRandom } from "./random.ts";

describe("suspicionTimeoutMs (Go suspicionTimeout)", () => {
  it("matches Go's table", () => {
    // Go TestSuspicionTimeout: suspicionTimeout(3, n, 1s) / 3.
    expect(suspicionTimeoutMs(3, 5, 1000)).toBe(3000);
    expect(suspicionTimeoutMs(3, 10, 1000)).toBe(3000);
    expect(suspicionTimeoutMs(3, 50, 1000) / 3).toBe(1698);
    expect(suspicionTimeoutMs(3, 100, 1000)).toBe(6000);
    expect(suspicionTimeoutMs(3, 500, 1000) / 3).toBe(2698);
    expect(suspicionTimeoutMs(3, 1000, 1000)).toBe(9000);
  });
  it("never scales below 1 and handles n < 1", () => {
    expect(suspicionTimeoutMs(4, 0, 1000)).toBe(4000);
    expect(suspicionTimeoutMs(4, 4, 1000)).toBe(4000);
  });
  it("keeps nanosecond precision for sub-second intervals", () => {
    // 3 * 1477 * 200ms / 1000 = 886.2 ms (n = 30)
    expect(suspicionTimeoutMs(3, 30, 200)).toBeCloseTo(886.2, 6);
  });
});

describe("suspicionTimeoutAfterMs (Go remainingSuspicionTime)", () => {
  it("matches Go's table (k=3, min 2 s, max 30 s)", () => {
    // Go TestSuspicion_remainingSuspicionTime
    expect(suspicionTimeoutAfterMs(0, 3, 2000, 30_000)).toBe(30_000);
    expect(suspicionTimeoutAfterMs(1, 3, 2000, 30_000)).toBe(16_000);
    expect(suspicionTimeoutAfterMs(2, 3, 2000, 30_000)).toBe(7_810);
    expect(suspicionTimeoutAfterMs(3, 3, 2000, 30_000)).toBe(2_000);
    expect(suspicionTimeoutAfterMs(4, 3, 2000, 30_000)).toBe(2_000);
  });
  it("gives ≈11.4 s for the LAN 4-node example with one confirmation", () => {
    expect(suspicionTimeoutAfterMs(1, 2, 4000, 24_000)).toBe(11_381);
  });
});

describe("retransmitLimit", () => {
  it("is RetransmitMult × ceil(log10(n + 1))", () => {
    expect(retransmitLimit(3, 0)).toBe(0);
    expect(retransmitLimit(3, 1)).toBe(3);
    expect(retransmitLimit(3, 99)).toBe(6);
    expect(retransmitLimit(4, 2)).toBe(4); // LAN, 2 nodes: 4 transmissions [wire]
    expect(retransmitLimit(4, 9)).toBe(4);
    expect(retransmitLimit(4, 10)).toBe(8);
    expect(retransmitLimit(4, 1000)).toBe(16);
  });
});

describe("pushPullScaleMs", () => {
  it("scales above 32 nodes", () => {
    const base = 30_000;
    expect(pushPullScaleMs(base, 1)).toBe(base);
    expect(pushPullScaleMs(base, 32)).toBe(base);
    expect(pushPullScaleMs(base, 33)).toBe(2 * base);
    expect(pushPullScaleMs(base, 64)).toBe(2 * base);
    expect(pushPullScaleMs(base, 65)).toBe(3 * base);
    expect(pushPullScaleMs(base, 128)).toBe(3 * base);
    expect(pushPullScaleMs(base, 129)).toBe(4 * base);
    expect(pushPullScaleMs(base, 1000)).toBe(6 * base);
  });
});

describe("kRandomNodes", () => {
  it("returns distinct, non-excluded nodes, exhaustively for small lists", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => i);
    const random = seededRandom(7);
    for (let round = 0; round < 100; round++) {
      const picked = kRandomNodes(random, 3, nodes, (n) => n % 2 === 0);
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      for (const p of picked) expect(p % 2).toBe(1);
    }
    expect(kRandomNodes(random, 5, nodes, (n) => n !== 3)).toEqual([3]);
    expect(kRandomNodes(random, 3, [], () => false)).toEqual([]);
  });
});
