/**
 * Queries with node and tag filters answered by handlers: every node runs
 * `-event-handler=query:uptime=<script printing $SERF_SELF_NAME>` and carries a `role` tag
 * (`web` or `db`). `serf query -format=json [-node X] [-tag role=web] uptime`, each sent
 * through a different node with that node's CLI, must be acked and answered by exactly the
 * nodes that match, each response being the responder's name.
 */

import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import { type Variant, writeScript } from "../harness/suite.ts";

export const QUERY_VARIANTS: readonly Variant[] = [
  { label: "all-Go (control)", impls: ["go", "go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts", "ts"] },
  { label: "mixed", impls: ["go", "ts", "go", "ts"] },
];

/** Roles by index: one `web` and one `db` node of each implementation in the mixed shape. */
export function roleOf(index: number): "web" | "db" {
  return index === 0 || index === 1 ? "web" : "db";
}

export const QUERY_TIMEOUTS = { convergeMs: 35_000, cliMs: 15_000 } as const;

/** The `query:uptime` handler: prints the node's name (no newline). */
export function writeUptimeHandler(dir: string): string {
  return writeScript(dir, "uptime.sh", `printf '%s' "$SERF_SELF_NAME"`);
}

/** `serf query -format=json` output. */
export interface QueryResult {
  readonly Acks: string[] | null;
  readonly Responses: Record<string, string>;
}

/** One query case: who sends it, its filters, and who must answer. */
export interface QueryCase {
  readonly label: string;
  readonly via: number;
  /** Indices for `-node`. */
  readonly nodes?: readonly number[];
  /** `-tag role=<value>` (a regexp). */
  readonly role?: string;
  /** Indices of the nodes that must ack and respond. */
  readonly expect: readonly number[];
}

export const QUERY_CASES: readonly QueryCase[] = [
  { label: "no filter: every node", via: 1, expect: [0, 1, 2, 3] },
  { label: "-tag role=web: the web nodes", via: 0, role: "web", expect: [0, 1] },
  { label: "-tag role=^d.$: the db nodes (regexp)", via: 3, role: "^d.$", expect: [2, 3] },
  { label: "-node 3 -node 0: those two", via: 2, nodes: [3, 0], expect: [0, 3] },
  { label: "-node 1 -tag role=web: node 1 only", via: 2, nodes: [1], role: "web", expect: [1] },
  { label: "-node 2 -tag role=web: nobody (2 is db)", via: 1, nodes: [2], role: "web", expect: [] },
];

/** Runs `c` through node `c.via`'s CLI; returns the parsed JSON result. */
export async function runQuery(cluster: Cluster, c: QueryCase): Promise<QueryResult> {
  const args = ["query", "-format=json", "-timeout=3s"];
  for (const i of c.nodes ?? []) args.push("-node", cluster.node(i).name);
  if (c.role !== undefined) args.push("-tag", `role=${c.role}`);
  args.push("uptime");
  const out = await cluster.node(c.via).cli(args, { timeoutMs: QUERY_TIMEOUTS.cliMs });
  return JSON.parse(out) as QueryResult;
}

/** What `c` must print: acks (sorted) and responses from exactly the expected nodes. */
export function expectedResult(cluster: Cluster, c: QueryCase) {
  const names = c.expect.map((i: number) => cluster.node(i).name).sort();
  return {
    acks: names,
    responses: Object.fromEntries(names.map((n: string) => [n, n])),
  };
}

/** Acks sorted (they come in arrival order; `null` when none) and responses, for comparison. */
export function normalised(result: QueryResult) {
  return { acks: [...(result.Acks ?? [])].sort(), responses: result.Responses };
}

export function describeNodes(nodes: readonly ClusterNode[]): string {
  return nodes.map((n) => `${n.index}=${n.name}(${n.impl},${roleOf(n.index)})`).join(" ");
}
