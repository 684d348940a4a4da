/**
 * Golden tests: every subcommand run through our `run()` and through Go's `serf` against the
 * SAME agents; stdout, stderr and the exit code must match, modulo Go's random map order and
 * timing values (see golden.harness.ts for each normaliser). The agents are Go's (`go`), or ours
 * (`ts`, in clusters that also hold a Go agent). A last suite runs Go's CLI against a TS agent
 * and a Go agent of one mixed cluster and compares the two, modulo node-specific fields.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentOptions,
  canRun,
  eventually,
  type GoAgent,
  GossipMissLedger,
  missingFile,
  requireGoSerf,
  stopAll,
  writeQueryResponder,
} from "@serf-ts/testkit";
import { HELP_ADDITIONS } from "@serf-ts/agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "./commands/index.ts";
import {
  answeredBy,
  BIN,
  baseEnv,
  type GossipedCheck,
  keyAnswers,
  reachabilityAnswers,
  type CliResult,
  eventBlocks,
  identity,
  type Impl,
  infoText,
  membersText,
  type Normalizer,
  normalize,
  reachabilityText,
  rttText,
  runGo,
  runOurs,
  sortLines,
  startAgent,
  startCluster,
} from "./golden.harness.ts";

const haveGo = requireGoSerf();
const haveTs = canRun(
  "golden tests against serf-ts agents",
  missingFile(BIN, "build @serf-ts/cli (pnpm build)"),
);
/** Shorter gossip intervals (1.6 s default query timeout), as the golden outputs assume. */
const LOCAL: AgentOptions = { profile: "local" };

/** Runs Go, then ours, with the same arguments and environment; compares normalised output. */
async function same(
  args: readonly string[],
  f: Normalizer = identity,
  env: Record<string, string> = baseEnv(),
): Promise<{ stdout: string; code: number | null }> {
  const go = await runGo(args, { env });
  const ours = await runOurs(args, { env });
  return check(args, f, go, ours);
}

/**
 * Answers that gossip did not bring, per variant (the agents' implementation): a gossiped
 * command (query, keys, reachability) is compared ONCE, after the cluster converged; a node
 * that did not answer in either CLI's run is recorded here and left out of that comparison.
 * The last test asserts the serf-ts agents missed no more than Go's did (+1).
 */
const misses = new GossipMissLedger();
/**
 * As `same`, for a gossiped command against the agents of variant `impl`: run ONCE per CLI
 * (both at once if `concurrent`), the nodes that did not answer recorded in `misses` and left
 * out of the comparison (see `GossipedCheck`). Callers wait for `converged()` first.
 */
async function sameGossiped(
  impl: Impl,
  args: readonly string[],
  f: Normalizer,
  answers: GossipedCheck,
  { concurrent = false }: { concurrent?: boolean } = {},
): Promise<{ stdout: string; code: number | null }> {
  const [go, ours] = concurrent
    ? await Promise.all([runGo(args), runOurs(args)])
    : [await runGo(args, { env: baseEnv() }), await runOurs(args, { env: baseEnv() })];
  const goMissing = answers.missing(go.stdout + go.stderr);
  const ourMissing = answers.missing(ours.stdout + ours.stderr);
  misses.record(impl, `Go's CLI: serf ${args.join(" ")}`, goMissing);
  misses.record(impl, `our CLI: serf ${args.join(" ")}`, ourMissing);
  const gone = [...new Set([...goMissing, ...ourMissing])];
  const rest = (r: CliResult): CliResult => ({
    ...r,
    stdout: answers.without(f(r.stdout), gone),
    stderr: answers.without(r.stderr, gone),
  });
  check(args, identity, rest(go), rest(ours));
  return { stdout: ours.stdout, code: ours.code };
}

/** Resolves once every agent of `agents` lists all of them alive (the condition to ask). */
async function converged(agents: readonly GoAgent[]): Promise<void> {
  await eventually(
    async () => {
      for (const a of agents) {
        const alive = new Set(
          (await a.members()).filter((m) => m.status === "alive").map((m) => m.name),
        );
        if (!agents.every((b) => alive.has(b.name))) return false;
      }
      return true;
    },
    { timeoutMs: 20_000 },
  );
}

