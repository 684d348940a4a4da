/**
 * The real Go `serf` (Debian serf 0.9.4): its CLI (`runGoSerf`, `goSerfMembers`,
 * `goSerfKeygen`), agents (`startGoAgent`, ready once `serf members` answers through their RPC
 * port) and clusters (`startGoCluster`, ready once every agent lists every other as alive).
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentOptions, type AgentProcess, startAgentProcess } from "./agent-process.ts";
import { goSerfPath } from "./binary.ts";
import { eventually } from "./eventually.ts";
import { randomSuffix } from "./net.ts";
import { type CommandResult, type RunOptions, runCommand } from "./processes.ts";

/** One member as printed by `serf members -format=json`. */
export interface GoSerfMember {
  readonly name: string;
  /** `"ip:port"`. */
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  /** `alive`, `leaving`, `left`, `failed`. */
  readonly status: string;
  readonly protocol: { readonly max: number; readonly min: number; readonly version: number };
}

/** Runs the Go CLI (`serf <args>`), bounded; never rejects on a non-zero exit. */
export function runGoSerf(
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return runCommand(goSerfPath(), args, options);
}

/** As `runGoSerf`, but resolves stdout and rejects (with the output) unless the exit code is 0. */
export async function goSerfOutput(
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const r = await runGoSerf(args, options);
  if (r.code !== 0) {
    throw new Error(
      `serf ${args.join(" ")} failed (code ${r.code}, signal ${r.signal}):\n${r.stderr}${r.stdout}`,
    );
  }
  return r.stdout;
}

/** Options of `goSerfMembers`. */
export interface GoSerfMembersOptions {
  readonly rpcAuth?: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/** `serf members -format=json -rpc-addr=<rpcAddress>`: every member the agent knows. */
export async function goSerfMembers(
  rpcAddress: string,
  options: GoSerfMembersOptions = {},
): Promise<GoSerfMember[]> {
  const args = ["members", "-format=json", `-rpc-addr=${rpcAddress}`];
  if (options.rpcAuth !== undefined) args.push(`-rpc-auth=${options.rpcAuth}`);
  const out = await goSerfOutput(args, { timeoutMs: options.timeoutMs ?? 5000 });
  const parsed = JSON.parse(out) as { members: GoSerfMember[] | null };
  return parsed.members ?? [];
}

/** `serf keygen`: a fresh base64 32-byte key. */
export async function goSerfKeygen(): Promise<string> {
  return (await goSerfOutput(["keygen"])).trim();
}

/**
 * Writes a shell script into `dir` that answers queries with `<prefix><node name>` and returns
 * its path; use it as `-event-handler=query=<script>` (or `query:<name>=<script>`).
 */
export function writeQueryResponder(dir: string, prefix = "resp-from-"): string {
  const path = join(dir, "respond.sh");
  writeFileSync(path, `#!/bin/sh\nprintf '%s%s' '${prefix}' "$SERF_SELF_NAME"\n`, {
    mode: 0o755,
  });
  return path;
}

/** A running Go agent. */
export interface GoAgent extends AgentProcess {
  /** `serf members -format=json` through this agent's RPC. */
  members(): Promise<GoSerfMember[]>;
  /**
   * `serf <subcommand> -rpc-addr=<this agent> [-rpc-auth=…] <rest…>` (`args[0]` is the
   * subcommand; Go stops parsing flags at the first positional, so ours go right after it).
   * Resolves stdout; rejects unless the exit code is 0.
   */
  cli(args: readonly string[], options?: RunOptions): Promise<string>;
  /** As `cli`, with the whole result and no rejection on a non-zero exit. */
  run(args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

function rpcArgs(agent: AgentProcess, args: readonly string[]): string[] {
  const auth = agent.rpcAuth === undefined ? [] : [`-rpc-auth=${agent.rpcAuth}`];
  return [...args.slice(0, 1), `-rpc-addr=${agent.rpcAddress}`, ...auth, ...args.slice(1)];
}

/** Adds the Go CLI helpers to an agent process that speaks serf's RPC (Go's or ours). */
export function withGoCli(agent: AgentProcess): GoAgent {
  const members = (): Promise<GoSerfMember[]> =>
    goSerfMembers(agent.rpcAddress, agent.rpcAuth === undefined ? {} : { rpcAuth: agent.rpcAuth });
  const extra: Pick<GoAgent, "members" | "cli" | "run"> = {
    members,
    cli: (args, options) => goSerfOutput(rpcArgs(agent, args), options),
    run: (args, options) => runGoSerf(rpcArgs(agent, args), options),
  };
  // Copy the descriptors: `exited`, `exitCode` and `signalCode` are live getters.
  return Object.defineProperties(extra, Object.getOwnPropertyDescriptors(agent)) as GoAgent;
}

/**
 * Starts Go's `serf agent` (see `AgentOptions`) and waits until `serf members` answers through
 * its RPC port (with its `rpcAuth`). Retries with fresh ports when an address is taken; rejects
 * with the agent's log otherwise.
 */
export async function startGoAgent(options: AgentOptions = {}): Promise<GoAgent> {
  const agent = await startAgentProcess(
    { label: "go", file: goSerfPath(), args: ["agent"] },
    options,
    (a) =>
      goSerfMembers(a.rpcAddress, {
        timeoutMs: 5000,
        ...(a.rpcAuth === undefined ? {} : { rpcAuth: a.rpcAuth }),
      }),
  );
  return withGoCli(agent);
}

/** Options of `startGoCluster`. */
export interface GoClusterOptions {
  /** Bound on convergence after every agent has started. @default 20000 */
  readonly timeoutMs?: number;
  /** Node names are `<prefix>1..n`. @default `n<random>-` */
  readonly namePrefix?: string;
}

/**
 * Starts `n` Go agents; agents 2..n join agent 1 (unless `optionsFor` sets `join`). Resolves
 * once every agent lists all `n` as alive. Per-agent options come from `optionsFor(i)`
 * (1-based). On failure, kills (by PID) what it started before rejecting.
 */
export async function startGoCluster(
  n: number,
  optionsFor: (i: number) => AgentOptions = () => ({}),
  options: GoClusterOptions = {},
): Promise<GoAgent[]> {
  const prefix = options.namePrefix ?? `n${randomSuffix()}-`;
  const started: GoAgent[] = [];
  try {
    const first = await startGoAgent({ name: `${prefix}1`, ...optionsFor(1) });
    started.push(first);
    const rest = await Promise.allSettled(
      Array.from({ length: n - 1 }, (_, k) =>
        startGoAgent({
          name: `${prefix}${k + 2}`,
          join: [first.bindAddress],
          ...optionsFor(k + 2),
        }),
      ),
    );
    for (const r of rest) if (r.status === "fulfilled") started.push(r.value);
    for (const r of rest) if (r.status === "rejected") throw r.reason;
    await eventually(
      async () => {
        for (const agent of started) {
          const alive = (await agent.members()).filter((m) => m.status === "alive");
          if (alive.length !== n) return false;
        }
        return true;
      },
      {
        timeoutMs: options.timeoutMs ?? 20_000,
        describe: async () => {
          const views = await Promise.all(
            started.map(async (a) => {
              const ms = await a.members().catch((e: unknown) => String(e));
              const view = typeof ms === "string" ? ms : ms.map((m) => `${m.name}=${m.status}`);
              return `${a.name}: ${JSON.stringify(view)}`;
            }),
          );
          return `cluster of ${n} did not converge\n${views.join("\n")}`;
        },
      },
    );
    return started;
  } catch (err) {
    await Promise.all(started.map((a) => a.kill()));
    throw err;
  }
}
