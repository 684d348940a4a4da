/**
 * Snapshot rejoin: every node runs with `-snapshot=FILE`; one is killed (SIGKILL), seen as
 * `failed` everywhere, then started again as the same node (same name, IP, gossip and RPC
 * ports, same snapshot file) WITHOUT `-join`. It must re-join from its snapshot and be `alive`
 * everywhere again, well before serf's reconnect loop (every 30 s) could have brought it back.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@serf-ts/testkit";
import type { Cluster } from "../harness/cluster.ts";
import type { Variant } from "../harness/suite.ts";

/** Index of the node that is killed and restarted. */
export const VICTIM = 2;

export const SNAPSHOT_VARIANTS: readonly Variant[] = [
  { label: "all-Go (control)", impls: ["go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts"] },
  { label: "mixed: TS restarts among Go and TS", impls: ["go", "ts", "ts"] },
  { label: "mixed: Go restarts among TS and Go", impls: ["ts", "go", "go"] },
];

/**
 * Bounds (local profile). The restarted node's log must say it re-joined a previously known
 * node (the snapshot did it, not the other nodes' reconnect attempts); `rejoinMs` leaves room for
 * one push/pull, since an alive broadcast can miss a node until then (see e2e/README.md).
 *
 * `failedMs` covers a node that hears neither the other survivor's suspect nor its dead
 * broadcast: with RetransmitMult 2 and 3 nodes each broadcast is sent twice, and pings to the
 * dying node (which piggyback broadcasts) can use up both. That node then declares the victim
 * dead on its own timer, Lifeguard's maximum with no confirmations: SuspicionMaxTimeoutMult 6 ×
 * SuspicionMult 3 × 1 s = 18 s after its first failed probe. Go agents do this too (a CI run of
 * the all-Go control took more than 20 s this way).
 */
export const SNAPSHOT_TIMEOUTS = {
  convergeMs: 35_000,
  flushMs: 10_000,
  failedMs: 35_000,
  rejoinMs: 35_000,
} as const;

/** Per-node snapshot file under `dir`. */
export function snapshotPath(dir: string, index: number): string {
  return join(dir, `node-${index}.snapshot`);
}

/** SIGKILL `victim`; waits until every other node lists it `failed`; returns its snapshot. */
export async function killVictim(cluster: Cluster, index = VICTIM): Promise<string> {
  const victim = cluster.node(index);
  const file = victim.options.snapshot;
  if (file === undefined) throw new Error(`${victim.name} runs without -snapshot`);
  // Snapshot writes are buffered and only flushed by an append >= 500 ms after the previous
  // flush (Go does the same: a peer that joined just before a crash may be lost). A user event
  // appends `event-clock:`; send them until some peer is on disk, or a rejoin has nothing to
  // go on.
  const peers = cluster.nodes.filter((n) => n !== victim).map((n) => `alive: ${n.name} `);
  await eventually(
    async () => {
      if (existsSync(file) && peers.some((p) => readFileSync(file, "utf8").includes(p))) {
        return true;
      }
      await victim.withRpc((c) => c.userEvent("snapshot-flush", null, false));
      return false;
    },
    {
      timeoutMs: SNAPSHOT_TIMEOUTS.flushMs,
      intervalMs: 600,
      describe: () =>
        `${victim.name}'s snapshot ${file} names no peer:\n` +
        (existsSync(file) ? readFileSync(file, "utf8") : "(missing)"),
    },
  );
  await victim.crash();
  await cluster.waitForStatus(victim.name, "failed", { timeoutMs: SNAPSHOT_TIMEOUTS.failedMs });
  if (!existsSync(file)) throw new Error(`${victim.name} left no snapshot at ${file}`);
  return readFileSync(file, "utf8");
}

/**
 * Restarts `victim` with its snapshot and no join; waits until every node (itself included)
 * lists every running node `alive`. Resolves the restarted node's log.
 */
export async function restartFromSnapshot(cluster: Cluster, index = VICTIM): Promise<string> {
  const node = await cluster.restart(index);
  if (node.options.join !== undefined) {
    throw new Error(`${node.name} was restarted with -join ${node.options.join.join(",")}`);
  }
  await cluster.waitForStatus(node.name, "alive", { timeoutMs: SNAPSHOT_TIMEOUTS.rejoinMs });
  await cluster.waitForConvergence(SNAPSHOT_TIMEOUTS.rejoinMs);
  return node.process.log();
}