function check(args: readonly string[], f: Normalizer, go: CliResult, ours: CliResult) {
  expect(normalize(ours, f), `serf ${args.join(" ")}`).toEqual(normalize(go, f));
  return { stdout: ours.stdout, code: ours.code };
}

describe.skipIf(!haveGo)("golden: without an agent", () => {
  it("help of every command, and of the dispatcher", async () => {
    for (const name of COMMANDS.keys()) {
      if (name === "agent") continue;
      await same([name, "-h"]);
      await same([name, "--help"]);
    }
    await same([]);
    await same(["-h"]);
    await same(["bogus"]);
    await same(["help"]);
    await same(["-version"]);
    await same(["-foo", "members"]);
  });

  it("flag and usage errors", async () => {
    const cases: string[][] = [
      ["members", "-bogus"],
      ["members", "--h"],
      ["members", "-tag", "noequals"],
      ["members", "-tag", "=x"],
      ["event", "-coalesce=x", "a"],
      ["event"],
      ["event", "a", "b", "c"],
      ["query", "-relay-factor=x", "q"],
      ["query", "-relay-factor=300", "q"],
      ["query", "-timeout=5", "q"],
      ["query", "-tag", "noequals", "q"],
      ["query"],
      ["query", "a", "b", "c"],
      ["join"],
      ["force-leave"],
      ["force-leave", "a", "b"],
      ["tags"],
      ["keys"],
      ["keys", "-list", "-install=x"],
      ["keys", "-use=a", "-remove=b"],
      ["monitor", "-log-level"],
    ];
    for (const args of cases) await same(args);
  });

  it("connection errors", async () => {
    const cases: string[][] = [
      ["members", "-rpc-addr=127.0.0.1:1"],
      ["members", "-rpc-addr=127.0.0.1"],
      ["members", "-rpc-addr="],
      ["members", "-rpc-addr=1.2.3.4:99999"],
      ["members", "-rpc-addr=127.0.0.1:abc"],
      ["info", "-rpc-addr", "127.0.0.1:1"],
      ["rtt", "-rpc-addr=127.0.0.1:1"],
      ["monitor", "-rpc-addr=127.0.0.1:1"],
      ["query", "-rpc-addr=127.0.0.1:1", "q"],
      ["keys", "-list", "-rpc-addr=127.0.0.1:1"],
      ["leave", "-rpc-addr=[::1]:1"],
    ];
    for (const args of cases) await same(args);
    await same(["members"], identity, baseEnv({ SERF_RPC_ADDR: "127.0.0.1:1" }));
  });

  it("version and keygen", async () => {
    const go = await runGo(["version"]);
    const ours = await runOurs(["members", "-v"]);
    expect(ours.code).toBe(0);
    expect(ours.stdout.split("\n").slice(1)).toEqual(go.stdout.split("\n").slice(1));
    const key = await runOurs(["keygen", "ignored"]);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(key.stdout.trim(), "base64")).toHaveLength(32);
  });

  it("agent rejects bad flags and config as Go does", async () => {
    for (const args of [
      ["agent", "-no-such-flag"],
      ["agent", "-log-level=bogus", "-bind=127.0.0.1:1", "-rpc-addr=127.0.0.1:1"],
      ["agent", "-event-handler=nosuch-event=./h.sh", "-bind=127.0.0.1:1"],
    ]) {
      const [go, ours] = await Promise.all([runGo(args), runOurs(args)]);
      const pick = (r: typeof go) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });
      // Our agent help also lists 0.10.2's -mdns-* flags: take exactly those out (and fail if
      // they are missing), the rest must be Go 0.9.4's bytes.
      let stdout = ours.stdout;
      if (stdout.includes("Usage: serf agent")) {
        for (const [old, added] of HELP_ADDITIONS) {
          expect(stdout).toContain(added);
          stdout = stdout.replace(added, old);
        }
      }
      expect({ ...pick(ours), stdout }, args.join(" ")).toEqual(pick(go));
    }
  });
});

