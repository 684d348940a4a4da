import { describe, expect, it } from "vitest";
import { deriveSeed, randomOffset, seededRandom, shuffle } from "./random.ts";

describe("seededRandom", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    const xb = Array.from({ length: 8 }, () => b.nextUint32());
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });
  it("is roughly uniform", () => {
    const r = seededRandom(1);
    const buckets = new Array(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const f = r.nextFloat();
      min = Math.min(min, f);
      max = Math.max(max, f);
      buckets[Math.floor(f * 10)]++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
  it("randomOffset stays in range", () => {
    const r = seededRandom(3);
    expect(randomOffset(r, 0)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const x = randomOffset(r, 7);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(7);
    }
  });
  it("shuffle permutes", () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    shuffle(seededRandom(9), items);
    expect([...items].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(items).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
  it("deriveSeed separates streams", () => {
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 5)).toBe(deriveSeed(1, 5));
  });
});
