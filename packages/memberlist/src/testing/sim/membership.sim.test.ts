import { NodeStateCode } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { SimCluster } from "./cluster.ts";

function cluster(n: number, seed: number, codec: "typed" | "bytes" = "typed"): SimCluster {
  const c = new SimCluster({ seed, codec });
  c.addNodes(n);
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  // Concurrent joins can miss a gossip epidemic; push/pull (stagger + interval ≤ 60 s on LAN)
  // repairs it.
  const t = c.runUntil(() => c.converged(), 65_000);
  expect(t, `seed ${seed}: join did not converge`).toBeDefined();
  return c;
}

describe("membership (simulated, LAN profile)", () => {
  it("joins: every node sees everyone alive, with a join event per member", () => {
    const c = new SimCluster({ seed: 11 });
    const joins = new Map<string, Set<string>>();
    c.onEvent((n, e) => {
      if (e.type !== "join") return;
      const s = joins.get(n.name) ?? new Set<string>();
      s.add(e.node.name);
      joins.set(n.name, s);
    });
    c.addNodes(10);
    for (let i = 1; i < 10; i++) c.join(`node-${i}`, ["node-0"]);
    const t = c.runUntil(() => c.converged(), 65_000);
    expect(t).toBeDefined();
    expect(t).toBeLessThan(2_000); // this seed converges by gossip alone
    for (const n of c.nodes) {
      expect(joins.get(n.name)?.size).toBe(10); // itself included, as Go notifies
      expect(c.machine(n.name).numMembers()).toBe(10);
    }
  });

  it("a join through an unreachable seed fails, through a live one succeeds", () => {
    const c = new SimCluster({ seed: 12 });
    c.addNodes(3);
    c.crash("node-2");
    const results: { ok: boolean; error: string | undefined }[] = [];
    c.onEvent((_n, e) => {
      if (e.type === "push-pull" && e.join) results.push({ ok: e.ok, error: e.error });
    });
    c.join("node-1", ["node-2", "node-0"]);
    c.runFor(1_000);
    expect(results).toHaveLength(2);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)?.error).toMatch(/refused/);
    expect(c.machine("node-1").nodeState("node-0")).toBe(NodeStateCode.ALIVE);
  });

  it("graceful leave: peers mark the node left (never dead)", () => {
    const c = cluster(8, 13);
    c.leave("node-3");
    const done = c.runUntil(() => c.machine("node-3").isLeaveComplete(), 10_000);
    expect(done).toBeDefined();
    c.stop("node-3");
    const t = c.runUntil(() => c.everyoneSeesDown("node-3"), 10_000);
    expect(t).toBeDefined();
    for (const n of c.upNodes()) {
      expect(c.machine(n.name).nodeState("node-3")).toBe(NodeStateCode.LEFT);
    }
    c.runFor(60_000); // left nodes are never reaped in 0.2.2 and stay "left"
    expect(c.transitions.filter((x) => x.subject === "node-3" && x.kind === "dead")).toEqual([]);
    expect(c.machine("node-0").getNode("node-3")?.state).toBe(NodeStateCode.LEFT);
  });

  it("refutes a false suspicion with a higher incarnation", () => {
    const c = cluster(8, 14);
    const inc = c.machine("node-1").nodeIncarnation("node-2") ?? 0;
    c.machine("node-1").handlePacket(
      c.node("node-6").address,
      [{ type: "suspect", incarnation: inc, node: "node-2", from: "node-6" }],
      c.now,
    );
    c.runFor(1); // let the harness pump node-1
    c.runFor(15_000);
    expect(c.transitions.some((x) => x.observer === "node-2" && x.kind === "refute")).toBe(true);
    expect(c.transitions.some((x) => x.subject === "node-2" && x.kind === "dead")).toBe(false);
    expect(c.converged()).toBe(true);
    for (const n of c.upNodes()) {
      expect(c.machine(n.name).nodeIncarnation("node-2")).toBeGreaterThan(inc);
    }
    expect(c.machine("node-2").healthScore()).toBeGreaterThanOrEqual(0);
  });

  it("a crashed node that restarts refutes its old death and rejoins", () => {
    const c = cluster(8, 15);
    c.crash("node-4");
    expect(c.runUntil(() => c.everyoneSeesDown("node-4"), 60_000)).toBeDefined();
    c.restart("node-4", ["node-0"]);
    const t = c.runUntil(() => c.converged(), 30_000);
    expect(t).toBeDefined();
    expect(c.machine("node-4").localNode().incarnation).toBeGreaterThan(1);
  });

  it("meta updates reach everyone with an update event", () => {
    const c = cluster(6, 16);
    const meta = new TextEncoder().encode("role=web");
    const updates = new Set<string>();
    c.onEvent((n, e) => {
      if (e.type === "update" && e.node.name === "node-2") updates.add(n.name);
    });
    c.updateMeta("node-2", meta);
    expect(c.runUntil(() => c.machine("node-2").isUpdateComplete(), 10_000)).toBeDefined();
    c.runFor(2_000);
    expect(updates.size).toBe(6);
    for (const n of c.upNodes()) {
      expect(c.machine(n.name).getNode("node-2")?.meta).toEqual(meta);
    }
  });

  it("runs through the wire codec (bytes mode) as well", () => {
    const c = cluster(6, 17, "bytes");
    c.crash("node-5");
    expect(c.runUntil(() => c.everyoneSeesDown("node-5"), 60_000)).toBeDefined();
    c.leave("node-4");
    expect(c.runUntil(() => c.machine("node-4").isLeaveComplete(), 10_000)).toBeDefined();
    c.stop("node-4");
    expect(c.runUntil(() => c.everyoneSeesDown("node-4"), 10_000)).toBeDefined();
    expect(c.machine("node-0").nodeState("node-4")).toBe(NodeStateCode.LEFT);
    expect(c.machine("node-0").nodeState("node-5")).toBe(NodeStateCode.DEAD);
  });
});
