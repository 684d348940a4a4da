/**
 * Tag updates: `serf tags -set role=db` (and `-delete`) on one node, sent through that node's
 * own CLI, must show in `serf members -format=json` on every node (each node asked with its own
 * implementation's CLI).
 */

import { eventually } from "@serf-ts/testkit";
import { cliMembers } from "../harness/cli.ts";
import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import type { Variant } from "../harness/suite.ts";

export const TAGS_VARIANTS: readonly Variant[] = [
  { label: "all-Go (control)", impls: ["go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts"] },
  { label: "mixed", impls: ["go", "ts", "go", "ts"] },
];

/** Every node starts with these tags. */
export const INITIAL_TAGS = { role: "web", dc: "east" } as const;

export const TAGS_TIMEOUTS = { convergeMs: 35_000, propagateMs: 35_000 } as const;

/** `name -> tags` as `viewer` prints them with `serf members -format=json`. */
async function tagsSeenBy(viewer: ClusterNode): Promise<Map<string, Record<string, string>>> {
  const members = await cliMembers(viewer);
  return new Map(members.map((m) => [m.name, { ...m.tags }]));
}

function sameTags(a: Readonly<Record<string, string>> | undefined, b: Record<string, string>) {
  if (a === undefined) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return JSON.stringify(ka) === JSON.stringify(kb) && ka.every((k) => a[k] === b[k]);
}

/**
 * Waits until every running node's `serf members -format=json` lists `target` with exactly
 * `tags` (and every other node unchanged with `others`).
 */
export async function waitForTags(
  cluster: Cluster,
  target: ClusterNode,
  tags: Record<string, string>,
  others: (node: ClusterNode) => Record<string, string>,
): Promise<void> {
  const views = new Map<string, string>();
  await eventually(
    async () => {
      let ok = true;
      for (const viewer of cluster.running()) {
        const seen = await tagsSeenBy(viewer);
        views.set(`${viewer.name} (${viewer.impl})`, JSON.stringify(Object.fromEntries(seen)));
        for (const n of cluster.running()) {
          const want = n === target ? tags : others(n);
          if (!sameTags(seen.get(n.name), want)) ok = false;
        }
      }
      return ok;
    },
    {
      timeoutMs: TAGS_TIMEOUTS.propagateMs,
      intervalMs: 300,
      describe: () =>
        `${target.name} not seen with tags ${JSON.stringify(tags)} everywhere:\n` +
        [...views].map(([k, v]) => `${k}: ${v}`).join("\n"),
    },
  );
}

/** `serf tags <args>` through `node`'s own CLI; checks Go's success line. */
export async function setTags(node: ClusterNode, args: readonly string[]): Promise<void> {
  const out = await node.cli(["tags", ...args]);
  if (!out.includes("Successfully updated agent tags")) {
    throw new Error(`serf tags ${args.join(" ")} on ${node.name} printed: ${out}`);
  }
}
