/**
 * Go's `serf` CLI against our agent gets the same results as against a Go agent: one mixed
 * cluster (TS and Go agents alternating, all with a `query=<script>` handler), and every
 * command run by Go's CLI against a TS member and against a Go member, outputs compared modulo
 * node-specific fields (own name, tags, runtime, timings). A 2-node mixed encrypted cluster
 * serves the key commands. Every agent is killed by PID in `afterAll`.
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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answeredBy,
  BIN,
  baseEnv,
  type CliResult,
  type GossipedCheck,
  identity,
  infoText,
  keyAnswers,
  membersText,
  type Normalizer,
  normalize,
  runGo,
  rttText,
  sortLines,
  startCluster,
} from "./golden.harness.ts";

const haveGo = requireGoSerf();
const haveTs = canRun(
  "golden cross-agent tests",
  missingFile(BIN, "build @serf-ts/cli (pnpm build)"),
);
const LOCAL: AgentOptions = { profile: "local" };
const newKey = (): string => randomBytes(32).toString("base64");
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * Answers that gossip did not bring, by the implementation of the agent asked (see `both`); the
 * last test asserts the TS agents missed no more than the Go agents (+1) in this run.
 */
const misses = new GossipMissLedger();

describe.skipIf(!haveGo || !haveTs)("golden: Go's CLI against a TS agent and a Go agent", () => {
  let dir = "";
  /** ts, go, ts, go, ts, go: nodes 0 and 1 are the targets, 2..5 leave or fail later. */
  let cluster: GoAgent[] = [];
  let encrypted: GoAgent[] = [];
  const key1 = newKey();
  const n = (i: number): GoAgent => {
    const a = cluster[i];
    if (a === undefined) throw new Error(`no agent ${i}`);
    return a;
  };
  const e = (i: number): GoAgent => {
    const a = encrypted[i];
    if (a === undefined) throw new Error(`no encrypted agent ${i}`);
    return a;
  };

  /**
   * Go's CLI with `args(agent)` (its `-rpc-addr` is added) against `ts` and against `go`
   * (concurrently unless `serial`), ONCE; asserts equal normalised results, returns the TS one.
   * Commands that gossip a query (whose delivery is best-effort in Go too: a node now and then
   * misses one) pass `answers`: the nodes that did not answer are recorded in `misses` under the
   * target's implementation and left out of the comparison. Callers wait for `converged()`.
   */
  async function both(
    ts: GoAgent,
    go: GoAgent,
    args: (self: GoAgent) => readonly string[],
    f: Normalizer = identity,
    options: { serial?: boolean; answers?: GossipedCheck } = {},
  ): Promise<CliResult> {
    expect([ts.kind, go.kind]).toEqual(["ts", "go"]);
    const one = (a: GoAgent) => {
      const [sub = "", ...rest] = args(a);
      return runGo([sub, `-rpc-addr=${a.rpcAddress}`, ...rest], { env: baseEnv() });
    };
    const [onTs, onGo] = options.serial
      ? [await one(ts), await one(go)]
      : await Promise.all([one(ts), one(go)]);
    const answers = options.answers;
    if (answers === undefined) {
      expect(normalize(onTs, f), `serf ${args(ts).join(" ")}`).toEqual(normalize(onGo, f));
      return onTs;
    }
    const tsMissing = answers.missing(onTs.stdout + onTs.stderr);
    const goMissing = answers.missing(onGo.stdout + onGo.stderr);
    misses.record("ts", `serf ${args(ts).join(" ")}`, tsMissing);
    misses.record("go", `serf ${args(go).join(" ")}`, goMissing);
    const gone = [...new Set([...tsMissing, ...goMissing])];
    const rest = (r: CliResult) => ({
      stdout: answers.without(f(r.stdout), gone),
      stderr: answers.without(r.stderr, gone),
      code: r.code,
    });
    expect(rest(onTs), `serf ${args(ts).join(" ")}`).toEqual(rest(onGo));
    return onTs;
  }
  /** For query-like commands: answered by every node of `nodes`, one at a time. */
  const gossiped = (nodes: () => readonly GoAgent[]) => ({
    serial: true,
    answers: answeredBy(nodes),
  });
  /** Resolves once every live agent of `agents` lists all of them alive. */
  const converged = async (agents: readonly GoAgent[]): Promise<void> => {
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
      { timeoutMs: 20_000, describe: () => views() },
    );
  };
  /** Each target's view of the cluster, for failure messages. */
  const views = async (): Promise<string> => {
    const lines = await Promise.all(
      [n(0), n(1)].map(async (a) => {
        const ms = await a.members().catch((err: unknown) => String(err));
        const view = typeof ms === "string" ? ms : ms.map((m) => `${m.name}=${m.status}`);
        return `${a.name} (${a.kind}): ${JSON.stringify(view)}`;
      }),
    );
    return lines.join("\n");
  };
  const pair = (
    args: (self: GoAgent) => readonly string[],
    f: Normalizer = identity,
    options: Parameters<typeof both>[4] = {},
  ) => both(n(0), n(1), args, f, options);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-cli-cross-"));
    const script = writeQueryResponder(dir);
    [cluster, encrypted] = await Promise.all([
      // The default (LAN) profile: with `local`'s RetransmitMult of 2, six agents (Go's as
      // much as ours) miss about one gossiped query in ten.
      startCluster(["ts", "go", "ts", "go", "ts", "go"], (i) => ({
        tags: { role: `web${i}`, dc: "east" },
        eventHandlers: [`query=${script}`],
      })),
      startCluster(["ts", "go"], () => ({ ...LOCAL, encryptKey: key1 })),
    ]);
  }, 90_000);

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("members, every format and filter", async () => {
    const r = await pair(() => ["members"], membersText);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(6);
    await pair(() => ["members", "-detailed"], membersText);
    await pair(() => ["members", "-format=json"], sortLines);
    await pair(() => ["members", "-status=alive", "-tag", "role=web[12]"], membersText);
    await pair(() => ["members", "-name", n(2).name], membersText);
    await pair(() => ["members", "-role=web3"], membersText);
    await pair(() => ["members", "-name=nobody"]);
    await pair(() => ["members", "-format=json", "-name=nobody"]);
    await pair(() => ["members", "-name=["]);
  });

  it("info: the same structure and cluster-wide values", async () => {
    const self = (t: string, a: GoAgent) =>
      infoText(t)
        .replaceAll(a.name, "<self>")
        .replace(/^(\s*"?(?:version|role)"?(?: = |: )).*$/gm, "$1*");
    for (const format of ["text", "json"]) {
      const [onTs, onGo] = await Promise.all(
        [n(0), n(1)].map((a) => runGo(["info", `-rpc-addr=${a.rpcAddress}`, `-format=${format}`])),
      );
      if (onTs === undefined || onGo === undefined) throw new Error("unreachable");
      expect(onTs.code).toBe(0);
      expect(self(onTs.stdout, n(0)), format).toBe(self(onGo.stdout, n(1)));
    }
    const info = await runGo(["info", `-rpc-addr=${n(0).rpcAddress}`, "-format=json"]);
    const parsed = JSON.parse(info.stdout) as Record<string, Record<string, string>>;
    expect(parsed.agent).toEqual({ name: n(0).name });
    expect(parsed.serf).toMatchObject({ members: "6", failed: "0", left: "0", encrypted: "false" });
    expect(parsed.tags).toEqual({ role: "web1", dc: "east" });
  });

  it("event", async () => {
    const r = await pair(() => ["event", "deploy", "v1.2.3"]);
    expect(r.stdout).toBe("Event 'deploy' dispatched! Coalescing enabled: true\n");
    await pair(() => ["event", "-coalesce=false", "deploy"]);
    await pair(() => ["event", "_serf_x"]);
    await pair(() => ["event", "big", "x".repeat(600)]);
  });

  it("query: acks and handler responses, -node and -tag filters", { timeout: 45_000 }, async () => {
    await converged(cluster);
    const all = await pair(
      () => ["query", "-timeout=1s", "greet", "payload"],
      sortLines,
      gossiped(() => cluster),
    );
    // Who answered is counted in `misses`; what each answer says is checked here.
    const responses = [...all.stdout.matchAll(/^Response from '([^']+)': (.*)$/gm)];
    expect(responses.length).toBeGreaterThan(0);
    for (const [, from, body] of responses) expect(body).toBe(`resp-from-${from}`);
    await pair(
      () => ["query", "-no-ack", "-timeout=800ms", "greet"],
      sortLines,
      gossiped(() => cluster),
    );
    for (const target of [n(0), n(1), n(2)]) {
      const r = await pair(
        () => ["query", "-node", target.name, "-timeout=800ms", "greet"],
        // The ack and the response are two packets: either may arrive first (seen in CI).
        sortLines,
        gossiped(() => [target]),
      );
      expect(r.stdout).not.toMatch(new RegExp(`^Response from '(?!${target.name}')`, "m"));
    }
    const tagged = await pair(
      () => ["query", "-tag", "role=web[23]", "-timeout=800ms", "greet"],
      sortLines,
      gossiped(() => [n(1), n(2)]),
    );
    expect(tagged.stdout).not.toContain(`resp-from-${n(0).name}`);
    await pair(() => ["query", "-node", "nobody", "-timeout=600ms", "greet"]);
    await pair(
      () => ["query", "-format=json", "-timeout=800ms", "greet", "p"],
      (t) => sortLines(t.replace(/,$/gm, "")),
      gossiped(() => cluster),
    );
    await pair(() => ["query", "_serf_x"]);
  });

  it("join", async () => {
    const r = await pair(() => ["join", n(3).bindAddress]);
    expect(r.stdout).toBe("Successfully joined cluster by contacting 1 nodes.\n");
    await pair(() => ["join", "-replay", n(2).bindAddress, n(3).bindAddress]);
    await pair(() => ["join", "127.0.0.1:1"]);
  });

  it("tags, seen alike from both agents", async () => {
    const r = await pair(() => ["tags", "-set", "extra=1", "-delete", "dc"]);
    expect(r.stdout).toBe("Successfully updated agent tags\n");
    await eventually(async () => {
      const seen = await Promise.all(
        [n(0), n(1)].map((a) => a.cli(["members", "-tag", "extra=1"])),
      );
      return seen.every((v) => v.trim().split("\n").length === 2);
    });
    await pair(() => ["members", "-tag", "extra=1"], membersText);
    await pair(() => ["tags", "-set", "nobody"]);
    await pair(() => ["tags", "-set", `big=${"x".repeat(600)}`]);
    await pair(() => ["tags", "-set", "dc=east", "-delete", "extra"]);
  });

  it("rtt", async () => {
    await eventually(
      async () =>
        (await n(0).run(["rtt", n(1).name])).code === 0 &&
        (await n(1).run(["rtt", n(0).name])).code === 0,
      { timeoutMs: 10_000 },
    );
    await pair(() => ["rtt", n(0).name, n(1).name], rttText);
    await pair(() => ["rtt", n(1).name, n(0).name], rttText);
    await pair(() => ["rtt", "nobody"]);
    await pair(() => ["rtt", "x", "y", "z"]);
  });

  it("keys on an encrypted mixed cluster", async () => {
    // Mutations run on the TS agent, then on the Go one (the second is then a no-op or the
    // same error); listings are gossiped queries, their misses counted.
    await converged(encrypted);
    const serial = { serial: true };
    const keys = (
      args: readonly string[],
      f: Normalizer = identity,
      o: Parameters<typeof both>[4] = serial,
    ) => both(e(0), e(1), () => ["keys", ...args], f, o);
    const list = { serial: true, answers: keyAnswers(() => encrypted) };
    const listed = await keys(["-list"], sortLines, list);
    expect(listed.stdout).toMatch(new RegExp(`^${escapeRegExp(key1)}\\s+\\[[12]/2\\]$`, "m"));
    const [key2, key3] = [newKey(), newKey()];
    await keys([`-install=${key2}`]);
    await keys([`-install=${key3}`]);
    const three = await keys(["-list"], sortLines, list);
    for (const k of [key1, key2, key3]) {
      expect(three.stdout).toMatch(new RegExp(`^${escapeRegExp(k)}\\s+\\[[12]/2\\]$`, "m"));
    }
    await keys([`-use=${key2}`]);
    await keys([`-remove=${key2}`], sortLines);
    await keys([`-remove=${key3}`]);
    await keys([`-remove=${key1}`]);
    const one = await keys(["-list"], sortLines, list);
    expect(one.stdout).toMatch(new RegExp(`^${escapeRegExp(key2)}\\s+\\[[12]/2\\]$`, "m"));
    expect(one.stdout).not.toContain(key1);
    await keys([`-install=${Buffer.alloc(8).toString("base64")}`], sortLines);
    await keys(["-install=notbase64!!"]);
    // A plain cluster has no keyring.
    await converged(cluster);
    const plain = await pair(() => ["keys", "-list"], sortLines, {
      serial: true,
      answers: keyAnswers(() => cluster),
    });
    expect(plain.code).toBe(1);
  });

  it("monitor: the first lines", async () => {
    const mask = (t: string, a: GoAgent) =>
      t
        .split("\n")
        .slice(0, 2)
        .map((l) =>
          l
            .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, "<time> ")
            .replaceAll(a.name, "<self>")
            .replaceAll(a.ip, "<ip>"),
        );
    const [onTs, onGo] = await Promise.all(
      [n(0), n(1)].map((a) =>
        runGo(["monitor", `-rpc-addr=${a.rpcAddress}`], { interruptAfterMs: 800 }),
      ),
    );
    if (onTs === undefined || onGo === undefined) throw new Error("unreachable");
    expect([onTs.code, onTs.stderr]).toEqual([onGo.code, onGo.stderr]);
    expect(mask(onTs.stdout, n(0))).toEqual(mask(onGo.stdout, n(1)));
    expect(mask(onTs.stdout, n(0))).toEqual([
      "<time> [INFO] agent: Serf agent starting",
      "<time> [INFO] serf: EventMemberJoin: <self> <ip>",
    ]);
    await pair(() => ["monitor", "-log-level=bogus"]);
  });

  it("force-leave of failed members", async () => {
    await Promise.all([n(4).kill(), n(5).kill()]);
    const status = (viewer: GoAgent, name: string) =>
      viewer.members().then((ms) => ms.find((m) => m.name === name)?.status);
    await eventually(
      async () => {
        for (const viewer of [n(0), n(1)]) {
          for (const gone of [n(4), n(5)])
            if ((await status(viewer, gone.name)) !== "failed") return false;
        }
        return true;
      },
      { timeoutMs: 25_000, describe: views },
    );
    await pair(() => ["members", "-status=failed"], membersText);
    const r = await both(n(0), n(1), (self) => [
      "force-leave",
      self === n(0) ? n(4).name : n(5).name,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "" });
    await pair(() => ["force-leave", "nobody"]);
    await eventually(
      async () => {
        for (const viewer of [n(0), n(1)]) {
          for (const gone of [n(4), n(5)])
            if ((await status(viewer, gone.name)) !== "left") return false;
        }
        return true;
      },
      // A leave intent can miss a node; push/pull (LeftMembers, 30 s on LAN) repairs it, in Go
      // as in ours: allow one round.
      { timeoutMs: 40_000, describe: views },
    );
    await pair(() => ["members", "-status=left"], membersText);
  }, 80_000);

  /**
   * A leave needs two broadcasts at every observer: serf's leave intent (alive -> leaving) and
   * memberlist's dead-about-itself (leaving -> left; without the intent first: alive -> failed,
   * then the intent makes it left). Each goes out RetransmitMult x ceil(log10(N+1)) = 4 times to
   * random gossip targets, and the targets include nodes dead for less than
   * GossipToTheDeadTime (30 s): here nodes 4 and 5, killed in the test before. The CI failure
   * ("our agent kept the TS leaver at `leaving` for > 10 s while the Go agent showed `left`")
   * is one observer missing one of the two; it then waits for push/pull (30 s on LAN).
   *
   * Evidence (2026-12-07, this cluster shape and history replayed 28 times with debug logs and
   * a temporary trace of every packet carrying a serf broadcast): in a bad run the TS leaver
   * sent its intent as a ping piggyback to the Go observer, then in one gossip round to the Go
   * observer and to the two dead nodes, and started memberlist's leave; the TS observer never
   * logged `messageLeaveType` for it, and the Go observer's own 4 re-sends missed it too. It
   * happened with a Go leaver as well (a Go observer showed the Go leaver `failed`, then
   * `EventMemberLeave (forced)` 12 s later, after push/pull), so it is gossip, not our intent
   * handling. Caveat for the issue: TS leavers were hit 6 times in 28, the Go leaver once.
   * The assertion therefore allows one push/pull round, and checks the agents agree.
   */
  it("leave", async () => {
    const r = await both(n(2), n(3), () => ["leave"]);
    expect(r).toMatchObject({ code: 0, stdout: "Graceful leave complete\n" });
    await eventually(() => n(2).exited && n(3).exited, { timeoutMs: 8000 });
    await eventually(
      async () => {
        const seen = await Promise.all([n(0), n(1)].map((a) => a.cli(["members", "-status=left"])));
        return seen.every((v) => v.includes(n(2).name) && v.includes(n(3).name));
      },
      { timeoutMs: 40_000, describe: views },
    );
    await pair(() => ["members"], membersText);
  }, 60_000);
});

describe.skipIf(!haveGo || !haveTs)("golden cross-agent: gossip misses", () => {
  it("TS agents missed no more answers than Go agents (+1) in this run", () => {
    const excess = misses.excess("ts", "go", 1);
    console.info(`cross-agent gossip misses:\n${misses.report()}`);
    expect(excess).toBeUndefined();
  });
});
