/**
 * The "live node list" pattern: every node runs
 * `-event-handler=member-join,member-leave,member-failed=<script>`; the script maintains
 * `<dir>/<self>.alive` itself from the event's stdin lines (`NAME⇥IP⇥ROLE⇥TAGS`): a join adds
 * the line `NAME IP ROLE TAGS`, a leave or failure removes NAME. After joins (the start-up ones
 * and a late one), a graceful leave and a SIGKILL, each running node's file must list exactly
 * the running nodes, with the right address and role, and agree with `members` over RPC.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@serf-ts/testkit";
import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import { type Variant, writeScript } from "../harness/suite.ts";

export const LIVE_VARIANTS: readonly Variant[] = [
  { label: "all-TS", impls: ["ts", "ts", "ts", "ts"] },
  { label: "mixed", impls: ["go", "ts", "go", "ts"] },
];

/** Index of the node that leaves (SIGINT) and of the node that is killed (SIGKILL). */
export const LEAVER = 1;
export const VICTIM = 2;

export const LIVE_TIMEOUTS = { convergeMs: 35_000, settleMs: 40_000 } as const;

export function roleOf(index: number): string {
  return `r${index}`;
}

/** The handler: keeps `<dir>/$SERF_SELF_NAME.alive` sorted, one member per line. */
export function writeLiveListHandler(dir: string): string {
  return writeScript(
    dir,
    "live-list.sh",
    [
      `f="${dir}/$SERF_SELF_NAME.alive"`,
      `touch "$f"`,
      `tab="$(printf '\\t')"`,
      `while IFS="$tab" read -r name addr role tags; do`,
      `  grep -v "^$name " "$f" > "$f.tmp"`,
      `  case "$SERF_EVENT" in`,
      `    member-join) printf '%s %s %s %s\\n' "$name" "$addr" "$role" "$tags" >> "$f.tmp" ;;`,
      `  esac`,
      `  sort "$f.tmp" > "$f.new" && mv "$f.new" "$f" && rm -f "$f.tmp"`,
      `done`,
    ].join("\n"),
  );
}

/** The lines of `node`'s file. */
export function liveList(dir: string, node: ClusterNode): string[] {
  const file = join(dir, `${node.name}.alive`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** What every running node's file must hold. */
export function expectedList(cluster: Cluster): string[] {
  return cluster
    .running()
    .map((n) => `${n.name} ${n.process.ip} ${roleOf(n.index)} role=${roleOf(n.index)}`)
    .sort();
}

/**
 * Waits until every running node's file equals `expectedList` and its RPC `members` lists
 * exactly those names alive.
 */
export async function filesMatchAliveMembers(cluster: Cluster): Promise<void> {
  const dir = cluster
    .node(0)
    .options.eventHandlers?.[0]?.split("=")[1]
    ?.replace(/\/[^/]*$/, "");
  if (dir === undefined) throw new Error("node 0 has no handler");
  const want = expectedList(cluster);
  const wantNames = cluster
    .running()
    .map((n) => n.name)
    .sort();
  await eventually(
    async () => {
      for (const n of cluster.running()) {
        if (JSON.stringify(liveList(dir, n)) !== JSON.stringify(want)) return false;
        const alive = (await n.members()).filter((m) => m.status === "alive").map((m) => m.name);
        if (JSON.stringify(alive.sort()) !== JSON.stringify(wantNames)) return false;
      }
      return true;
    },
    {
      timeoutMs: LIVE_TIMEOUTS.settleMs,
      intervalMs: 300,
      describe: async () => {
        const files = cluster
          .running()
          .map((n) => `${n.name} (${n.impl}) file: ${JSON.stringify(liveList(dir, n))}`);
        return `expected ${JSON.stringify(want)}\n${files.join("\n")}${await cluster.describe()}`;
      },
    },
  );
}
