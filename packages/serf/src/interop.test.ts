/**
 * LIVE interop of the `Serf` driver with the real Go `serf` agent (Debian serf 0.9.4), over real
 * sockets on random loopback addresses (`127.a.b.c`) and random ports. Go agents keep LAN
 * timings; nothing here waits for failure detection.
 *
 * Go agents run event handlers: `user=<script>` appends `NODE NAME PAYLOAD` to
 * `user-<node>.log`, `query=<script>` prints `pong-from-<node>` (the query response).
 *
 * Agents are started by `@serf-ts/testkit`, recorded by PID and killed by PID.
 * Skips loudly when `serf` is missing; fails when `CI=true`.
 */

import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAddress } from "@serf-ts/memberlist";
import {
  type AgentOptions,
  eventually,
  type GoAgent,
  goSerfKeygen,
  randomLoopbackIp,
  requireGoSerf,
  startGoAgent,
  stopAll,
  trackedPids,
} from "@serf-ts/testkit";
import { encodeKeyBase64 } from "@serf-ts/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Serf, type SerfConfig } from "./serf.ts";

const haveSerf = requireGoSerf();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = "";
const tsNodes: Serf[] = [];
const timings: string[] = [];

function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  return fn().finally(() => timings.push(`${label}: ${Date.now() - t0} ms`));
}

function writeScripts(): { user: string; query: string } {
  const user = join(dir, "user-handler.sh");
  writeFileSync(
    user,
    `#!/bin/sh\npayload=$(cat)\nprintf '%s %s %s\\n' "$SERF_SELF_NAME" "$SERF_USER_EVENT" "$payload" >> "${dir}/user-$SERF_SELF_NAME.log"\n`,
  );
  const query = join(dir, "query-handler.sh");
  writeFileSync(query, `#!/bin/sh\ncat >/dev/null\necho "pong-from-$SERF_SELF_NAME"\n`);
  chmodSync(user, 0o755);
  chmodSync(query, 0o755);
  return { user, query };
}

function goOptions(name: string, extra: Partial<AgentOptions> = {}): AgentOptions {
  const scripts = writeScripts();
  return {
    name,
    ...extra,
    extraArgs: [
      `-event-handler=user=${scripts.user}`,
      `-event-handler=query=${scripts.query}`,
      ...(extra.extraArgs ?? []),
    ],
  };
}

