import { describe, expect, it } from "vitest";
import { Suspicion, suspicionParams } from "./suspicion.ts";

describe("suspicionParams", () => {
  it("LAN, 4 nodes: min 4 s, max 24 s, k = 2", () => {
    expect(suspicionParams(4, 6, 4, 1000)).toEqual({ k: 2, minMs: 4000, maxMs: 24_000 });
  });
  it("k = 0 when too few nodes can confirm", () => {
    expect(suspicionParams(4, 6, 3, 1000).k).toBe(0);
    expect(suspicionParams(4, 6, 2, 1000).k).toBe(0);
  });
  it("scales with log10(n)", () => {
    const p = suspicionParams(4, 6, 100, 1000);
    expect(p).toEqual({ k: 2, minMs: 8000, maxMs: 48_000 });
  });
});

describe("Suspicion (Lifeguard)", () => {
  it("starts at max and shrinks with confirmations: LAN 4-node example ≈ 11.4 s", () => {
    const s = new Suspicion("a", suspicionParams(4, 6, 4, 1000), 1000);
    expect(s.deadline).toBe(1000 + 24_000);
    expect(s.confirm("a")).toBe(false); // the suspector counts as seen
    expect(s.confirm("b")).toBe(true);
    expect(s.deadline).toBe(1000 + 11_381);
    expect(s.confirm("b")).toBe(false);
    expect(s.confirm("c")).toBe(true);
    expect(s.deadline).toBe(1000 + 4000);
    expect(s.confirm("d")).toBe(false); // k reached
    expect(s.confirmations).toBe(2);
  });
  it("uses min when no confirmations are expected", () => {
    const s = new Suspicion("a", { k: 0, minMs: 3000, maxMs: 18_000 }, 0);
    expect(s.deadline).toBe(3000);
    expect(s.confirm("b")).toBe(false);
  });
  it("matches Go TestSuspicion_Timer shape (k=3, min 2s, max 30s)", () => {
    const s = new Suspicion("me", { k: 3, minMs: 2000, maxMs: 30_000 }, 0);
    expect(s.deadline).toBe(30_000);
    s.confirm("foo");
    expect(s.deadline).toBe(16_000);
    s.confirm("bar");
    expect(s.deadline).toBe(7_810);
    s.confirm("baz");
    expect(s.deadline).toBe(2_000);
  });
});
