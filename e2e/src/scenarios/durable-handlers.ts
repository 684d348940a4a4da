/**
 * Event handlers across a crash (issue 16 §1): a 2-node cluster, node 0 sends user events,
 * node 1 runs with `-snapshot` and a handler that takes 30 ms per user event and appends one
 * line per event (and one per member-update) to a file. Node 1 is SIGKILLed while events wait
 * for its handler, then restarted with the same snapshot and no `-join`. Every event node 1
 * accepted before the crash must be handled (lost = 0), and at most one event twice (the one
 * whose handler ran at the crash; the orphaned script still finishes, as in Go).
 *
 * The handler's own file is the ground truth; "accepted" is what node 1 logged as `Received
 * event: user-event: NAME` before the crash.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, sleep } from "@serf-ts/testkit";
import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import { writeScript } from "../harness/suite.ts";

export const SENDER = 0;
export const VICTIM = 1;

/** The handler: user events take 30 ms; member-update lines record the sender's tags. */
export function writeDurableHandler(dir: string): string {
  return writeScript(
    dir,
    "slow-handler.sh",
    [
      `out="${dir}/handled-$SERF_SELF_NAME"`,
      'case "$SERF_EVENT" in',
      `  user) sleep 0.03; echo "user $SERF_USER_EVENT" >> "$out" ;;`,
      '  member-update) while read -r line; do echo "update $line" >> "$out"; done ;;',
      "  *) cat > /dev/null ;;",
      "esac",
    ].join("\n"),
  );
}

/** Lines the victim's handler wrote. */
export function handled(dir: string, victim: ClusterNode): string[] {
  const file = join(dir, `handled-${victim.name}`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** Names of the user events starting with `prefix` that `log` says were received. */
export function receivedEvents(log: string, prefix: string): Set<string> {
  const names = new Set<string>();
  for (const m of log.matchAll(/Received event: user-event: (\S+)/g)) {
    const name = m[1] as string;
    if (name.startsWith(prefix)) names.add(name);
  }
  return names;
}

export interface CrashRunResult {
  readonly sent: number;
  /** User events the victim logged as received before the crash. */
  readonly accepted: number;
  /** Of those, handled before the crash (lines in the file at the kill). */
  readonly handledBeforeKill: number;
  /** Distinct events handled in all (before and after the crash). */
  readonly handledDistinct: number;
  /** Accepted events never handled, after the restart settled. */
  readonly lost: number;
  /** Lines beyond the first per event name. */
  readonly duplicates: number;
  /** Whether the member-update accepted before the crash (if it was) was handled. */
  readonly memberUpdateHandled: boolean;
  /** Whether node 1 had accepted the member-update before the crash. */
  readonly memberUpdateAccepted: boolean;
  /** The handler's member-update lines (for messages). */
  readonly updateLines: readonly string[];
  /** Accepted names never handled (for messages). */
  readonly lostNames: readonly string[];
}

export interface CrashRunOptions {
  readonly dir: string;
  readonly events: number;
  /** Kill this long after the first event was sent; `undefined`: once all were received. */
  readonly killAfterMs?: number | undefined;
  /** Event names are `<prefix><i>`. */
  readonly prefix: string;
  /** Fail when the restarted node has not rejoined within 20 s. @default true */
  readonly requireRejoin?: boolean | undefined;
  /** How long to wait for the restarted agent to handle what it accepted. */
  readonly settleMs: number;
}

/**
 * One crash: sends `events` user events (coalesce=false) and a tag change from node 0, kills
 * node 1 (at `killAfterMs`, or once it logged every event as received), restarts it with its
 * snapshot, and waits until every accepted event was handled or `settleMs` passed.
 */
export async function crashAndRestart(
  cluster: Cluster,
  options: CrashRunOptions,
): Promise<CrashRunResult> {
  const sender = cluster.node(SENDER);
  const victim = cluster.node(VICTIM);
  const names = Array.from({ length: options.events }, (_, i) => `${options.prefix}${i}`);
  const tagValue = `${options.prefix}tag`;
  const start = Date.now();
  const sending = sender.withRpc(async (c) => {
    for (const [i, name] of names.entries()) {
      await c.userEvent(name, new TextEncoder().encode(`p${i}`), false);
      if (i === Math.floor(names.length / 2)) await c.tags({ set: { durable: tagValue } });
    }
  });
  if (options.killAfterMs === undefined) {
    await sending;
    // Gossip delivers newest first: wait for the whole set.
    await eventually(
      () => receivedEvents(victim.process.log(), options.prefix).size === names.length,
      {
        timeoutMs: 20_000,
        intervalMs: 20,
        describe: async () => `victim did not receive every event${await cluster.describe()}`,
      },
    );
  } else {
    await sleep(Math.max(0, start + options.killAfterMs - Date.now()));
  }
  await victim.crash();
  const handledBeforeKill = handled(options.dir, victim).filter((l) =>
    l.startsWith(`user ${options.prefix}`),
  ).length;
  const preKillLog = victim.process.log();
  const accepted = receivedEvents(preKillLog, options.prefix);
  // The rest of the events still go out while the victim is down (a random kill point).
  await sending.catch(() => undefined);
  const restarted = await cluster.restart(VICTIM);
  const allHandled = (): boolean => {
    const got = new Set(handled(options.dir, restarted).map((l) => l.split(" ")[1]));
    return [...accepted].every((n) => got.has(n));
  };
  await eventually(allHandled, { timeoutMs: options.settleMs, intervalMs: 100 }).catch(
    () => undefined,
  );
  // Whatever gossip re-delivers after the rejoin (push/pull) must not be handled again.
  const rejoined = cluster.waitForConvergence(20_000);
  if (options.requireRejoin === false) await rejoined.catch(() => undefined);
  else await rejoined;
  await sleep(1500);
  const lines = handled(options.dir, restarted);
  const userLines = lines.filter((l) => l.startsWith(`user ${options.prefix}`));
  const counts = new Map<string, number>();
  for (const l of userLines) {
    const n = l.split(" ")[1] as string;
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const lostNames = [...accepted].filter((n) => !counts.has(n));
  let duplicates = 0;
  for (const c of counts.values()) duplicates += c - 1;
  // Accepted: serf logged the update before the crash (the agent then holds it up to 3 s).
  const updateAccepted = new RegExp(`EventMemberUpdate: ${sender.name}\\b`).test(preKillLog);
  return {
    sent: names.length,
    accepted: accepted.size,
    handledBeforeKill,
    handledDistinct: counts.size,
    lost: lostNames.length,
    duplicates,
    memberUpdateHandled:
      !updateAccepted || lines.some((l) => l.startsWith("update ") && l.includes(tagValue)),
    memberUpdateAccepted: updateAccepted,
    updateLines: lines.filter((l) => l.startsWith("update ")),
    lostNames,
  };
}
