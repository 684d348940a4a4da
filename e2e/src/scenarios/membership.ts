/**
 * Membership scenario, written once against the `Cluster` adapter and run on every cluster
 * variant (all-Go, all-TS, mixed): join and converge, graceful leave (SIGINT) seen as `left`,
 * crash (SIGKILL) seen as `failed`.
 */

import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import type { Impl } from "../harness/implementations.ts";

/** One cluster shape the scenario runs on. */
export interface ClusterVariant {
  readonly label: string;
  /** Node 0 is the seed; node `LEAVER` leaves gracefully, node `VICTIM` is killed. */
  readonly impls: readonly Impl[];
}

/** Index of the node that leaves gracefully. */
export const LEAVER = 1;
/** Index of the node that is killed. */
export const VICTIM = 2;

/**
 * Four nodes each, so two observers remain after the leave and the crash. The two mixed shapes
 * swap roles: each implementation seeds once, leaves once, is killed once and observes both.
 */
export const MEMBERSHIP_VARIANTS: readonly ClusterVariant[] = [
  { label: "all-Go", impls: ["go", "go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts", "ts"] },
  { label: "mixed, Go seed: TS leaves, Go is killed", impls: ["go", "ts", "go", "ts"] },
  { label: "mixed, TS seed: Go leaves, TS is killed", impls: ["ts", "go", "ts", "go"] },
];

/**
 * Bounds for the `local` profile (probe every 1 s, suspicion ~2-4 s on 4 nodes, push/pull every
 * 15 s). Go-only clusters need a fraction of them; they leave room for state that only arrives
 * with the next push/pull.
 */
export const TIMEOUTS = { convergeMs: 35_000, leftMs: 35_000, failedMs: 35_000 } as const;

function ipv4(addr: Uint8Array): string {
  return [...addr.slice(-4)].join(".");
}

/** Every node lists every node alive, at the address it bound. */
export async function joinAndConverge(cluster: Cluster): Promise<void> {
  await cluster.waitForConvergence(TIMEOUTS.convergeMs);
  const expected = cluster.nodes.map((n) => `${n.name}@${n.bindAddress}`).sort();
  for (const viewer of cluster.nodes) {
    const seen = (await viewer.members()).map((m) => `${m.name}@${ipv4(m.addr)}:${m.port}`).sort();
    if (JSON.stringify(seen) !== JSON.stringify(expected)) {
      throw new Error(
        `${viewer.name} sees ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }
}

/**
 * SIGINT to `leaver`: it leaves and exits 0; every remaining node lists it as `left`.
 * Returns the leaver.
 */
export async function gracefulLeave(cluster: Cluster, index = LEAVER): Promise<ClusterNode> {
  const leaver = cluster.node(index);
  await leaver.leave();
  if (leaver.process.exitCode !== 0) {
    throw new Error(
      `${leaver.name} exited with code ${leaver.process.exitCode} / signal ` +
        `${leaver.process.signalCode} after SIGINT${await cluster.describe()}`,
    );
  }
  await cluster.waitForStatus(leaver.name, "left", { timeoutMs: TIMEOUTS.leftMs });
  return leaver;
}

/** SIGKILL to `victim`: every remaining node eventually lists it as `failed`. */
export async function crash(cluster: Cluster, index = VICTIM): Promise<ClusterNode> {
  const victim = cluster.node(index);
  await victim.crash();
  await cluster.waitForStatus(victim.name, "failed", { timeoutMs: TIMEOUTS.failedMs });
  return victim;
}