/**
 * The agents of each variant: the targets of the commands (cluster nodes 0 and 1, the auth
 * agent, the first encrypted agent, the leavers) are of the variant's implementation; a Go
 * agent is always in the clusters.
 */
const VARIANTS = [
  { impl: "go", cluster: ["go", "go", "go"], encrypted: ["go", "go"], skip: !haveGo },
  { impl: "ts", cluster: ["ts", "ts", "go"], encrypted: ["ts", "go"], skip: !haveGo || !haveTs },
] as const satisfies readonly {
  impl: Impl;
  cluster: readonly Impl[];
  encrypted: readonly Impl[];
  skip: boolean;
}[];

for (const { impl, cluster: impls, encrypted: encImpls, skip } of VARIANTS) {
  describe.skipIf(skip)(`golden: against ${impl} agents`, () => {
    let dir = "";
    let cluster: GoAgent[] = [];
    let authAgent: GoAgent;
    let encrypted: GoAgent[] = [];
    let leavers: GoAgent[] = [];
    const key1 = randomBytes(32).toString("base64");
    const addr = (a: GoAgent | undefined): string => {
      if (a === undefined) throw new Error("agent missing");
      return `-rpc-addr=${a.rpcAddress}`;
    };
    const n = (i: number): GoAgent => {
      const a = cluster[i];
      if (a === undefined) throw new Error(`no agent ${i}`);
      return a;
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "serf-ts-cli-golden-"));
      const script = writeQueryResponder(dir);
      [cluster, authAgent, encrypted, leavers] = await Promise.all([
        startCluster(impls, (i) => ({
          ...LOCAL,
          tags: { role: `web${i}`, dc: "east" },
          eventHandlers: [`query:greet=${script}`],
        })),
        startAgent(impl, { ...LOCAL, name: "auth1", rpcAuth: "s3cret" }),
        startCluster(encImpls, () => ({ ...LOCAL, encryptKey: key1 })),
        Promise.all([
          startAgent(impl, { ...LOCAL, name: "leave-go" }),
          startAgent(impl, { ...LOCAL, name: "leave-ts" }),
        ]),
      ]);
    }, 70_000);

    afterAll(async () => {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    it("members", async () => {
      const a = addr(n(0));
      await same(["members", a], membersText);
      await same(["members", "-detailed", a], membersText);
      await same(["members", "-status=alive", "-tag", "role=web[12]", a], membersText);
      await same(["members", "-name", n(1).name, a], membersText);
      await same(["members", "-role=web1", a], membersText);
      await same(["members", "-name=nobody", a]);
      await same(["members", "-format=xml", a]);
      await same(["members", "-name=[", a]);
      await same(["members", `-rpc-auth=anything`, a], membersText);
      await same(["members"], membersText, baseEnv({ SERF_RPC_ADDR: n(1).rpcAddress }));
      // JSON: the same lines (members come in random order; tags are sorted by Go's encoder).
      const json = await same(["members", "-format=json", a], sortLines);
      const parsed = JSON.parse(json.stdout) as { members: { name: string }[] };
      expect(parsed.members.map((m) => m.name).sort()).toEqual(cluster.map((x) => x.name).sort());
      await same(["members", "-format", "json", "-name=nobody", a]);
    });

    it("info", async () => {
      await same(["info", addr(n(0))], infoText);
      await same(["info", "-format=json", addr(n(0))], infoText);
      await same(["info", "-format=yaml", addr(n(0))]);
    });

    it("event", async () => {
      const a = addr(n(0));
      await same(["event", a, "deploy", "v1.2.3"]);
      await same(["event", "-coalesce=false", a, "deploy"]);
      await same(["event", a, "", "x"]);
      await same(["event", a, "_serf_x"]);
      await same(["event", a, "big", "x".repeat(600)]);
    });

    it("join and force-leave", async () => {
      await same(["join", addr(n(1)), n(0).bindAddress]);
      await same(["join", "-replay", addr(n(1)), n(0).bindAddress, "127.0.0.1:1"]);
      await same(["join", addr(n(1)), "127.0.0.1:1"]);
      await same(["force-leave", addr(n(0)), "nobody"]);
      await same(["force-leave", "-prune", addr(n(0)), "nobody"]);
    });

    it("tags", async () => {
      const a = addr(n(2));
      await same(["tags", a, "-set", "extra=1", "-delete", "dc"]);
      await same(["tags", a, "-set", "nobody"]);
      await same(["tags", a, "-set", `big=${"x".repeat(600)}`]);
      await same(["tags", a, "-set", "dc=east", "-delete", "extra"]);
    });

    /** A query through both CLIs at once, answered by `expected` (see `sameGossiped`). */
    const query = (args: readonly string[], expected: readonly GoAgent[], f = identity) =>
      sameGossiped(
        impl,
        args,
        f,
        answeredBy(() => expected),
        { concurrent: true },
      );

    it("query", async () => {
      const a = addr(n(0));
      await converged(cluster);
      // Text output lines arrive in network order: compared as sets (first line included).
      await query(["query", "-timeout=800ms", a, "greet", "payload"], cluster, sortLines);
      await query(["query", "-no-ack", "-timeout=800ms", a, "greet"], cluster, sortLines);
      await query(["query", "-node", n(1).name, "-timeout=800ms", a, "greet"], [n(1)]);
      await query(["query", "-tag", "role=web1", "-timeout=800ms", a, "greet"], [n(0)]);
      await query(["query", "-node", "nobody", "-timeout=600ms", a, "greet"], []);
      // JSON: acks come in arrival order, so which one lacks the trailing comma varies.
      await query(["query", "-format=json", "-timeout=800ms", a, "greet", "p"], cluster, (t) =>
        sortLines(t.replace(/,$/gm, "")),
      );
      await query(
        ["query", "-format=json", "-no-ack", "-node", n(0).name, "-timeout=600ms", a, "greet"],
        [n(0)],
      );
      await query(
        ["query", "-relay-factor=2", "-node", n(2).name, "-timeout=600ms", a, "greet"],
        [n(2)],
      );
      await same(["query", a, "_serf_x"]);
      await same(["query", "-format=xml", a, "greet"]);
    });

    it("rtt", async () => {
      const a = addr(n(0));
      await eventually(async () => (await runOurs(["rtt", a, n(1).name])).code === 0, {
        timeoutMs: 10_000,
      });
      await same(["rtt", a, n(1).name], rttText);
      await same(["rtt", a, n(1).name, n(0).name], rttText);
      await same(["rtt", a, "nobody"]);
      await same(["rtt", a]);
      await same(["rtt", a, "x", "y", "z"]);
    });

    it("reachability", async () => {
      await converged(cluster);
      const reach = (args: readonly string[]) =>
        sameGossiped(impl, args, reachabilityText, reachabilityAnswers, { concurrent: true });
      await reach(["reachability", addr(n(0))]);
      await reach(["reachability", "-verbose", addr(n(1))]);
    });

    it("keys on a plain cluster", async () => {
      const a = addr(n(0));
      await converged(cluster);
      const keys = (args: readonly string[], f = identity) =>
        sameGossiped(
          impl,
          ["keys", ...args, a],
          f,
          keyAnswers(() => cluster),
        );
      await keys(["-list"], sortLines);
      await keys([`-install=${randomBytes(32).toString("base64")}`], sortLines);
      await keys(["-install=notbase64!!"]);
    });

    it("keys on an encrypted cluster", async () => {
      const a = addr(encrypted[0]);
      await converged(encrypted);
      const keys = (args: readonly string[], f = identity) =>
        sameGossiped(
          impl,
          ["keys", ...args, a],
          f,
          keyAnswers(() => encrypted),
        );
      const key2 = randomBytes(32).toString("base64");
      await keys(["-list"], sortLines);
      await keys([`-install=${key2}`]);
      await keys(["-list"], sortLines);
      await keys([`-use=${key2}`]);
      await keys([`-remove=${key2}`], sortLines);
      await keys([`-remove=${key1}`]);
      await keys([`-use=${key1}`], sortLines);
      await keys([`-install=${Buffer.alloc(8).toString("base64")}`], sortLines);
    });

    it("auth", async () => {
      const a = addr(authAgent);
      await same(["members", a]);
      await same(["members", a, "-rpc-auth=s3cret"], membersText);
      await same(["members", a, "-rpc-auth=wrong"]);
      await same(["members", a], membersText, baseEnv({ SERF_RPC_AUTH: "s3cret" }));
      await same(["event", a, "e"]);
      await same(["monitor", a]);
      await same(["query", a, "q"]);
      await same(["keys", "-list", a]);
      await same(["leave", a]);
    });

    it("monitor prints the same events as they happen; Ctrl-C exits 0", async () => {
      const a = addr(n(0));
      const window = 4500;
      const [go, ours] = await Promise.all([
        runGo(["monitor", a], { interruptAfterMs: window }),
        runOurs(["monitor", a], { interruptAfterMs: window }),
        (async () => {
          await new Promise((r) => setTimeout(r, 700));
          await runGo(["event", "-coalesce=false", a, "golden-ev", "p1"]);
          await runGo(["event", "-coalesce=false", a, "golden-empty"]);
          await runGo(["query", "-timeout=200ms", a, "monq", "qp"]);
          const extra = await startAgent("go", {
            ...LOCAL,
            name: "golden-extra",
            join: [n(0).bindAddress],
            tags: { role: "db" },
          });
          await new Promise((r) => setTimeout(r, 500));
          await extra.kill();
        })(),
      ]);
      expect(ours.code).toBe(0);
      expect(go.code).toBe(0);
      const blocks = eventBlocks(ours.stdout);
      expect(blocks).toEqual(eventBlocks(go.stdout));
      expect(blocks.some((b) => b.includes('Name: "golden-ev"'))).toBe(true);
      expect(blocks.some((b) => b.includes('Name: "monq"'))).toBe(true);
      expect(blocks.some((b) => b.includes('Event: "member-join"'))).toBe(true);
      expect(ours.stdout).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[[A-Z]+\] /m);
      await same(["monitor", "-log-level=bogus", a]);
    }, 20_000);

    it("leave, and a monitor whose agent goes away", async () => {
      const [goAgent, tsAgent] = leavers;
      if (goAgent === undefined || tsAgent === undefined) throw new Error("missing leavers");
      const goMonitor = runGo(["monitor", addr(goAgent)]);
      const ourMonitor = runOurs(["monitor", addr(tsAgent)]);
      await new Promise((r) => setTimeout(r, 500));
      const [goLeave, ourLeave] = await Promise.all([
        runGo(["leave", addr(goAgent)]),
        runOurs(["leave", addr(tsAgent)]),
      ]);
      expect(ourLeave).toEqual({ ...goLeave, signal: null });
      expect(ourLeave.stdout).toBe("Graceful leave complete\n");
      const [gm, om] = await Promise.all([goMonitor, ourMonitor]);
      const tail = (t: string) => t.split("\n").slice(-4).join("\n");
      expect(om.code).toBe(1);
      expect(om.code).toBe(gm.code);
      expect(tail(om.stdout)).toBe(tail(gm.stdout));
      expect(tail(om.stdout)).toBe(
        "\nRemote side ended the monitor! This usually means that the\nremote side has exited or crashed.\n",
      );
      await eventually(() => goAgent.exited && tsAgent.exited, { timeoutMs: 5000 });
    }, 20_000);
  });
}

describe.skipIf(VARIANTS.some((v) => v.skip))("golden: gossip misses", () => {
  it("serf-ts agents missed no more answers than Go agents (+1) in this run", () => {
    const excess = misses.excess("ts", "go", 1);
    console.info(`golden gossip misses:\n${misses.report()}`);
    expect(excess).toBeUndefined();
  });
});
