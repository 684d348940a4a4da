/**
 * User event with payload: every node runs `-event-handler=user:deploy=<script>`, the script
 * appends `$SERF_EVENT $SERF_USER_EVENT $(cat)` to a per-node file. `serf event deploy v42`
 * (sent with the CLI of one implementation through one node) must reach every node's handler
 * exactly once, and an event of another name (`other`) must reach none. "Exactly once" is
 * checked over a settle period longer than one push/pull interval (15 s in the local profile),
 * since push/pull re-sends recent user events that receivers must de-duplicate.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "@serf-ts/testkit";
import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import { stays, type Variant, writeScript } from "../harness/suite.ts";

/** Node that sends the events (through its own implementation's CLI). */
export const SENDER = 1;

export const USER_EVENT_VARIANTS: readonly Variant[] = [
  { label: "all-Go (control)", impls: ["go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts"] },
  { label: "mixed: TS sends to Go and TS", impls: ["go", "ts", "go", "ts"] },
  { label: "mixed: Go sends to TS and Go", impls: ["ts", "go", "ts", "go"] },
];

/** Local profile: push/pull every 15 s; the settle period covers one whole interval and more. */
export const USER_EVENT_TIMEOUTS = { convergeMs: 35_000, deliverMs: 35_000, settleMs: 17_000 };

/** The line the handler appends for `deploy v42`. */
export const EXPECTED_LINE = "user deploy v42";

/** The handler script: one line per event into `<dir>/<node name>.events`. */
export function writeUserEventHandler(dir: string): string {
  return writeScript(
    dir,
    "on-user-event.sh",
    `printf '%s %s %s\\n' "$SERF_EVENT" "$SERF_USER_EVENT" "$(cat)" >> "${dir}/$SERF_SELF_NAME.events"`,
  );
}

/** The lines `node`'s handler wrote so far. */
export function handledLines(dir: string, node: ClusterNode): string[] {
  const file = join(dir, `${node.name}.events`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

function report(dir: string, cluster: Cluster): string {
  return cluster.nodes
    .map((n) => `${n.name} (${n.impl}): ${JSON.stringify(handledLines(dir, n))}`)
    .join("\n");
}

/**
 * Sends `other x` then `deploy v42` through node `SENDER`; waits until every handler saw
 * `deploy` once, then checks for `settleMs` that it stays exactly once everywhere and that
 * `other` never arrives.
 */
export async function deployReachesEveryHandlerOnce(cluster: Cluster, dir: string) {
  const sender = cluster.node(SENDER);
  const other = await sender.cli(["event", "other", "x"]);
  if (!other.includes("Event 'other' dispatched!")) throw new Error(`serf event said: ${other}`);
  const out = await sender.cli(["event", "deploy", "v42"]);
  if (!out.includes("Event 'deploy' dispatched! Coalescing enabled: true")) {
    throw new Error(`serf event said: ${out}`);
  }
  await eventually(() => cluster.nodes.every((n) => handledLines(dir, n).length >= 1), {
    timeoutMs: USER_EVENT_TIMEOUTS.deliverMs,
    intervalMs: 200,
    describe: () => `deploy did not reach every handler:\n${report(dir, cluster)}`,
  });
  await stays(
    () => {
      for (const n of cluster.nodes) {
        const lines = handledLines(dir, n);
        if (lines.length !== 1 || lines[0] !== EXPECTED_LINE) {
          return `${n.name} (${n.impl}) handled ${JSON.stringify(lines)}, expected exactly [${JSON.stringify(EXPECTED_LINE)}]`;
        }
      }
      return undefined;
    },
    USER_EVENT_TIMEOUTS.settleMs,
    { describe: () => report(dir, cluster) },
  );
}
