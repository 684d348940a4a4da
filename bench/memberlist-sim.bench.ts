// Simulated SWIM convergence at scale: join convergence, failure detection, wall time and
// memory per node, from the deterministic simulator of @serf-ts/memberlist.
// `pnpm bench` runs N = 100 (staggered joins) and 1 000 (bootstrap: a converged cluster, then
// one node joins it);
// `SIM_SIZES=100,1000,10000 node --expose-gc --max-old-space-size=20000 ...` runs larger ones
// (10 000 nodes need about 17 GB of heap: every node holds a record of every member).
import { runSimBenchmark } from "@serf-ts/memberlist/testing";

const sizes = (process.env.SIM_SIZES ?? "100,1000")
  .split(",")
  .map((s) => Number.parseInt(s, 10))
  .filter((n) => Number.isInteger(n) && n > 1);

console.log("@serf-ts/memberlist simulator (LAN profile, simulated time)");
console.log("     N  mode        join conv.  failure det.    wall     heap/node   events/s");
for (const n of sizes) {
  const r = runSimBenchmark(n, { join: n <= 100 ? "staggered" : "bootstrap" });
  const join = `${(r.joinConvergenceMs / 1000).toFixed(1)} s`;
  console.log(
    `${String(n).padStart(6)}  ${r.join.padEnd(10)}  ${join.padStart(10)}  ${`${(r.failureDetectionMs / 1000).toFixed(1)} s`.padStart(12)}  ${`${(r.wallMs / 1000).toFixed(1)} s`.padStart(6)}  ${`${Math.round(r.heapBytesPerNode / 1024)} KB`.padStart(11)}  ${Math.round(r.stepsPerSecond).toLocaleString("en-US").padStart(9)}`,
  );
}
