import { describe, expect, it } from "vitest";
import { suspicionParams } from "../../core/suspicion.ts";
import { SimCluster } from "./cluster.ts";

/**
 * A killed node must be declared dead by every member within the bound the Lifeguard formula
 * gives: nobody before `min` after the first suspicion, everybody by `max` after it (plus the
 * time the dead gossip needs to spread), where min/max come from `suspicionParams` for the
 * cluster size. The first suspicion itself comes from one failed probe round.
 */
describe("failure detection bound (simulated, LAN profile)", () => {
  for (const n of [5, 10, 40]) {
    it(`N=${n}: every member declares a killed node dead within the suspicion bound`, () => {
      const results: string[] = [];
      for (let seed = 1; seed <= 6; seed++) {
        const c = new SimCluster({ seed: seed * 100 + n, recordTransitions: false });
        c.addNodes(n);
        for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
        expect(c.runUntil(() => c.converged(), 65_000)).toBeDefined();
        c.runFor(3_000 + seed * 137);
        const victim = `node-${(seed * 7) % n}`;
        const killedAt = c.now;
        let firstSuspect: number | undefined;
        let firstDead: number | undefined;
        const wrongDeaths: string[] = [];
        c.onEvent((_node, e, at) => {
          if (e.type === "suspect" && e.node.name === victim) firstSuspect ??= at;
          if (e.type === "leave") {
            if (e.node.name === victim) firstDead ??= at;
            else wrongDeaths.push(e.node.name);
          }
        });
        c.crash(victim);
        const allDead = c.runUntil(() => c.everyoneSeesDown(victim), 300_000, 10);
        expect(allDead).toBeDefined();
        expect(firstSuspect).toBeDefined();
        expect(wrongDeaths).toEqual([]);
        const o = c.options;
        // The table still holds the victim when it is suspected: n entries.
        const { minMs, maxMs } = suspicionParams(
          o.suspicionMult,
          o.suspicionMaxTimeoutMult,
          n,
          o.probeIntervalMs,
        );
        const suspectDelay = (firstSuspect as number) - killedAt;
        const sinceSuspect = (allDead as number) - (firstSuspect as number);
        const firstDeadDelay = (firstDead as number) - (firstSuspect as number);
        // One failed probe: wait for the tick (round robin over n-1 peers, every node probing)
        // plus the probe interval itself.
        expect(suspectDelay).toBeLessThanOrEqual((n + 1) * o.probeIntervalMs);
        expect(firstDeadDelay).toBeGreaterThanOrEqual(minMs);
        expect(sinceSuspect).toBeLessThanOrEqual(maxMs + 2_000);
        results.push(
          `seed ${seed}: suspect +${suspectDelay}ms, dead everywhere +${sinceSuspect}ms ` +
            `after suspicion (min ${minMs}, max ${maxMs})`,
        );
      }
      expect(results).toHaveLength(6);
    });
  }
});

describe("failure detection at scale (simulated, bootstrapped cluster)", () => {
  it("N=300: a killed node is dead everywhere within suspicion max after the first suspicion", () => {
    const n = 300;
    const c = new SimCluster({ seed: 300, recordTransitions: false });
    c.addNodes(n);
    c.bootstrapConverged();
    expect(c.converged()).toBe(true);
    c.runFor(5_000);
    let firstSuspect: number | undefined;
    let wrongDeaths = 0;
    c.onEvent((_node, e, at) => {
      if (e.type === "suspect" && e.node.name === "node-123") firstSuspect ??= at;
      if (e.type === "leave" && e.node.name !== "node-123") wrongDeaths++;
    });
    const killedAt = c.now;
    c.crash("node-123");
    const allDead = c.runUntil(() => c.everyoneSeesDown("node-123"), 300_000, 10);
    expect(allDead).toBeDefined();
    expect(wrongDeaths).toBe(0);
    const o = c.options;
    const { minMs, maxMs } = suspicionParams(
      o.suspicionMult,
      o.suspicionMaxTimeoutMult,
      n,
      o.probeIntervalMs,
    );
    // Each of the n−1 peers probes one random-ordered member per interval, so the victim goes
    // unprobed for a whole interval with probability ≈ 1/e; 10 intervals ≈ e^-10.
    expect((firstSuspect as number) - killedAt).toBeLessThanOrEqual(11 * o.probeIntervalMs);
    expect((allDead as number) - (firstSuspect as number)).toBeGreaterThanOrEqual(minMs);
    expect((allDead as number) - (firstSuspect as number)).toBeLessThanOrEqual(maxMs + 2_000);
    c.runFor(10_000);
    expect(c.converged()).toBe(true);
  });
});
