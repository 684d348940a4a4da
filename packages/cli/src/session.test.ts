/**
 * The seeds' session, replayed with our CLI only, on random 127.x.y.z addresses: three agents
 * (`serf agent -node=agent1 …` through `node dist/main.js`), `serf join`, `serf members`,
 * SIGKILL on one → `failed`, restarting it with the same `-snapshot` → `alive` again without a
 * join, Ctrl-C (SIGINT) on another → `left`, `serf event name payload` seen by a handler, and
 * `serf query -node agent1 uptime` answered by a `query:uptime=uptime` handler. Every agent is
 * killed by PID in `afterAll`.
 *
 * The crash comes before the graceful leave: with a single member left to probe it, a killed
 * node stays `alive` for a long while (Go's agents do the same: no one to ask for an indirect
 * probe), which would make the test slow rather than exercise anything.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentOptions,
  type AgentProcess,
  canRun,
  eventually,
  missingFile,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, runBin } from "./golden.harness.ts";

const runnable = canRun(
  "the serf-ts CLI session test",
  missingFile(BIN, "build @serf-ts/cli (pnpm build)") ??
    (existsSync("/usr/bin/uptime") || existsSync("/bin/uptime")
      ? undefined
      : "no `uptime` in /usr/bin or /bin (Debian package procps)"),
);

describe.skipIf(!runnable)("session: three serf-ts agents driven by our CLI", () => {
  let dir = "";
  let handler = "";
  const agents = new Map<string, AgentProcess>();
  const agent = (name: string): AgentProcess => {
    const a = agents.get(name);
    if (a === undefined) throw new Error(`no ${name}`);
    return a;
  };
  const rpc = (name: string): string => `-rpc-addr=${agent(name).rpcAddress}`;
  const seen = (name: string): string => {
    const file = join(dir, `seen-${name}`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };

  /** `serf agent -node=<name> …` through our built CLI; ready once `serf members` answers. */
  const start = async (name: string, extra: AgentOptions = {}): Promise<AgentProcess> => {
    const a = await startAgentProcess(
      { label: "ts", file: process.execPath, args: [BIN, "agent"] },
      {
        name,
        profile: "local",
        logLevel: "info",
        snapshot: join(dir, `${name}.snapshot`),
        eventHandlers: [`user=${handler}`, "query:uptime=uptime"],
        ...extra,
      },
      async (p) => {
        const r = await runBin(["members", `-rpc-addr=${p.rpcAddress}`]);
        if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      },
    );
    agents.set(name, a);
    return a;
  };
  /** `serf members` (our CLI, text) through `via`: name → status. */
  const statuses = async (via: string): Promise<Map<string, string>> => {
    const r = await runBin(["members", rpc(via)]);
    expect(r.code).toBe(0);
    return new Map(
      r.stdout
        .trim()
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .map(([name = "", , status = ""]) => [name, status]),
    );
  };
  const statusOf = async (via: string, name: string) => (await statuses(via)).get(name);
  const describeViews = async (): Promise<string> => {
    const lines: string[] = [];
    for (const [name, a] of agents) {
      if (a.exited) continue;
      const view = await statuses(name).then(
        (m) => JSON.stringify(Object.fromEntries(m)),
        (e: unknown) => String(e),
      );
      lines.push(`${name}: ${view}`);
    }
    return lines.join("\n");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-session-"));
    handler = join(dir, "on-user-event.sh");
    writeFileSync(
      handler,
      `#!/bin/sh\necho "$SERF_EVENT $SERF_USER_EVENT $(cat)" >> "${dir}/seen-$SERF_SELF_NAME"\n`,
      { mode: 0o755 },
    );
    await Promise.all(["agent1", "agent2", "agent3"].map((name) => start(name)));
  }, 30_000);

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serf join, then serf members lists all three alive", { timeout: 40_000 }, async () => {
    for (const a of agents.values()) expect(a.ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    const joined = await runBin([
      "join",
      rpc("agent1"),
      agent("agent2").bindAddress,
      agent("agent3").bindAddress,
    ]);
    expect(joined).toMatchObject({
      code: 0,
      stdout: "Successfully joined cluster by contacting 2 nodes.\n",
    });
    // agent1 pushed/pulled state with agent2 and agent3 directly; agent2 learns agent3 (and
    // agent3 agent2, if agent1 had not yet merged it) only from agent1's gossip of the other's
    // `alive`, sent twice under -profile=local. A node that misses both learns it at the next
    // push/pull (every 15 s under -profile=local): one round plus margin, for all three.
    await eventually(
      async () => {
        for (const via of ["agent1", "agent2", "agent3"]) {
          const alive = [...(await statuses(via)).values()].filter((s) => s === "alive");
          if (alive.length !== 3) return false;
        }
        return true;
      },
      { timeoutMs: 25_000, describe: describeViews },
    );
    const members = await runBin(["members", rpc("agent2")]);
    const lines = members.stdout.trim().split("\n").sort();
    expect(lines).toHaveLength(3);
    for (const [i, name] of ["agent1", "agent2", "agent3"].entries()) {
      expect(lines[i]).toMatch(
        new RegExp(`^${name}\\s+${agent(name).bindAddress.replaceAll(".", "\\.")}\\s+alive\\s*$`),
      );
    }
  });

  it("SIGKILL on agent3: `failed`; restarted with the same snapshot it is `alive` without a join", async () => {
    const old = agent("agent3");
    // The snapshot is flushed every 500 ms, as Go's is: a kill sooner after the join would find
    // the members not yet written (Go loses them too). Wait for the flush, then kill.
    const snapshot = join(dir, "agent3.snapshot");
    await eventually(() => readFileSync(snapshot, "utf8").includes("alive: agent1"), {
      timeoutMs: 5_000,
      describe: () => `agent3.snapshot:\n${readFileSync(snapshot, "utf8")}`,
    });
    await old.kill();
    // Up to ~20 s: if agent1 hears neither agent2's suspect nor its dead broadcast (each sent
    // only twice under -profile=local), it waits out Lifeguard's 18 s maximum on its own.
    await eventually(async () => (await statusOf("agent1", "agent3")) === "failed", {
      timeoutMs: 30_000,
      describe: describeViews,
    });
    expect(readFileSync(join(dir, "agent3.snapshot"), "utf8")).toContain("alive: agent1");
    const again = await start("agent3", {
      ip: old.ip,
      bindPort: old.bindPort,
      rpcPort: old.rpcPort,
    });
    expect(again.argv.some((arg) => arg.startsWith("-join"))).toBe(false);
    await eventually(
      async () =>
        (await statusOf("agent1", "agent3")) === "alive" &&
        (await statusOf("agent3", "agent1")) === "alive" &&
        (await statusOf("agent3", "agent2")) === "alive",
      // One push/pull (15 s) plus margin, for an alive broadcast that misses a node.
      { timeoutMs: 25_000, describe: describeViews },
    );
    expect(again.log()).toMatch(/Attempting re-join to previously known node: agent[12]: /);
  }, 70_000);

  it("Ctrl-C (SIGINT) on agent2: it leaves gracefully and is `left`", async () => {
    await agent("agent2").stop("SIGINT", 15_000);
    expect(agent("agent2").signalCode ?? agent("agent2").exitCode).toBe(0);
    expect(agent("agent2").log()).toContain("Gracefully shutting down agent...");
    await eventually(async () => (await statusOf("agent1", "agent2")) === "left", {
      timeoutMs: 25_000,
      describe: describeViews,
    });
  }, 45_000);

  it("serf event name payload: the user-event handlers see it", async () => {
    const r = await runBin(["event", rpc("agent3"), "name", "payload"]);
    expect(r).toMatchObject({
      code: 0,
      stdout: "Event 'name' dispatched! Coalescing enabled: true\n",
    });
    await eventually(
      () =>
        seen("agent1").includes("user name payload") &&
        seen("agent3").includes("user name payload"),
      { timeoutMs: 10_000, describe: () => `agent1: ${seen("agent1")}\nagent3: ${seen("agent3")}` },
    );
  });

  it("serf query -node agent1 uptime: answered by the uptime handler", async () => {
    let last = "";
    await eventually(
      async () => {
        const r = await runBin(["query", "-node", "agent1", rpc("agent3"), "uptime"]);
        last = r.stdout;
        return r.code === 0 && r.stdout.includes("Total Responses: 1");
      },
      { timeoutMs: 15_000, describe: () => last },
    );
    const lines = last.trim().split("\n");
    expect(lines[0]).toBe("Query 'uptime' dispatched");
    expect(lines).toContain("Ack from 'agent1'");
    expect(last).toMatch(/^Response from 'agent1': .*\bload average\b.*$/m);
    expect(lines.slice(-2)).toEqual(["Total Acks: 1", "Total Responses: 1"]);
  }, 20_000);
});
