import { describe, expect, it } from "vitest";
import { randomIntn, seededRandom, shuffleInPlace } from "./random.ts";

describe("random helpers", () => {
  it("seededRandom is deterministic and in range", () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      const x = a.nextFloat();
      expect(x).toBe(b.nextFloat());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("randomIntn stays in [0, n) and rejects bad bounds", () => {
    const r = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const v = randomIntn(r, 3);
      expect([0, 1, 2]).toContain(v);
    }
    expect(randomIntn({ nextUint32: () => 0, nextFloat: () => 0.9999999999999999 }, 5)).toBe(4);
    expect(() => randomIntn(r, 0)).toThrow(RangeError);
  });

  it("shuffleInPlace permutes", () => {
    const items = [1, 2, 3, 4, 5, 6];
    shuffleInPlace(items, seededRandom(3));
    expect([...items].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