/** Lines the user-event handler wrote on `agent`. */
function userLines(agent: string): string[] {
  const path = join(dir, `user-${agent}.log`);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

async function startTs(name: string, extra: Partial<SerfConfig> = {}): Promise<Serf> {
  const s = await Serf.create({
    nodeName: name,
    bindAddr: randomLoopbackIp(),
    bindPort: 0,
    protocolVersion: 5,
    ...extra,
  });
  tsNodes.push(s);
  return s;
}

async function goStatus(agent: GoAgent, name: string): Promise<string | undefined> {
  return (await agent.members()).find((m) => m.name === name)?.status;
}

function allSee(agents: readonly GoAgent[], name: string, status: string) {
  return async () => {
    for (const a of agents) if ((await goStatus(a, name)) !== status) return false;
    return true;
  };
}

function tsSeesAlive(ts: Serf, names: readonly string[]): () => boolean {
  return () => names.every((n) => ts.member(n)?.status === "alive");
}

function dump(agents: readonly GoAgent[], ts: () => Serf | undefined): () => Promise<string> {
  return async () => {
    const parts: string[] = [];
    for (const a of agents) {
      const m = await a.members().catch((e: unknown) => String(e));
      parts.push(`${a.name}: ${JSON.stringify(m)}`);
    }
    const t = ts();
    if (t !== undefined) {
      parts.push(`${t.name}: ${JSON.stringify(t.members().map((m) => [m.name, m.status]))}`);
    }
    const tails = agents.map((a) => `--- ${a.name} log tail ---\n${a.log().slice(-2500)}`);
    return `${parts.join("\n")}\n${tails.join("\n")}`;
  };
}

/**
 * Go never complained about what the TS node sent (decode, decrypt, checksum, snapshot). Lines
 * of `agent.ipc` are about RPC clients (the test's Go CLI), not the TS node: a CI run under load
 * had "agent.ipc: failed to decode request header: ... connection reset by peer", an RPC
 * client that closed its connection abruptly.
 */
function expectNoProtocolErrors(agents: readonly GoAgent[]): void {
  for (const a of agents) {
    const bad = a
      .log()
      .split("\n")
      .filter(
        (l) =>
          !l.includes("agent.ipc:") &&
          /decode|decrypt|checksum|Unrecognized snapshot|unknown message|malformed/i.test(l),
      );
    expect(bad, a.name).toEqual([]);
  }
}

/** The user-event and query checks shared by the plain and the encrypted cluster. */
async function checkUserEventsBothWays(ts: Serf, agents: readonly GoAgent[], tag: string) {
  const seen: string[] = [];
  const off = ts.on("user", (e) => seen.push(`${e.name} ${text(e.payload)}`));
  try {
    // TS -> Go: the handler runs exactly once on every Go agent.
    await timed(`${tag} user event TS->Go`, async () => {
      ts.userEvent(`ts-evt-${tag}`, `hello-from-ts-${tag}`);
      await eventually(
        () => agents.every((a) => userLines(a.name).some((l) => l.includes(`ts-evt-${tag}`))),
        { timeoutMs: 15_000, describe: dump(agents, () => ts) },
      );
    });
    // Go -> TS: `serf event` on one agent arrives once in TS.
    await timed(`${tag} user event Go->TS`, async () => {
      await agents[0]?.cli(["event", `go-evt-${tag}`, `hello-from-go-${tag}`]);
      await eventually(() => seen.includes(`go-evt-${tag} hello-from-go-${tag}`), {
        timeoutMs: 15_000,
      });
    });
    // Give duplicates a chance to show up (gossip retransmits, push/pull merges).
    await sleep(1500);
    for (const a of agents) {
      expect(userLines(a.name).filter((l) => l.includes(`ts-evt-${tag}`))).toEqual([
        `${a.name} ts-evt-${tag} hello-from-ts-${tag}`,
      ]);
    }
    expect(seen.filter((s) => s.startsWith(`go-evt-${tag}`))).toEqual([
      `go-evt-${tag} hello-from-go-${tag}`,
    ]);
    expect(seen.filter((s) => s.startsWith(`ts-evt-${tag}`))).toHaveLength(1); // local delivery
  } finally {
    off();
  }
}

async function checkQueryFromTs(ts: Serf, agents: readonly GoAgent[], tag: string) {
  const [first, second] = agents as [GoAgent, GoAgent];
  await timed(`${tag} 3 concurrent TS queries (3 s timeout)`, async () => {
    // Each Go agent answers through a handler process: 3 s leaves room on a loaded machine.
    const all = ts.query(`ping-${tag}`, "x", { requestAck: true, timeoutMs: 3000 });
    const byNode = ts.query(`ping-${tag}`, "x", {
      requestAck: true,
      filterNodes: [first.name],
      timeoutMs: 3000,
    });
    const byTag = ts.query(`ping-${tag}`, "x", {
      requestAck: true,
      filterTags: { role: "^d" },
      timeoutMs: 3000,
    });
    const streamed: string[] = [];
    const reading = (async () => {
      for await (const ack of all.acks) streamed.push(ack);
    })();
    const [r, rn, rt] = await Promise.all([all.finished, byNode.finished, byTag.finished]);
    await reading;
    const pong = (n: string) => `${n}:pong-from-${n}\n`;
    const fmt = (res: typeof r) => res.responses.map((x) => `${x.from}:${text(x.payload)}`).sort();
    expect([...r.acks].sort()).toEqual([first.name, second.name, ts.name].sort());
    expect([...streamed].sort()).toEqual([...r.acks].sort());
    expect(fmt(r)).toEqual([pong(first.name), pong(second.name)].sort());
    expect(rn.acks).toEqual([first.name]);
    expect(fmt(rn)).toEqual([pong(first.name)]);
    expect(rt.acks).toEqual([second.name]);
    expect(fmt(rt)).toEqual([pong(second.name)]);
  });
}

describe.skipIf(!haveSerf)("Serf driver interop with the Go serf agent", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-interop-"));
  });
  afterAll(async () => {
    await Promise.all(tsNodes.splice(0).map((n) => n.shutdown()));
    await stopAll();
    expect(trackedPids()).toEqual([]);
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    console.info(`[serf interop timings]\n  ${timings.join("\n  ")}`);
  }, 30_000);

  describe("plain cluster: 2 Go agents + 1 TS node", () => {
    let goA: GoAgent;
    let goB: GoAgent;
    let ts: Serf;
    const tsSnapshot = () => join(dir, "ts-1.snapshot");
    const state = () => dump([goA, goB], () => ts)();

    beforeAll(async () => {
      await timed("plain setup (2 agents, TS join, converge)", async () => {
        [goA, goB] = await Promise.all([
          startGoAgent(
            goOptions("go-a", {
              tags: { role: "web" },
              extraArgs: [`-snapshot=${join(dir, "go-a.snapshot")}`],
            }),
          ),
          startGoAgent(goOptions("go-b", { tags: { role: "db" } })),
        ]);
        ts = await startTs("ts-1", { tags: { role: "ts" }, snapshotPath: tsSnapshot() });
        expect(await ts.join([goA.bindAddress, goB.bindAddress], { ignoreOld: true })).toBe(2);
        await eventually(tsSeesAlive(ts, [goA.name, goB.name]), {
          timeoutMs: 15_000,
          describe: state,
        });
        await eventually(allSee([goA, goB], ts.name, "alive"), {
          timeoutMs: 15_000,
          describe: state,
        });
        await eventually(allSee([goA], goB.name, "alive"), { timeoutMs: 15_000, describe: state });
      });
    }, 40_000);

    it("Go agents list the TS node with its address, tags and protocol", async () => {
      const m = (await goA.members()).find((x) => x.name === ts.name);
      expect(m).toMatchObject({ addr: ts.localAddress, tags: { role: "ts" }, status: "alive" });
      expect(m?.protocol).toEqual({ max: 5, min: 2, version: 5 });
      expect(ts.member(goA.name)?.tags).toEqual({ role: "web" });
      expect(ts.member(goA.name)?.delegateCur).toBe(5);
    });

    it("user events: TS -> every Go agent and Go -> TS, each exactly once", async () => {
      await checkUserEventsBothWays(ts, [goA, goB], "plain");
    }, 40_000);

    it("a TS query gets acks and responses from Go agents; node and tag filters", async () => {
      await checkQueryFromTs(ts, [goA, goB], "plain");
    }, 20_000);

    it("`serf query` on a Go agent gets the TS node's JS responder answer", async () => {
      const off = ts.onQuery((q) =>
        q.name === "ask-ts" ? `ts-answer:${text(q.payload)}` : undefined,
      );
      try {
        const out = await timed("serf query -> TS responder", () =>
          goA.cli(["query", "-format=json", "-timeout=2s", "ask-ts", "42"]),
        );
        const parsed = JSON.parse(out) as {
          Acks: string[] | null;
          Responses: Record<string, string>;
        };
        expect(parsed.Responses[ts.name]).toBe("ts-answer:42");
        expect(parsed.Responses[goB.name]).toBe(`pong-from-${goB.name}\n`);
        expect([...(parsed.Acks ?? [])].sort()).toEqual([goA.name, goB.name, ts.name].sort());
        const only = JSON.parse(
          await goB.cli([
            "query",
            "-format=json",
            "-timeout=1s",
            `-node=${ts.name}`,
            "ask-ts",
            "7",
          ]),
        ) as { Responses: Record<string, string> };
        expect(only.Responses).toEqual({ [ts.name]: "ts-answer:7" });
      } finally {
        off();
      }
    }, 20_000);

    it("a TS tag change shows in `serf members -format=json` on Go agents", async () => {
      await timed("tag change visible on Go", async () => {
        await ts.setTags({ role: "ts", version: "2" });
        for (const g of [goA, goB]) {
          await eventually(
            async () => (await g.members()).find((m) => m.name === ts.name)?.tags.version === "2",
            { timeoutMs: 10_000, describe: state },
          );
        }
      });
      const m = (await goB.members()).find((x) => x.name === ts.name);
      expect(m?.tags).toEqual({ role: "ts", version: "2" });
    }, 20_000);

    it("coordinates flow both ways (TS ack payloads, Go ack payloads)", async () => {
      const rtt = await eventually(
        () => goA.cli(["rtt", goA.name, ts.name]).catch(() => undefined),
        { timeoutMs: 15_000, describe: state },
      );
      expect(rtt).toContain(`Estimated ${goA.name} <-> ${ts.name} rtt:`);
      await eventually(() => ts.getCoordinate(goA.name) !== undefined, {
        timeoutMs: 15_000,
        describe: state,
      });
      expect(ts.getCoordinate(goA.name)?.vec).toHaveLength(8);
      expect(ts.coordinate()).toBeDefined();
    }, 30_000);

    it("a restarted Go agent replays the TS node's snapshot file and rejoins", async () => {
      await timed("Go agent restarted from TS snapshot, rejoined", async () => {
        const content = await eventually(
          () => {
            const t = existsSync(tsSnapshot()) ? readFileSync(tsSnapshot(), "utf8") : "";
            return t.includes(`alive: ${goB.name} `) && t.includes(`alive: ${goA.name} `)
              ? t
              : undefined;
          },
          { timeoutMs: 5000 },
        );
        expect(content).toContain(`alive: ${ts.name} ${ts.localAddress}\n`);
        const copy = join(dir, "go-b-from-ts.snapshot");
        copyFileSync(tsSnapshot(), copy);
        const { ip, bindPort, name } = goB;
        await goB.kill();
        goB = await startGoAgent(
          goOptions(name, {
            ip,
            bindPort,
            tags: { role: "db" },
            extraArgs: [`-snapshot=${copy}`],
          }),
        );
        // No -join: it can only know the others through the replayed snapshot.
        await eventually(allSee([goB], ts.name, "alive"), { timeoutMs: 15_000, describe: state });
        await eventually(allSee([goB], goA.name, "alive"), { timeoutMs: 15_000, describe: state });
        expect(goB.log()).toMatch(/Re-joined to previously known node/);
        expect(goB.log()).not.toMatch(/Unrecognized snapshot line/);
        await eventually(tsSeesAlive(ts, [goB.name]), { timeoutMs: 10_000, describe: state });
      });
    }, 40_000);

    it("a restarted TS node replays a Go snapshot file and rejoins without a join", async () => {
      await timed("TS node restarted from Go snapshot, rejoined", async () => {
        const goSnap = join(dir, "go-a.snapshot");
        // Go flushes its snapshot buffer on an append ≥ 500 ms after the previous flush:
        // nudge it with user events until the file lists the TS node.
        let nudges = 0;
        await eventually(
          async () => {
            const t = existsSync(goSnap) ? readFileSync(goSnap, "utf8") : "";
            if (t.includes(`alive: ${ts.name} `) && t.includes(`alive: ${goB.name} `)) return true;
            await sleep(600);
            ts.userEvent(`nudge-${nudges++}`);
            return false;
          },
          { timeoutMs: 10_000, describe: state },
        );
        const copy = join(dir, "ts-from-go.snapshot");
        copyFileSync(goSnap, copy);
        const { host, port } = parseAddress(ts.localAddress);
        await ts.shutdown(); // no leave: the Go agents keep it alive
        ts = await startTs("ts-1", {
          bindAddr: host,
          bindPort: port,
          tags: { role: "ts", version: "2" },
          snapshotPath: copy,
        });
        const rejoined = new Promise<string | undefined>((resolve) => {
          ts.on("rejoin-finished", (e) => resolve(e.ok ? e.node : undefined));
        });
        await eventually(tsSeesAlive(ts, [goA.name, goB.name]), {
          timeoutMs: 15_000,
          describe: state,
        });
        expect([goA.name, goB.name]).toContain(await rejoined);
        await eventually(allSee([goA, goB], ts.name, "alive"), {
          timeoutMs: 15_000,
          describe: state,
        });
        // The restarted node still gossips events both ways.
        const seen: string[] = [];
        ts.on("user", (e) => seen.push(e.name));
        await goB.cli(["event", "after-restart", "x"]);
        await eventually(() => seen.includes("after-restart"), {
          timeoutMs: 10_000,
          describe: state,
        });
      });
    }, 40_000);

    it("graceful TS leave shows `left` on the Go agents", async () => {
      await timed("TS leave -> left on Go", async () => {
        await ts.leave();
        expect(ts.state).toBe("left");
        await eventually(allSee([goA, goB], ts.name, "left"), {
          timeoutMs: 15_000,
          describe: state,
        });
      });
      await ts.shutdown();
      expectNoProtocolErrors([goA, goB]);
    }, 30_000);
  });

  describe("encrypted cluster (serf keygen): 2 Go agents + 1 TS node", () => {
    let goC: GoAgent;
    let goD: GoAgent;
    let ts: Serf;
    let key1 = "";
    const keyringFile = () => join(dir, "ts-e.keyring");
    const state = () => dump([goC, goD], () => ts)();

    beforeAll(async () => {
      await timed("encrypted setup (2 agents, TS join, converge)", async () => {
        key1 = await goSerfKeygen();
        [goC, goD] = await Promise.all([
          startGoAgent(goOptions("go-c", { encryptKey: key1, tags: { role: "web" } })),
          startGoAgent(goOptions("go-d", { encryptKey: key1, tags: { role: "db" } })),
        ]);
        ts = await startTs("ts-e", {
          tags: { role: "ts" },
          encryptKeys: [key1],
          keyringFile: keyringFile(),
        });
        expect(await ts.join([goC.bindAddress, goD.bindAddress])).toBe(2);
        await eventually(tsSeesAlive(ts, [goC.name, goD.name]), {
          timeoutMs: 15_000,
          describe: state,
        });
        await eventually(allSee([goC, goD], ts.name, "alive"), {
          timeoutMs: 15_000,
          describe: state,
        });
        await eventually(allSee([goC], goD.name, "alive"), { timeoutMs: 15_000, describe: state });
      });
    }, 40_000);

    it("user events: TS -> every Go agent and Go -> TS, each exactly once", async () => {
      expect(ts.encryptionEnabled).toBe(true);
      await checkUserEventsBothWays(ts, [goC, goD], "enc");
      expect(ts.stats().network.decryptFailures).toBe(0);
    }, 40_000);

    it("a TS query gets acks and responses from Go agents; node and tag filters", async () => {
      await checkQueryFromTs(ts, [goC, goD], "enc");
    }, 20_000);

    it("`serf keys` on a Go agent rotates the TS keyring; the cluster stays whole", async () => {
      const key2 = await goSerfKeygen();
      const keys = () => (ts.keyring?.keys() ?? []).map(encodeKeyBase64);
      const primary = () => encodeKeyBase64(ts.keyring?.primaryKey ?? new Uint8Array());
      await timed("serf keys install/use/remove/list", async () => {
        expect(await goC.cli(["keys", `-install=${key2}`])).toContain("Successfully installed key");
        expect(keys().sort()).toEqual([key1, key2].sort());
        expect(await goC.cli(["keys", `-use=${key2}`])).toContain(
          "Successfully changed primary key",
        );
        expect(primary()).toBe(key2);
        expect(await goC.cli(["keys", `-remove=${key1}`])).toContain("Successfully removed key");
        expect(keys()).toEqual([key2]);
        const list = await goC.cli(["keys", "-list"]);
        expect(list).toContain(`${key2}  [3/3]`);
        expect(list).not.toContain(key1);
      });
      // The keyring file follows (Go's format: JSON array, primary first).
      expect(JSON.parse(readFileSync(keyringFile(), "utf8"))).toEqual([key2]);
      // TS-initiated list: every node answers with the new key only.
      const listed = await ts.keyManager.listKeys();
      expect(listed.error).toBeUndefined();
      expect(listed).toMatchObject({ numNodes: 3, numResp: 3, numErr: 0 });
      expect([...listed.keys]).toEqual([[key2, 3]]);
      // Still one cluster on the new key: probes keep succeeding for a few rounds and events
      // flow both ways.
      await timed("post-rotation health check", async () => {
        await sleep(3000);
        expect(await allSee([goC, goD], ts.name, "alive")()).toBe(true);
        expect(tsSeesAlive(ts, [goC.name, goD.name])()).toBe(true);
        ts.userEvent("after-rotation", "k2");
        await eventually(
          () => [goC, goD].every((a) => userLines(a.name).includes(`${a.name} after-rotation k2`)),
          { timeoutMs: 10_000, describe: state },
        );
        const seen: string[] = [];
        const off = ts.on("user", (e) => seen.push(e.name));
        await goD.cli(["event", "rotated-from-go", "x"]);
        await eventually(() => seen.includes("rotated-from-go"), {
          timeoutMs: 10_000,
          describe: state,
        });
        off();
      });
      expect(ts.stats().network.decryptFailures).toBe(0);
      expectNoProtocolErrors([goC, goD]);
    }, 40_000);
  });
});
