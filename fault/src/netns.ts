/**
 * A network namespace per agent, made by the test (root needed): agent `i` of a cluster lives
 * in its own namespace with one address, `10.A.B.10+i`, on a veth whose host end is attached
 * to the cluster's bridge (`10.A.B.1` on the host). The test reaches the RPC ports through the
 * bridge; agents reach each other through it, which is where the faults go: an nftables table
 * of the `bridge` family, on the forward hook (agent-to-agent frames only: the host's own RPC
 * traffic is not forwarded), drops
 *
 * - a random share of all packets (`numgen random mod 100 < N`): loss, gossip UDP and TCP alike;
 * - every packet between two groups of addresses: a partition.
 *
 * One namespace per agent, not one loopback for all: an outgoing TCP connection (memberlist's
 * push/pull and fallback ping) is not bound to the agent's address, so on a shared loopback it
 * would carry the namespace's first address and slip through a partition.
 *
 * `destroy()` deletes the namespaces (killing nothing: stop the agents first), the bridge and
 * the table. Namespaces are named `serf-fault-<pid>-<label>-<i>`; `removeStaleNamespaces()`
 * deletes those whose test process is gone (a run killed half-way), and an exit hook removes
 * this process's own.
 */

import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";

const PREFIX = "serf-fault-";
const created = new Set<FaultNet>();
let exitHook = false;

function run(args: readonly string[], input?: string): string {
  return execFileSync(args[0] as string, args.slice(1), {
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    ...(input === undefined ? {} : { input }),
  });
}

function tryRun(args: readonly string[]): void {
  try {
    run(args);
  } catch {
    // already gone
  }
}

/** Whether this process can make namespaces and nftables rules (root, `ip`, `nft`). */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: "not Linux" };
  if (process.getuid?.() !== 0) return { ok: false, reason: "not root" };
  for (const tool of ["ip", "nft"]) {
    try {
      run(["sh", "-c", `command -v ${tool}`]);
    } catch {
      return { ok: false, reason: `\`${tool}\` not found (apt-get install iproute2 nftables)` };
    }
  }
  return { ok: true };
}

/** Deletes `serf-fault-<pid>-…` namespaces whose process no longer runs. */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  let list = "";
  try {
    list = run(["ip", "netns", "list"]);
  } catch {
    return removed;
  }
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive && pid !== process.pid) continue;
    if (pid === process.pid) continue;
    tryRun(["ip", "netns", "del", name]);
    removed.push(name);
  }
  return removed;
}

/** The nftables rules a {@link FaultNet} applies. */
export type FaultRules =
  | { readonly kind: "none" }
  | { readonly kind: "loss"; readonly percent: number }
  | {
      readonly kind: "partition";
      readonly groupA: readonly string[];
      readonly groupB: readonly string[];
    };

/** The ruleset text for `rules` on the agent-side ports `ports` (`vf…*`), exported for tests. */
export function faultRuleset(table: string, ports: string, rules: FaultRules): string {
  const lines = [
    `table bridge ${table} {`,
    "  chain forward {",
    "    type filter hook forward priority 0; policy accept;",
  ];
  if (rules.kind === "loss") {
    if (!(Number.isInteger(rules.percent) && rules.percent >= 0 && rules.percent <= 100)) {
      throw new RangeError(`loss percent must be an integer 0..100, got ${rules.percent}`);
    }
    lines.push(`    iifname "${ports}" numgen random mod 100 < ${rules.percent} drop`);
  } else if (rules.kind === "partition") {
    const a = `{ ${rules.groupA.join(", ")} }`;
    const b = `{ ${rules.groupB.join(", ")} }`;
    lines.push(`    iifname "${ports}" ip saddr ${a} ip daddr ${b} drop`);
    lines.push(`    iifname "${ports}" ip saddr ${b} ip daddr ${a} drop`);
  }
  lines.push("  }", "}");
  return `${lines.join("\n")}\n`;
}

/** One cluster's network; see the module documentation. */
export class FaultNet {
  readonly label: string;
  readonly #tag: string;
  readonly #subnet: string;
  readonly #namespaces: string[] = [];
  #destroyed = false;

  private constructor(label: string, tag: string, subnet: string) {
    this.label = label;
    this.#tag = tag;
    this.#subnet = subnet;
  }

  get #bridge(): string {
    return `bf${this.#tag}`;
  }

  get #table(): string {
    return `serf_fault_${this.#tag}`;
  }

  /** Creates the bridge and one namespace per agent. */
  static create(label: string, agents: number): FaultNet {
    if (!exitHook) {
      exitHook = true;
      process.once("exit", () => {
        for (const net of created) net.destroy();
      });
    }
    const tag = randomInt(0, 0xffffff).toString(16).padStart(6, "0");
    // 10.A.B.0/24 with A in 64..191: clear of the 127/8 loopback tests and common LANs.
    const subnet = `10.${randomInt(64, 192)}.${randomInt(0, 256)}`;
    const net = new FaultNet(label, tag, subnet);
    created.add(net);
    try {
      run(["ip", "link", "add", net.#bridge, "type", "bridge"]);
      run(["ip", "addr", "add", `${subnet}.1/24`, "dev", net.#bridge]);
      run(["ip", "link", "set", net.#bridge, "up"]);
      for (let i = 0; i < agents; i++) {
        const ns = `${PREFIX}${process.pid}-${label}-${i}`;
        const hostIf = `vf${tag}-${i}`;
        const nsIf = `vn${tag}-${i}`;
        run(["ip", "netns", "add", ns]);
        net.#namespaces.push(ns);
        run(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
        run(["ip", "link", "set", nsIf, "netns", ns]);
        run(["ip", "link", "set", hostIf, "master", net.#bridge]);
        run(["ip", "link", "set", hostIf, "up"]);
        const exec = ["ip", "netns", "exec", ns];
        run([...exec, "ip", "link", "set", "lo", "up"]);
        run([...exec, "ip", "addr", "add", `${net.nodeIp(i)}/24`, "dev", nsIf]);
        run([...exec, "ip", "link", "set", nsIf, "up"]);
      }
      net.setRules({ kind: "none" });
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  /** The address of agent `index`. */
  nodeIp(index: number): string {
    return `${this.#subnet}.${10 + index}`;
  }

  /** `argv` run inside agent `index`'s namespace (`ip netns exec NAME …`). */
  wrap(index: number, file: string, args: readonly string[]): { file: string; args: string[] } {
    const ns = this.#namespaces[index];
    if (ns === undefined) throw new Error(`no namespace for agent ${index}`);
    return { file: "ip", args: ["netns", "exec", ns, file, ...args] };
  }

  /** Replaces the fault rules. */
  setRules(rules: FaultRules): void {
    const table = this.#table;
    const text = `table bridge ${table}\ndelete table bridge ${table}\n${faultRuleset(table, `vf${this.#tag}-*`, rules)}`;
    run(["nft", "-f", "-"], text);
  }

  /** Deletes the namespaces, the bridge and the rules. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    created.delete(this);
    for (const ns of this.#namespaces) tryRun(["ip", "netns", "del", ns]);
    tryRun(["ip", "link", "del", this.#bridge]);
    tryRun(["nft", "delete", "table", "bridge", this.#table]);
  }
}
