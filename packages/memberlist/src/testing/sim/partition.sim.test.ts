import { NodeStateCode } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { SimCluster } from "./cluster.ts";

function converged(n: number, seed: number): SimCluster {
  const c = new SimCluster({ seed });
  c.addNodes(n);
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(c.runUntil(() => c.converged(), 65_000)).toBeDefined();
  return c;
}

describe("partition (simulated, LAN profile)", () => {
  it("a short 50/50 partition (below the suspicion timeout) heals through refutation", () => {
    const n = 20;
    const c = converged(n, 4242);
    const left = c.nodes.slice(0, n / 2).map((x) => x.name);
    const right = c.nodes.slice(n / 2).map((x) => x.name);
    const start = c.transitions.length;
    c.faults.partition([left, right]);
    c.runFor(3_000);
    c.faults.heal();
    const tConverged = c.runUntil(() => c.converged(), 60_000, 100);
    expect(tConverged).toBeDefined();
    const during = c.transitions.slice(start);
    expect(during.some((t) => t.kind === "suspect")).toBe(true);
    expect(during.some((t) => t.kind === "refute")).toBe(true);
    expect(during.filter((t) => t.kind === "dead")).toEqual([]);
  });

  it("a long 50/50 partition: each half declares the other dead; heal + one rejoin converges", () => {
    const n = 20;
    const c = converged(n, 5050);
    const left = c.nodes.slice(0, n / 2).map((x) => x.name);
    const right = c.nodes.slice(n / 2).map((x) => x.name);
    c.faults.partition([left, right]);
    const split = (): boolean =>
      left.every((a) =>
        right.every((b) => {
          const sa = c.machine(a).nodeState(b);
          const sb = c.machine(b).nodeState(a);
          return sa === NodeStateCode.DEAD && sb === NodeStateCode.DEAD;
        }),
      );
    expect(c.runUntil(split, 60_000, 100)).toBeDefined();
    for (const a of left) {
      for (const b of left) expect(c.machine(a).nodeState(b)).toBe(NodeStateCode.ALIVE);
    }
    c.runFor(60_000); // past GossipToTheDeadTime: the halves no longer talk at all
    c.faults.heal();
    // memberlist alone never contacts dead nodes again once their news is gossiped out;
    // serf's reconnect loop re-joins them. One push/pull across the former cut is enough.
    c.join("node-0", ["node-15"]);
    const healedAt = c.now;
    const tConverged = c.runUntil(() => c.converged(), 120_000, 100);
    expect(tConverged).toBeDefined();
    expect((tConverged as number) - healedAt).toBeLessThan(60_000);
  });
});
