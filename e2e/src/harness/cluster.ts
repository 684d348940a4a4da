/**
 * Multi-process e2e clusters: N `serf agent` processes, each either Go's or ours, on random
 * loopback addresses (`127.a.b.c`) with ports free on them, all started with Go serf's flags
 * through `@serf-ts/testkit` and driven over RPC with `@serf-ts/rpc-client`.
 *
 * Node 0 is the seed; the others `-join` it. Start-up waits until each agent's RPC answers.
 * Everything a cluster starts is killed by PID in `close()`, when start-up fails half-way, and
 * (through testkit's registry) by `stopAll()` and at process exit, so a timed-out test leaves
 * nothing behind. Set `SERF_TS_E2E_LOG=1` to echo agent output to stderr.
 */

import { type Member, RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentOptions,
  type AgentProcess,
  eventually,
  randomSuffix,
  startAgentProcess,
} from "@serf-ts/testkit";
import { type CliOptions, serfCli } from "./cli.ts";
import { goAgentCommand, type Impl, rpcReady } from "./implementations.ts";

/** Options of `startCluster`. */
export interface ClusterOptions {
  /** One entry per node, node 0 first (the seed). */
  readonly impls: readonly Impl[];
  /** How to run a `ts` node (from `detectTsAgent()`); required if `impls` has one. */
  readonly tsCommand?: AgentCommand;
  /** Options for every node (profile, keys, tags…). @default `{ profile: "local" }` */
  readonly agentOptions?: AgentOptions;
  /** Per-node extras, merged over `agentOptions` (0-based index). */
  readonly nodeOptions?: (index: number, impl: Impl) => AgentOptions;
  /** Node names are `<prefix><impl>-<index>`. @default `e<random>-` */
  readonly namePrefix?: string;
  /** Bound on each agent's start-up. @default 15000 */
  readonly startTimeoutMs?: number;
}

/** One node of a running cluster. */
export interface ClusterNode {
  readonly index: number;
  readonly impl: Impl;
  readonly name: string;
  readonly process: AgentProcess;
  readonly bindAddress: string;
  readonly rpcAddress: string;
  /** The options it was started with (name, join and log echo included). */
  readonly options: AgentOptions;
  /** Runs `fn` with a fresh RPC connection to this node, closed afterwards. */
  withRpc<T>(fn: (client: RpcClient) => Promise<T>): Promise<T>;
  /** Every member this node knows (`members` over RPC). */
  members(): Promise<Member[]>;
  /** SIGINT by PID (graceful leave) and a bounded wait for the exit (SIGKILL after it). */
  leave(timeoutMs?: number): Promise<void>;
  /** SIGKILL by PID: a crash, no leave. */
  crash(): Promise<void>;
  /** `serf <args…>` against this node (see `serfCli`); resolves stdout, rejects unless exit 0. */
  cli(args: readonly string[], options?: CliOptions): Promise<string>;
}

/** A running cluster. */
export interface Cluster {
  /** Every node started so far (a restarted node replaces its old entry), by index. */
  readonly nodes: readonly ClusterNode[];
  /**
   * Starts one more node (index `nodes.length`), joined to the first running node unless
   * `options.join` says otherwise; resolves once its RPC answers.
   */
  add(impl: Impl, options?: AgentOptions): Promise<ClusterNode>;
  /**
   * Starts node `index` again after it exited: same name, IP, gossip and RPC ports and options
   * (e.g. `snapshot`), but no `-join` unless `options.join` gives one; replaces the old entry.
   */
  restart(index: number, options?: AgentOptions): Promise<ClusterNode>;
  /** Node `index`; throws if there is none. */
  node(index: number): ClusterNode;
  /** Nodes whose process still runs. */
  running(): ClusterNode[];
  /** `name -> status` as `viewer` sees it. */
  statuses(viewer: ClusterNode): Promise<Map<string, string>>;
  /**
   * Waits until every running node (or `viewers`) lists `name` with `status`; rejects with the
   * cluster state after `timeoutMs`.
   */
  waitForStatus(
    name: string,
    status: string,
    options?: { readonly viewers?: readonly ClusterNode[]; readonly timeoutMs?: number },
  ): Promise<void>;
  /** Waits until every running node lists every running node as alive. */
  waitForConvergence(timeoutMs?: number): Promise<void>;
  /** Every node's view and the tail of its log, for failure messages. */
  describe(): Promise<string>;
  /** Kills (SIGKILL, by PID) every node still running. Idempotent. */
  close(): Promise<void>;
}

