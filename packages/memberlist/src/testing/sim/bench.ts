/**
 * Simulation benchmark: how fast a cluster of `n` nodes converges after staggered joins, how
 * fast a killed node is declared dead everywhere, and what that costs in wall time and heap.
 *
 * Scenario (LAN profile by default, typed messages, 1 ms + up to 0.5 ms jitter, no loss):
 * - join, `"staggered"`: node `i` starts and joins a random earlier node at `i × joinSpacingMs`;
 *   convergence is the first moment every node counts `n` live members. Gossip saturates at
 *   about 100 joins/s for N ≥ 500, so the last stragglers are often repaired by push/pull,
 *   whose interval grows with N (LAN: 30 s × (⌈log2 N − 5⌉ + 1)).
 * - join, `"bootstrap"`: n − 1 nodes start with the full membership (no join storm), then one
 *   node joins them.
 * - then, 5 s later, a random node is crashed; detection is the first moment no running node
 *   sees it alive or suspect.
 *
 * Measured on the development box (2 cores, Node 20, esbuild bundle, --expose-gc):
 * N=100 staggered ≈ 0.3 s wall; N=1 000 staggered ≈ 30 s, bootstrap ≈ 3 s; N=2 000 bootstrap
 * ≈ 9 s; N=5 000 bootstrap ≈ 80 s and 4.3 GB of heap (≈ 170 bytes per member record). N=10 000
 * bootstrap: 503 s wall, 1.6 MB of heap per node, 18 GB peak RSS (`--max-old-space-size=20000`);
 * its join converged in 2.1 s and the failure was detected in 19.1 s of simulated time.
 */

import { deriveSeed, seededRandom } from "../../core/random.ts";
import type { MemberlistOptions } from "../../options.ts";
import { SimCluster } from "./cluster.ts";

export interface SimBenchmarkOptions {
  /** @default 1 */
  readonly seed?: number;
  /** Options of every node. @default LAN profile */
  readonly options?: MemberlistOptions;
  /** Delay between two consecutive joins (ms of simulated time). @default 10 */
  readonly joinSpacingMs?: number;
  /** Give up on a phase after this much simulated time. @default 1 800 000 (30 min) */
  readonly maxPhaseMs?: number;
  /**
   * `"staggered"`: real joins, node `i` at `i × joinSpacingMs` (measures join convergence).
   * `"bootstrap"`: start from a converged cluster of n − 1 (`SimCluster.bootstrapConverged`),
   * skipping the N² join storm, and measure one node joining it.
   * @default "staggered" up to 1 000 nodes, "bootstrap" above
   */
  readonly join?: "staggered" | "bootstrap";
}

export interface SimBenchmarkResult {
  readonly n: number;
  /**
   * Simulated ms from the last join call until every node counts n members (bootstrap mode: from
   * the one join into the converged cluster).
   */
  readonly joinConvergenceMs: number;
  /** Simulated ms from the first join until convergence. */
  readonly joinTotalMs: number;
  /** Simulated ms from the crash until no running node sees the victim alive or suspect. */
  readonly failureDetectionMs: number;
  /** Wall-clock time of the whole run. */
  readonly wallMs: number;
  /**
   * Heap growth divided by `n`, measured at the end of the run (steady state, after GC when
   * node runs with `--expose-gc`). Each node holds a record of every member, so this grows
   * linearly with `n`.
   */
  readonly heapBytesPerNode: number;
  readonly join: "staggered" | "bootstrap";
  /** Simulated time covered by the run. */
  readonly simulatedMs: number;
  /** Discrete events processed. */
  readonly steps: number;
  /** Discrete events per wall-clock second. */
  readonly stepsPerSecond: number;
  readonly packetsSent: number;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs the benchmark for `n` nodes. N = 100 and 1 000 take seconds; 10 000 takes minutes and a
 * large heap (`node --max-old-space-size=...`).
 * @throws Error if a phase does not finish within `maxPhaseMs` of simulated time.
 */
export function runSimBenchmark(n: number, opts: SimBenchmarkOptions = {}): SimBenchmarkResult {
  const seed = opts.seed ?? 1;
  const spacing = opts.joinSpacingMs ?? 10;
  const maxPhaseMs = opts.maxPhaseMs ?? 30 * 60_000;
  const started = performance.now();
  const heapBefore = heapUsed();
  const c = new SimCluster({
    seed,
    options: opts.options ?? {},
    recordTransitions: false,
    checkInvariants: false,
  });
  const pick = seededRandom(deriveSeed(seed, 0x5eed));

  const mode = opts.join ?? (n > 1000 ? "bootstrap" : "staggered");
  let joinConvergenceMs = 0;
  let joinTotalMs = 0;
  const allCount = (): boolean => {
    if (c.nodes.length < n) return false;
    for (const node of c.nodes) {
      if (node.machine === undefined || node.machine.numMembers() !== n) return false;
    }
    return true;
  };
  if (mode === "bootstrap") {
    // A converged cluster of n - 1, then one node joins it: the convergence of that join.
    c.addNodes(n - 1);
    c.bootstrapConverged();
    c.runFor(1_000);
    const joiner = c.addNode();
    const seedNode = c.nodes[pick.nextUint32() % (n - 1)] as (typeof c.nodes)[number];
    const joinedAt = c.now;
    c.join(joiner.name, [seedNode.name]);
    const converged = c.runUntil(allCount, maxPhaseMs, 100);
    if (converged === undefined) throw new Error(`N=${n}: no join convergence in ${maxPhaseMs}ms`);
    joinConvergenceMs = converged - joinedAt;
    joinTotalMs = joinConvergenceMs;
  } else {
    c.addNode();
    for (let i = 1; i < n; i++) {
      c.at(i * spacing, () => {
        const node = c.addNode();
        const seedNode = c.nodes[pick.nextUint32() % node.index] as (typeof c.nodes)[number];
        c.join(node.name, [seedNode.name]);
      });
    }
    const lastJoin = (n - 1) * spacing;
    c.runUntilTime(lastJoin);
    const converged = c.runUntil(allCount, maxPhaseMs, 100);
    if (converged === undefined) throw new Error(`N=${n}: no join convergence in ${maxPhaseMs}ms`);
    joinConvergenceMs = converged - lastJoin;
    joinTotalMs = converged;
  }

  c.runFor(5_000);
  const victim = c.nodes[1 + (pick.nextUint32() % (n - 1))] as (typeof c.nodes)[number];
  const killedAt = c.now;
  c.crash(victim.name);
  const detected = c.runUntil(() => c.everyoneSeesDown(victim.name), maxPhaseMs, 50);
  if (detected === undefined) throw new Error(`N=${n}: failure not detected in ${maxPhaseMs}ms`);

  const wallMs = performance.now() - started;
  const heapAfter = heapUsed();
  return {
    n,
    join: mode,
    joinConvergenceMs,
    joinTotalMs,
    failureDetectionMs: detected - killedAt,
    wallMs: Math.round(wallMs),
    heapBytesPerNode: Math.round((heapAfter - heapBefore) / n),
    simulatedMs: c.now,
    steps: c.stats.steps,
    stepsPerSecond: Math.round(c.stats.steps / (wallMs / 1000)),
    packetsSent: c.stats.packetsSent,
  };
}
