import { describe, expect, it } from "vitest";
import type { MemberRecord } from "./context.ts";
import { gossipTargets } from "./gossip.ts";
import { seededRandom } from "./random.ts";

function rec(name: string, state: number, stateChange = 0): MemberRecord {
  const addr = Uint8Array.of(10, 0, 0, 1);
  return {
    name,
    addr,
    port: 7946,
    address: "10.0.0.1:7946",
    meta: new Uint8Array(0),
    vsn: Uint8Array.of(1, 5, 2, 2, 5, 5),
    incarnation: 1,
    state,
    stateChange,
  };
}

describe("gossipTargets (memberlist.md §9.6)", () => {
  it("picks alive, suspect and recently dead nodes; never self, left or long-dead ones", () => {
    const nodes = [
      rec("self", 0),
      rec("alive", 0),
      rec("suspect", 1),
      rec("fresh-dead", 2, 90_000),
      rec("old-dead", 2, 10_000),
      rec("left", 3, 99_000),
    ];
    const seen = new Set<string>();
    const random = seededRandom(5);
    for (let i = 0; i < 200; i++) {
      const picked = gossipTargets(random, 3, nodes, "self", 100_000, 30_000);
      // 3n random draws (Go 0.2.2): small lists are searched almost, not fully, exhaustively.
      expect(picked.length).toBeGreaterThanOrEqual(1);
      expect(picked.length).toBeLessThanOrEqual(3);
      for (const p of picked) seen.add(p.name);
    }
    expect([...seen].sort()).toEqual(["alive", "fresh-dead", "suspect"]);
  });
});