function echoLog(name: string): ((text: string) => void) | undefined {
  if (process.env.SERF_TS_E2E_LOG !== "1") return undefined;
  return (text) => {
    for (const line of text.split("\n"))
      if (line !== "") process.stderr.write(`[${name}] ${line}\n`);
  };
}

function makeNode(
  index: number,
  impl: Impl,
  agent: AgentProcess,
  options: AgentOptions,
): ClusterNode {
  const withRpc = async <T>(fn: (client: RpcClient) => Promise<T>): Promise<T> => {
    const client = await RpcClient.connect({
      addr: agent.rpcAddress,
      timeoutMs: 2000,
      requestTimeoutMs: 5000,
      ...(agent.rpcAuth === undefined ? {} : { authKey: agent.rpcAuth }),
    });
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };
  const node: ClusterNode = {
    index,
    impl,
    name: agent.name,
    process: agent,
    bindAddress: agent.bindAddress,
    rpcAddress: agent.rpcAddress,
    options,
    withRpc,
    members: () => withRpc((c) => c.members()),
    leave: (timeoutMs = 15_000) => agent.stop("SIGINT", timeoutMs),
    crash: () => agent.kill(),
    cli: (args, cliOptions) => serfCli(node, args, cliOptions),
  };
  return node;
}

/**
 * Starts the cluster: node 0, then the others at once, each joining node 0. Resolves when every
 * agent's RPC answers (not yet converged: see `waitForConvergence`). On any failure, kills what
 * it started and rejects.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const prefix = options.namePrefix ?? `e${randomSuffix()}-`;
  const base = options.agentOptions ?? { profile: "local" };
  const commandFor = (impl: Impl): AgentCommand => {
    if (impl === "go") return goAgentCommand();
    if (options.tsCommand === undefined) {
      throw new Error("a `ts` node needs `tsCommand` (see detectTsAgent())");
    }
    return options.tsCommand;
  };
  const startNode = async (
    index: number,
    impl: Impl,
    join: readonly string[],
    extra: AgentOptions = {},
  ): Promise<ClusterNode> => {
    const name = `${prefix}${impl}-${index}`;
    const onLog = echoLog(name);
    const agentOptions: AgentOptions = {
      ...base,
      name,
      ...(join.length === 0 ? {} : { join }),
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      ...(onLog === undefined ? {} : { onLog }),
      ...options.nodeOptions?.(index, impl),
      ...extra,
    };
    const agent = await startAgentProcess(commandFor(impl), agentOptions, rpcReady);
    return makeNode(index, impl, agent, agentOptions);
  };
  const implAt = (index: number): Impl => {
    const impl = options.impls[index];
    if (impl === undefined) throw new Error(`no node ${index}`);
    return impl;
  };

  const nodes: ClusterNode[] = [];
  try {
    if (options.impls.length === 0) throw new Error("a cluster needs at least one node");
    const seed = await startNode(0, implAt(0), []);
    nodes.push(seed);
    const rest = await Promise.allSettled(
      options.impls.slice(1).map((_, k) => startNode(k + 1, implAt(k + 1), [seed.bindAddress])),
    );
    for (const r of rest) if (r.status === "fulfilled") nodes.push(r.value);
    for (const r of rest) if (r.status === "rejected") throw r.reason;
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.crash()));
    throw err;
  }
  nodes.sort((a, b) => a.index - b.index);
  let nextIndex = options.impls.length;
  const add = async (impl: Impl, extra: AgentOptions = {}): Promise<ClusterNode> => {
    const index = nextIndex++;
    const seed = nodes.find((n) => !n.process.exited);
    const join = seed === undefined ? [] : [seed.bindAddress];
    const node = await startNode(index, impl, join, extra);
    nodes.push(node);
    nodes.sort((a, b) => a.index - b.index);
    return node;
  };
  const restart = async (index: number, extra: AgentOptions = {}): Promise<ClusterNode> => {
    const at = nodes.findIndex((n) => n.index === index);
    const old = nodes[at];
    if (old === undefined) throw new Error(`no node ${index}`);
    if (!old.process.exited) throw new Error(`${old.name} still runs (pid ${old.process.pid})`);
    const { join: _join, ...kept } = old.options;
    const agentOptions: AgentOptions = {
      ...kept,
      ip: old.process.ip,
      bindPort: old.process.bindPort,
      rpcPort: old.process.rpcPort,
      ...extra,
    };
    const agent = await startAgentProcess(commandFor(old.impl), agentOptions, rpcReady);
    const node = makeNode(index, old.impl, agent, agentOptions);
    nodes[at] = node;
    return node;
  };
  return makeCluster(nodes, add, restart);
}

/** The last `chars` of a log, without the RPC connection lines our own polling causes. */
export function logTail(log: string, chars = 4000): string {
  const kept = log
    .split("\n")
    .filter((line) => !/Accepted client|client closed|ipc: .*(?:connect|disconnect)/i.test(line));
  return kept.join("\n").slice(-chars);
}

