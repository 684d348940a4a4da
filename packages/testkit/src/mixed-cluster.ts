/**
 * Clusters mixing Go's `serf agent` and ours (`node packages/cli/dist/main.js agent`, built by
 * `pnpm turbo run build --filter=@serf-ts/cli...`), for the suites that compare the two.
 */
import { fileURLToPath } from "node:url";
import type { AgentOptions } from "./agent-process.ts";
import { startAgentProcess } from "./agent-process.ts";
import { eventually } from "./eventually.ts";
import { type GoAgent, goSerfMembers, startGoAgent, withGoCli } from "./go-agent.ts";
import { randomSuffix } from "./net.ts";

/** Which implementation runs a node: Go's `serf agent` or ours. */
export type Impl = "go" | "ts";

/** Our built CLI (`packages/cli/dist/main.js`). */
export const TS_CLI_MAIN = fileURLToPath(new URL("../../cli/dist/main.js", import.meta.url));

/**
 * Starts one agent of `impl`, ready once Go's `serf members` answers through its RPC port,
 * with the Go CLI helpers of `withGoCli`.
 */
export async function startAgent(impl: Impl, options: AgentOptions): Promise<GoAgent> {
  if (impl === "go") return startGoAgent(options);
  const agent = await startAgentProcess(
    { label: "ts", file: process.execPath, args: [TS_CLI_MAIN, "agent"] },
    options,
    (a) =>
      goSerfMembers(a.rpcAddress, {
        timeoutMs: 5000,
        ...(a.rpcAuth === undefined ? {} : { rpcAuth: a.rpcAuth }),
      }),
  );
  return withGoCli(agent);
}

/**
 * One agent per entry of `impls`, named `<random>-1..n`; agents 2..n join agent 1. Resolves once
 * every agent lists all of them as alive; kills (by PID) what it started on failure.
 *
 * The bound covers one push/pull interval of the profile in use plus 10 s: an agent that missed
 * a gossiped join (Go's as much as ours, more often on a loaded machine) learns it from the next
 * push/pull (15 s under `local`, 30 s under the default `lan`; the first at a random offset).
 */
export async function startMixedCluster(
  impls: readonly Impl[],
  optionsFor: (i: number) => AgentOptions = () => ({}),
): Promise<GoAgent[]> {
  const prefix = `n${randomSuffix()}-`;
  const started: GoAgent[] = [];
  try {
    const [firstImpl, ...restImpls] = impls;
    if (firstImpl === undefined) throw new Error("empty cluster");
    const first = await startAgent(firstImpl, { name: `${prefix}1`, ...optionsFor(1) });
    started.push(first);
    const rest = await Promise.allSettled(
      restImpls.map((impl, k) =>
        startAgent(impl, {
          name: `${prefix}${k + 2}`,
          join: [first.bindAddress],
          ...optionsFor(k + 2),
        }),
      ),
    );
    for (const r of rest) if (r.status === "fulfilled") started.push(r.value);
    for (const r of rest) if (r.status === "rejected") throw r.reason;
    const lanProfile = impls.some((_, k) => (optionsFor(k + 1).profile ?? "lan") !== "local");
    const views = new Map<string, string>();
    await eventually(
      async () => {
        let converged = true;
        for (const agent of started) {
          const members = await agent.members();
          const alive = members.filter((m) => m.status === "alive");
          views.set(agent.name, members.map((m) => `${m.name}=${m.status}`).join(" "));
          if (alive.length !== impls.length) converged = false;
        }
        return converged;
      },
      {
        timeoutMs: (lanProfile ? 30_000 : 15_000) + 10_000,
        describe: () => [...views].map(([name, view]) => `${name}: ${view}`).join("\n"),
      },
    );
    return started;
  } catch (err) {
    await Promise.all(started.map((a) => a.kill()));
    throw err;
  }
}
