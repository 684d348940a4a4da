import { describe, expect, it } from "vitest";
import { SimCluster } from "./cluster.ts";

function scenario(seed: number): { log: string; stats: string } {
  const c = new SimCluster({ seed, network: { loss: 0.05, jitterMs: 3, duplicate: 0.01 } });
  c.addNodes(12);
  for (let i = 1; i < 12; i++) c.join(`node-${i}`, ["node-0"]);
  c.runFor(20_000);
  c.crash("node-3");
  c.after(10_000, () => c.faults.partition([["node-0", "node-1", "node-2"]]));
  c.after(25_000, () => c.faults.heal());
  c.after(30_000, () => c.restart("node-3", ["node-5"]));
  c.after(35_000, () => c.leave("node-7"));
  c.runFor(90_000);
  return { log: JSON.stringify(c.transitions), stats: JSON.stringify(c.stats) };
}

describe("determinism", () => {
  it("the same seed gives the identical transition log", () => {
    const a = scenario(99);
    const b = scenario(99);
    expect(a.log.length).toBeGreaterThan(1000);
    expect(b.log).toBe(a.log);
    expect(b.stats).toBe(a.stats);
  });
  it("another seed gives another log", () => {
    expect(scenario(100).log).not.toBe(scenario(99).log);
  });
});