function makeCluster(
  nodes: readonly ClusterNode[],
  add: Cluster["add"],
  restart: Cluster["restart"],
): Cluster {
  const running = (): ClusterNode[] => nodes.filter((n) => !n.process.exited);
  const statuses = async (viewer: ClusterNode): Promise<Map<string, string>> =>
    new Map((await viewer.members()).map((m) => [m.name, m.status]));
  const describe = async (): Promise<string> => {
    const views = await Promise.all(
      nodes.map(async (n) => {
        const who = `${n.name} (${n.impl}, pid ${n.process.pid})`;
        if (n.process.exited) {
          return `${who}: exited code=${n.process.exitCode} signal=${n.process.signalCode}`;
        }
        const view = await statuses(n).then(
          (m) => JSON.stringify(Object.fromEntries(m)),
          (e: unknown) => `members failed: ${e instanceof Error ? e.message : String(e)}`,
        );
        return `${who}: ${view}`;
      }),
    );
    const tails = nodes.map((n) => `--- ${n.name} log tail ---\n${logTail(n.process.log())}`);
    return `\n${views.join("\n")}\n${tails.join("\n")}`;
  };
  const cluster: Cluster = {
    nodes,
    add,
    restart,
    node: (index) => {
      const n = nodes.find((candidate) => candidate.index === index);
      if (n === undefined) throw new Error(`no node ${index} in a cluster of ${nodes.length}`);
      return n;
    },
    running,
    statuses,
    async waitForStatus(name, status, options = {}) {
      await eventually(
        async () => {
          for (const viewer of options.viewers ?? running()) {
            if ((await statuses(viewer)).get(name) !== status) return false;
          }
          return true;
        },
        {
          timeoutMs: options.timeoutMs ?? 20_000,
          intervalMs: 200,
          describe: async () => `${name} not "${status}" everywhere${await describe()}`,
        },
      );
    },
    async waitForConvergence(timeoutMs = 20_000) {
      await eventually(
        async () => {
          const live = running();
          for (const viewer of live) {
            const view = await statuses(viewer);
            if (!live.every((n) => view.get(n.name) === "alive")) return false;
          }
          return true;
        },
        {
          timeoutMs,
          intervalMs: 200,
          describe: async () => `cluster did not converge${await describe()}`,
        },
      );
    },
    describe,
    async close() {
      await Promise.allSettled(nodes.map((n) => n.crash()));
    },
  };
  return cluster;
}
