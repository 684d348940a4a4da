/**
 * Encryption and key rotation: a cluster started with `-encrypt=OLD`, both keys made by OUR
 * `serf keygen`; `serf keys -install NEW`, `-use NEW`, `-remove OLD` (each through one node's
 * own CLI, answered by every member), then `serf keys -list` through every node shows only NEW,
 * on every member, and the cluster stays whole. A node with the wrong key (the removed OLD one)
 * is kept out: its start-up `-join` is fatal, its RPC `join` fails, and nobody ever lists it.
 */

import { RpcClient } from "@serf-ts/rpc-client";
import { runCommand, startAgentProcess } from "@serf-ts/testkit";
import { runSerfCli } from "../harness/cli.ts";
import type { Cluster, ClusterNode } from "../harness/cluster.ts";
import { cliMainPath, goAgentCommand, type Impl, rpcReady } from "../harness/implementations.ts";
import { stays, type Variant } from "../harness/suite.ts";

export const KEYS_VARIANTS: readonly Variant[] = [
  { label: "all-Go (control)", impls: ["go", "go", "go"] },
  { label: "all-TS", impls: ["ts", "ts", "ts"] },
  { label: "mixed", impls: ["go", "ts", "go", "ts"] },
];

export const KEYS_TIMEOUTS = { convergeMs: 35_000, keptOutMs: 4_000 } as const;

/** `node packages/cli/dist/main.js keygen`: one fresh key, checked for Go's shape. */
export async function ourKeygen(): Promise<string> {
  const r = await runCommand(process.execPath, [cliMainPath(), "keygen"], { timeoutMs: 10_000 });
  const key = r.stdout.trim();
  if (r.code !== 0 || !/^[A-Za-z0-9+/]{43}=$/.test(key)) {
    throw new Error(`our keygen: code ${r.code}, stdout ${JSON.stringify(r.stdout)}, ${r.stderr}`);
  }
  if (Buffer.from(key, "base64").length !== 32) throw new Error(`keygen gave ${key}: not 32 B`);
  return key;
}

/** `serf keys <action>` through `node`'s own CLI; Go's success line and exit 0 required. */
export async function keysAction(node: ClusterNode, action: string, success: string) {
  const r = await runSerfCli(node, ["keys", action]);
  if (r.code !== 0 || !r.stdout.includes(success)) {
    throw new Error(
      `serf keys ${action} via ${node.name} (${node.impl}): code ${r.code}\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

/** The `KEY  [N/TOTAL]` rows of `serf keys -list` through `node`. */
export async function listKeys(node: ClusterNode): Promise<Map<string, string>> {
  const out = await keysAction(node, "-list", "==> Keys gathered, listing cluster keys...");
  const rows = new Map<string, string>();
  for (const m of out.matchAll(/^(\S+=)\s+\[(\d+\/\d+)\]$/gm)) {
    if (m[1] !== undefined && m[2] !== undefined) rows.set(m[1], m[2]);
  }
  return rows;
}

/** Options of an intruder: our agent or Go's, encrypted with `key`. */
export interface Intruder {
  readonly impl: Impl;
  readonly key: string;
  readonly name: string;
}

/**
 * Starts an agent with the wrong key and `-join` to every cluster node: start-up must fail
 * (exit 1, `Failed to join`); resolves the log.
 */
export async function intruderStartJoinFails(
  cluster: Cluster,
  intruder: Intruder,
  tsCommand: Parameters<typeof startAgentProcess>[0] | undefined,
): Promise<string> {
  const command = intruder.impl === "go" ? goAgentCommand() : tsCommand;
  if (command === undefined) throw new Error("no TS agent command");
  let log = "";
  try {
    const agent = await startAgentProcess(
      command,
      {
        name: intruder.name,
        profile: "lan",
        encryptKey: intruder.key,
        join: cluster.running().map((n) => n.bindAddress),
        startTimeoutMs: 15_000,
        attempts: 1,
        onLog: (t) => {
          log += t;
        },
      },
      rpcReady,
    );
    // RPC comes up before the start-up join runs (in Go too), so the readiness probe can win
    // the race: then the agent must still exit on its own once the join fails.
    if ((await agent.waitExit(15_000)) && /Failed to join/.test(log)) return log;
    await agent.kill();
    throw new Error(`${intruder.name} with the wrong key started and joined:\n${log}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/exited \(code 1/.test(message)) throw err;
    return log;
  }
}

/**
 * Starts an agent with the wrong key and no join, asks it over RPC to join every cluster node
 * (must fail), then checks for `keptOutMs` that no cluster node lists it and it lists only
 * itself. Kills it afterwards.
 */
export async function intruderRpcJoinFails(
  cluster: Cluster,
  intruder: Intruder,
  tsCommand: Parameters<typeof startAgentProcess>[0] | undefined,
): Promise<string> {
  const command = intruder.impl === "go" ? goAgentCommand() : tsCommand;
  if (command === undefined) throw new Error("no TS agent command");
  const agent = await startAgentProcess(
    command,
    { name: intruder.name, profile: "lan", encryptKey: intruder.key },
    rpcReady,
  );
  try {
    const client = await RpcClient.connect({ addr: agent.rpcAddress, timeoutMs: 2000 });
    let joined: number | undefined;
    let error = "";
    try {
      joined = await client.join(
        cluster.running().map((n) => n.bindAddress),
        { timeoutMs: 15_000 },
      );
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    } finally {
      await client.close();
    }
    if (joined !== undefined && joined > 0) {
      throw new Error(`${intruder.name} joined ${joined} node(s) with the wrong key`);
    }
    await stays(
      async () => {
        for (const n of cluster.running()) {
          if ((await n.members()).some((m) => m.name === intruder.name)) {
            return `${n.name} (${n.impl}) lists the intruder ${intruder.name}`;
          }
        }
        const own = await RpcClient.connect({ addr: agent.rpcAddress, timeoutMs: 2000 });
        try {
          const names = (await own.members()).map((m) => `${m.name}=${m.status}`);
          if (names.length !== 1) return `the intruder lists ${JSON.stringify(names)}`;
        } finally {
          await own.close();
        }
        return undefined;
      },
      KEYS_TIMEOUTS.keptOutMs,
      { describe: () => `intruder log:\n${agent.log().slice(-3000)}` },
    );
    return error;
  } finally {
    await agent.kill();
  }
}
