import { describe, expect, it } from "vitest";
import { Awareness } from "./awareness.ts";

describe("Awareness", () => {
  it("clamps to [0, max-1] and scales timeouts (Go TestAwareness)", () => {
    const a = new Awareness(8);
    expect(a.score).toBe(0);
    expect(a.scaleTimeout(1000)).toBe(1000);
    expect(a.applyDelta(-1)).toBe(false);
    expect(a.score).toBe(0);
    expect(a.applyDelta(3)).toBe(true);
    expect(a.scaleTimeout(1000)).toBe(4000);
    a.applyDelta(100);
    expect(a.score).toBe(7);
    expect(a.scaleTimeout(1000)).toBe(8000);
    expect(a.applyDelta(1)).toBe(false);
    a.applyDelta(-100);
    expect(a.score).toBe(0);
  });
});
