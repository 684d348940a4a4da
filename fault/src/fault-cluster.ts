/**
 * A cluster of Go and/or serf-ts agents inside one {@link FaultNet}: agent `i` binds gossip to
 * `nodeIp(i):7946` and RPC to `nodeIp(i):7373` in the namespace; the test drives them over RPC
 * through the veth. Agents are started through `@serf-ts/testkit` (tracked PIDs, killed at exit)
 * with `ip netns exec` in front of the command.
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Member, RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentProcess,
  eventually,
  goSerfPath,
  startAgentProcess,
} from "@serf-ts/testkit";
import type { FaultNet } from "./netns.ts";

export type Impl = "go" | "ts";

export const GOSSIP_PORT = 7946;
export const RPC_PORT = 7373;
/** `ulimit -v` of Go agents, KiB. */
export const GO_ADDRESS_SPACE_KIB = 1536 * 1024;

/** The built serf-ts CLI (`@serf-ts/cli`'s bin). */
export function tsCliPath(): string {
  const pkg = createRequire(import.meta.url).resolve("@serf-ts/cli/package.json");
  return join(dirname(pkg), "dist", "main.js");
}

/** Whether each implementation can run here, and why not. */
export function implementations(): { go: string | undefined; ts: string | undefined } {
  let go: string | undefined;
  try {
    goSerfPath();
  } catch (err) {
    go = err instanceof Error ? err.message : String(err);
  }
  const ts = existsSync(tsCliPath()) ? undefined : `${tsCliPath()} missing: build @serf-ts/cli`;
  return { go, ts };
}

function command(impl: Impl, net: FaultNet, index: number): AgentCommand {
  // Go agents get a 1.5 GiB address-space limit: fuzzed length headers make Go 0.9.4 allocate
  // what they announce (2 GiB measured for one agent), which must not take the shared machine
  // down. Go serf runs normally under it (about 1 GiB of address space, 10 MiB resident).
  const base =
    impl === "go"
      ? {
          file: "/bin/sh",
          args: [
            "-c",
            `ulimit -v ${GO_ADDRESS_SPACE_KIB} && exec "$0" "$@"`,
            goSerfPath(),
            "agent",
          ],
        }
      : { file: process.execPath, args: [tsCliPath(), "agent"] };
  return { label: impl, ...net.wrap(index, base.file, base.args) };
}

export interface FaultNode {
  readonly index: number;
  readonly impl: Impl;
  readonly name: string;
  readonly ip: string;
  readonly process: AgentProcess;
  rpc<T>(fn: (client: RpcClient) => Promise<T>): Promise<T>;
  members(): Promise<Member[]>;
  /** Resident set size in KiB (`VmRSS`), or undefined once gone. */
  rssKiB(): number | undefined;
}

export interface FaultCluster {
  readonly net: FaultNet;
  readonly nodes: readonly FaultNode[];
  running(): FaultNode[];
  /** Waits until every running node lists every running node alive. */
  waitForConvergence(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface FaultClusterOptions {
  readonly net: FaultNet;
  readonly impls: readonly Impl[];
  /** Node names are `<prefix><impl>-<i>`. */
  readonly prefix: string;
  /** `-event-handler` values for every node. */
  readonly eventHandlers?: readonly string[];
}

async function rpcReady(agent: AgentProcess): Promise<void> {
  const client = await RpcClient.connect({
    addr: agent.rpcAddress,
    timeoutMs: 1000,
    requestTimeoutMs: 2000,
  });
  try {
    await client.members();
  } finally {
    await client.close();
  }
}

function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Starts node 0, then the others joined to it; kills everything on failure. */
export async function startFaultCluster(options: FaultClusterOptions): Promise<FaultCluster> {
  const { net } = options;
  const nodes: FaultNode[] = [];
  const start = async (index: number, join: string[]): Promise<FaultNode> => {
    const impl = options.impls[index] as Impl;
    const ip = net.nodeIp(index);
    const name = `${options.prefix}${impl}-${index}`;
    const agent = await startAgentProcess(
      command(impl, net, index),
      {
        name,
        ip,
        bindPort: GOSSIP_PORT,
        rpcPort: RPC_PORT,
        logLevel: "info",
        join,
        eventHandlers: options.eventHandlers ?? [],
        startTimeoutMs: 30_000,
        attempts: 1,
      },
      rpcReady,
    );
    const rpc = async <T>(fn: (client: RpcClient) => Promise<T>): Promise<T> => {
      const client = await RpcClient.connect({
        addr: agent.rpcAddress,
        timeoutMs: 3000,
        requestTimeoutMs: 5000,
      });
      try {
        return await fn(client);
      } finally {
        await client.close();
      }
    };
    return {
      index,
      impl,
      name,
      ip,
      process: agent,
      rpc,
      members: () => rpc((c) => c.members()),
      rssKiB: () => (agent.exited ? undefined : rssOf(agent.pid)),
    };
  };
  try {
    nodes.push(await start(0, []));
    const seed = `${net.nodeIp(0)}:${GOSSIP_PORT}`;
    const rest = await Promise.allSettled(
      options.impls.slice(1).map((_, k) => start(k + 1, [seed])),
    );
    for (const r of rest) if (r.status === "fulfilled") nodes.push(r.value);
    for (const r of rest) if (r.status === "rejected") throw r.reason;
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.process.kill()));
    throw err;
  }
  nodes.sort((a, b) => a.index - b.index);
  const running = () => nodes.filter((n) => !n.process.exited);
  return {
    net,
    nodes,
    running,
    async waitForConvergence(timeoutMs) {
      await eventually(
        async () => {
          const live = running();
          for (const viewer of live) {
            const view = new Map((await viewer.members()).map((m) => [m.name, m.status]));
            if (!live.every((n) => view.get(n.name) === "alive")) return false;
          }
          return true;
        },
        { timeoutMs, intervalMs: 250, describe: "cluster did not converge" },
      );
    },
    async close() {
      await Promise.allSettled(nodes.map((n) => n.process.kill()));
    },
  };
}

/** `viewer name -> member name -> status` for every running node (a failed poll is skipped). */
export async function views(cluster: FaultCluster): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  await Promise.all(
    cluster.running().map(async (n) => {
      try {
        out.set(n.name, new Map((await n.members()).map((m) => [m.name, m.status])));
      } catch {
        // RPC timed out under load: this second has no view from that node.
      }
    }),
  );
  return out;
}
