/**
 * RpcClient against a target agent of each implementation: real Go serf 0.9.4 agents (`go`),
 * and serf-ts agents (`ts`: `node packages/cli/dist/main.js agent`) in clusters that also hold
 * a Go agent. Per implementation: a 3-node cluster with tags and a query responder, an agent
 * with an RPC auth key, a 2-node encrypted cluster for the key commands, and a single agent
 * that is asked to leave. The same assertions (Go's behaviour) hold for both targets. Every
 * agent is killed by PID in `afterAll`.
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
  type Impl,
  missingFile,
  requireGoSerf,
  startAgent,
  startMixedCluster,
  TS_CLI_MAIN,
  stopAll,
  writeQueryResponder,
} from "@serf-ts/testkit";
import type { KeyResponse } from "@serf-ts/wire/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcClient } from "./client.ts";
import { RpcClosedError, RpcResponseError } from "./errors.ts";

const haveGo = requireGoSerf();
/**
 * Key-command answers that gossip did not bring, by the target's implementation; the last test
 * asserts the TS agents missed no more than the Go agents (+1).
 */
const misses = new GossipMissLedger();
const haveTs = canRun(
  "RpcClient tests against serf-ts agents",
  missingFile(TS_CLI_MAIN, "build @serf-ts/cli (pnpm build)"),
);
const text = (b: Uint8Array | null): string | null =>
  b === null ? null : Buffer.from(b).toString();
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const newKey = (): string => randomBytes(32).toString("base64");
/** Shorter gossip intervals (1.6 s default query timeout). */
const LOCAL: AgentOptions = { profile: "local" };
/**
 * Query timeout where responses are expected. A response needs a gossip round, a handler
 * process and a UDP reply; 1 s was missed once on a loaded 2-core CI machine.
 */
const QUERY_MS = 3000;

const startCluster = startMixedCluster;

/**
 * The agents each variant runs. Node 0 (target of most calls), node 1 (joins, streams) and
 * the other targets are of the variant's implementation; a Go agent is always in the cluster.
 */
const VARIANTS = [
  {
    impl: "go",
    cluster: ["go", "go", "go"],
    encrypted: ["go", "go"],
    skip: !haveGo,
  },
  {
    impl: "ts",
    cluster: ["ts", "ts", "go"],
    encrypted: ["ts", "go"],
    skip: !haveGo || !haveTs,
  },
] as const satisfies readonly {
  impl: Impl;
  cluster: readonly Impl[];
  encrypted: readonly Impl[];
  skip: boolean;
}[];

for (const { impl, cluster: impls, encrypted: encImpls, skip } of VARIANTS) {
  describe.skipIf(skip)(`RpcClient against a ${impl} agent`, () => {
    let dir = "";
    let cluster: GoAgent[] = [];
    let authAgent: GoAgent;
    let encrypted: GoAgent[] = [];
    let leaver: GoAgent;
    const key1 = newKey();
    const clients: RpcClient[] = [];

    const connect = async (agent: GoAgent): Promise<RpcClient> => {
      const c = await RpcClient.connect(
        agent.rpcAuth === undefined
          ? { addr: agent.rpcAddress }
          : { addr: agent.rpcAddress, authKey: agent.rpcAuth },
      );
      clients.push(c);
      return c;
    };
    const node = (i: number): GoAgent => {
      const a = cluster[i];
      if (a === undefined) throw new Error(`no agent ${i}`);
      return a;
    };
    /**
     * A record the Go agent streams after serf closes the query's channels at the deadline: its
     * `queryResponseStream` keeps selecting on the closed ack and response channels, which yield
     * zero values (an empty From), until its own timer fires. Seen under load, by the thousand.
     * Go's `serf query` stops at the first one. Our agent never sends one: for it they are kept,
     * and fail the assertions.
     */
    const goClosedChannelRecord = (r: { readonly from: string }): boolean =>
      impl === "go" && r.from === "";

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "serf-ts-rpc-"));
      const script = writeQueryResponder(dir);
      [cluster, authAgent, encrypted, leaver] = await Promise.all([
        startCluster(impls, (i) => ({
          ...LOCAL,
          tags: { role: `web${i}`, dc: "east" },
          eventHandlers: [`query:greet=${script}`],
        })),
        startAgent(impl, { ...LOCAL, name: "auth1", rpcAuth: "s3cret" }),
        startCluster(encImpls, () => ({ ...LOCAL, encryptKey: key1 })),
        startAgent(impl, { ...LOCAL, name: "leaver" }),
      ]);
    }, 70_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    });

    describe("members", () => {
      it("lists every member with Go's fields", async () => {
        expect([node(0).kind, node(1).kind, authAgent.kind, leaver.kind]).toEqual(
          Array(4).fill(impl),
        );
        const c = await connect(node(0));
        const members = await c.members();
        expect(members.map((m) => m.name).sort()).toEqual(cluster.map((a) => a.name).sort());
        const me = members.find((m) => m.name === node(0).name);
        expect(me).toMatchObject({
          status: "alive",
          port: Number(node(0).bindAddress.split(":")[1]),
          delegateMin: 2,
          delegateMax: 5,
          delegateCur: 5,
          protocolMin: 1,
          protocolMax: 5,
          protocolCur: 2,
        });
        expect([...(me?.addr ?? [])].join(".")).toBe(node(0).ip);
        expect(Object.fromEntries(me?.tags ?? [])).toEqual({ role: "web1", dc: "east" });
      });

      it("filters by tag, name and status with anchored regexps", async () => {
        const c = await connect(node(0));
        const names = async (f: Parameters<RpcClient["membersFiltered"]>[0]) =>
          (await c.membersFiltered(f)).map((m) => m.name).sort();
        expect(await names({ tags: { role: "web[12]" } })).toEqual([node(0).name, node(1).name]);
        expect(await names({ tags: new Map([["role", "web"]]) })).toEqual([]);
        expect(await names({ name: node(2).name, status: "alive" })).toEqual([node(2).name]);
        expect(await names({ status: "failed" })).toEqual([]);
        expect(await names({ tags: { missing: ".*" } })).toHaveLength(3);
      });

      it("a regexp that does not compile makes the agent drop the connection", async () => {
        const c = await connect(node(0));
        const err = await c.membersFiltered({ name: "[" }).catch((e) => e);
        expect(err).toBeInstanceOf(RpcClosedError);
        expect(err.message).toBe("client closed");
        expect(c.closed).toBe(true);
      });
    });

    describe("join, force-leave, tags, events", () => {
      it("join returns the number of nodes contacted; a failed join carries Num 0", async () => {
        const c = await connect(node(1));
        expect(await c.join([node(0).bindAddress])).toBe(1);
        const err = await c.join(["127.0.0.1:1"]).catch((e) => e);
        expect(err).toBeInstanceOf(RpcResponseError);
        expect(err.message).toMatch(
          /^1 error occurred:\n\t\* Failed to join 127\.0\.0\.1: dial tcp 127\.0\.0\.1:1: connect: connection refused\n\n$/,
        );
        expect(err.body).toEqual({ num: 0 });
      });

      it("force-leave of an unknown node succeeds", async () => {
        const c = await connect(node(0));
        await expect(c.forceLeave("nobody")).resolves.toBeUndefined();
        await expect(c.forceLeave("nobody", { prune: true })).resolves.toBeUndefined();
      });

      it("tags: set and delete, seen by the other members", async () => {
        const c = await connect(node(2));
        await c.tags({ set: { extra: "1", role: "web3b" }, delete: ["dc"] });
        const other = await connect(node(0));
        await eventually(
          async () => {
            const [m] = await other.membersFiltered({ name: node(2).name });
            const tags = Object.fromEntries(m?.tags ?? []);
            return tags.extra === "1" && tags.role === "web3b" && !("dc" in tags);
          },
          // A tag update is an alive broadcast; under -profile=local it can miss a node, which
          // then learns it at the next push/pull (15 s).
          { timeoutMs: 20_000 },
        );
        await c.tags({ set: { role: "web3", dc: "east" }, delete: ["extra"] });
        const err = await c.tags({ set: { big: "x".repeat(600) } }).catch((e) => e);
        expect(err.message).toBe("Encoded length of tags exceeds limit of 512 bytes");
      }, 30_000);

      it("user events reach a stream; breaking the loop sends stop", async () => {
        const listener = await connect(node(1));
        const sub = await listener.stream("user:deploy");
        const sender = await connect(node(0));
        await sender.userEvent("other", null, false);
        await sender.userEvent("deploy", bytes("v1.2.3"), false);
        for await (const rec of sub) {
          expect(rec).toMatchObject({ event: "user", name: "deploy", coalesce: false });
          if (rec.event === "user") expect(text(rec.payload)).toBe("v1.2.3");
          break;
        }
        expect(sub.done).toBe(true);
        // The agent accepted the stop: a stream with a new Seq on the same connection works.
        await sub.stop();
        const again = await listener.stream("user:deploy");
        await again.stop();
      });

      it("rejects bad filters and oversized events with the agent's errors", async () => {
        const c = await connect(node(0));
        await expect(c.stream("user, query")).rejects.toThrow("Invalid event filter");
        const err = await c.userEvent("big", new Uint8Array(600)).catch((e) => e);
        expect(err).toBeInstanceOf(RpcResponseError);
        expect(err.error).toBe("user event exceeds configured limit of 512 bytes before encoding");
        await expect(c.userEvent("_serf_ok", null)).resolves.toBeUndefined();
      });
    });

    describe("queries", () => {
      it("yields acks and handler responses, then ends at done", async () => {
        const c = await connect(node(0));
        const started = Date.now();
        const sub = await c.query({
          name: "greet",
          payload: bytes("hi"),
          requestAck: true,
          timeoutMs: QUERY_MS,
        });
        const acks: string[] = [];
        const responses = new Map<string, string | null>();
        for await (const r of sub) {
          if (goClosedChannelRecord(r)) continue;
          if (r.type === "ack") acks.push(r.from);
          else responses.set(r.from, text(r.payload));
        }
        expect(Date.now() - started).toBeGreaterThanOrEqual(QUERY_MS - 100);
        // The asked agent handles its own query locally: its ack and response always come. A
        // remote Go node can miss the query's gossip on a loaded machine (seen in CI: one of
        // three acks missing), which is Go's behaviour, not the client's: every record the client
        // yields must be a real member's, with that member's response.
        const names = cluster.map((a) => a.name);
        expect(acks).toContain(node(0).name);
        expect(responses.get(node(0).name)).toBe(`resp-from-${node(0).name}`);
        expect(new Set(acks).size).toBe(acks.length);
        for (const from of acks) expect(names).toContain(from);
        for (const [from, body] of responses) {
          expect(names).toContain(from);
          expect(body).toBe(`resp-from-${from}`);
        }
      });

      it("filters by node name and by tag", async () => {
        const c = await connect(node(1));
        const collect = async (p: Parameters<RpcClient["query"]>[0]) => {
          const from: string[] = [];
          for await (const r of await c.query(p)) {
            if (!goClosedChannelRecord(r)) from.push(`${r.type}:${r.from}`);
          }
          return from.sort();
        };
        const n2 = node(1).name;
        const [byNode, byTag] = await Promise.all([
          collect({ name: "greet", filterNodes: [n2], requestAck: true, timeoutMs: QUERY_MS }),
          collect({ name: "greet", filterTags: { role: "web[13]" }, timeoutMs: QUERY_MS }),
        ]);
        expect(byNode).toEqual([`ack:${n2}`, `response:${n2}`]);
        // The tag filter's nodes are remote: a Go node can miss the query's gossip under load,
        // so the check is that only they answer (and at least one does).
        const tagged = [`response:${node(0).name}`, `response:${node(2).name}`];
        expect(byTag.length).toBeGreaterThan(0);
        for (const r of byTag) expect(tagged).toContain(r);
      });

      it("rejects reserved names; an early break keeps the connection in sync", async () => {
        const c = await connect(node(0));
        await expect(c.query({ name: "_serf_x" })).rejects.toThrow(
          "Queries cannot contain the '_serf_' prefix",
        );
        const sub = await c.query({ name: "greet", requestAck: true, timeoutMs: 600 });
        for await (const _ of sub) break;
        expect((await c.members()).length).toBe(3);
        const ac = new AbortController();
        const aborted = await c.query({ name: "greet", timeoutMs: 600 }, { signal: ac.signal });
        ac.abort(new Error("interrupted"));
        await expect(
          (async () => {
            for await (const _ of aborted) {
              // nothing
            }
          })(),
        ).rejects.toThrow("interrupted");
        expect((await c.stats()).get("agent")?.get("name")).toBe(node(0).name);
      });

      it("a stream subscriber answers a query with respond()", async () => {
        const responder = await connect(node(0));
        const sub = await responder.stream("query:ask");
        // Asked through the responder's own agent (another connection): Go handles its own query
        // locally, so the test does not depend on the query's gossip, which a Go node can miss
        // on a loaded machine (seen in CI: the stream never saw it and the test timed out).
        const asker = await connect(node(0));
        const replies = await asker.query({
          name: "ask",
          payload: bytes("ping"),
          filterNodes: [node(0).name],
          timeoutMs: QUERY_MS,
        });
        for await (const rec of sub) {
          if (rec.event !== "query") continue;
          expect(rec.name).toBe("ask");
          expect(text(rec.payload)).toBe("ping");
          await responder.respond(rec.id, bytes("pong"));
          await expect(responder.respond(rec.id, bytes("again"))).rejects.toThrow(
            "failed to respond to key query: response already sent",
          );
          break;
        }
        const got: string[] = [];
        for await (const r of replies) got.push(`${r.from}=${text(r.payload)}`);
        expect(got).toEqual([`${node(0).name}=pong`]);
        await expect(responder.respond(99999, null)).rejects.toThrow(
          "No pending queries matching ID",
        );
      });
    });

    describe("monitor, stats, coordinates", () => {
      it("replays and streams logs; stop frees the monitor slot", async () => {
        const c = await connect(node(0));
        const sub = await c.monitor("debug");
        const lines: string[] = [];
        for await (const rec of sub) {
          lines.push(rec.log);
          if (lines.length === 3) break;
        }
        expect(lines[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[(INFO|DEBUG)\] /);
        // After the stop reply a new monitor is accepted (else: Monitor already exists).
        await sub.stop();
        const second = await c.monitor("info");
        await expect(c.monitor("info")).rejects.toThrow("Monitor already exists");
        await second.stop();
        await expect(c.monitor("bogus")).rejects.toThrow("Unknown log level: BOGUS");
      });

      it("stats and coordinates", async () => {
        const c = await connect(node(0));
        const stats = await c.stats();
        expect(stats.get("agent")?.get("name")).toBe(node(0).name);
        expect(stats.get("serf")?.get("members")).toBe("3");
        expect(stats.get("serf")?.get("encrypted")).toBe("false");
        expect(Object.fromEntries(stats.get("tags") ?? [])).toMatchObject({ dc: "east" });
        expect(await c.getCoordinate("nobody")).toBeNull();
        const coord = await eventually(() => c.getCoordinate(node(1).name), { timeoutMs: 8000 });
        expect(coord?.vec).toHaveLength(8);
      });
    });

    describe("keys", () => {
      /**
       * Runs a key command ONCE (the cluster converged first) and records in `misses` the nodes
       * that did not answer. Key commands are internal queries with serf's default timeout
       * (1.6 s under -profile=local); on a loaded machine a reply can come later, from a Go
       * agent as from ours, and the command then counts fewer responses. The assertions below
       * hold for the nodes that answered; the last test bounds the misses against Go's.
       * Resolves with the response, or with the error a command rejected with.
       */
      const once = async (what: string, run: () => Promise<KeyResponse>): Promise<unknown> => {
        const outcome = await run().catch((e: unknown) => e);
        const body = outcome instanceof RpcResponseError ? outcome.body : outcome;
        const r = body as Partial<KeyResponse> | undefined;
        const missed = Math.max(0, (r?.numNodes ?? 0) - (r?.numResp ?? r?.numNodes ?? 0));
        misses.record(impl, what, Array<string>(missed).fill("(a node)"));
        return outcome;
      };
      /** How many nodes answered `r`. */
      const answered = (r: unknown): number => {
        const body = r instanceof RpcResponseError ? r.body : r;
        return (body as Partial<KeyResponse> | undefined)?.numResp ?? -1;
      };
      const converged = (agents: readonly GoAgent[]) =>
        eventually(
          async () => {
            for (const a of agents) {
              const ms = await a.members();
              if (ms.filter((m) => m.status === "alive").length !== agents.length) return false;
            }
            return true;
          },
          { timeoutMs: 20_000 },
        );

      it("a plain cluster refuses key commands with per-node messages", async () => {
        await converged(cluster);
        const c = await connect(node(0));
        const err = (await once("list (plain)", () =>
          c.listKeys(),
        )) as RpcResponseError<KeyResponse>;
        expect(err).toBeInstanceOf(RpcResponseError);
        const n = answered(err);
        expect(err.error).toBe(`${n}/3 nodes reported failure`);
        expect([...(err.body?.messages.values() ?? [])]).toEqual(
          Array(n).fill("Keyring is empty (encryption not enabled)"),
        );
      });

      it("rotates keys on an encrypted cluster", async () => {
        const [e1] = encrypted;
        if (e1 === undefined) throw new Error("no encrypted agent");
        await converged(encrypted);
        const c = await connect(e1);
        const listed = (await once("list", () => c.listKeys())) as KeyResponse;
        expect(Object.fromEntries(listed.keys ?? [])).toEqual({ [key1]: answered(listed) });
        expect(listed).toMatchObject({ numNodes: 2, numErr: 0 });

        const key2 = newKey();
        expect(await once("install", () => c.installKey(key2))).toMatchObject({
          keys: null,
          numNodes: 2,
          numErr: 0,
        });
        expect(await once("use", () => c.useKey(key2))).toMatchObject({ numNodes: 2, numErr: 0 });
        const primaryErr = (await once("remove primary", () =>
          c.removeKey(key2),
        )) as RpcResponseError<KeyResponse>;
        const n = answered(primaryErr);
        expect(primaryErr.error).toBe(`${n}/2 nodes reported failure`);
        expect([...(primaryErr.body?.messages.values() ?? [])]).toEqual(
          Array(n).fill("Removing the primary key is not allowed"),
        );
        expect(await once("remove", () => c.removeKey(key1))).toMatchObject({
          numNodes: 2,
          numErr: 0,
        });
        const after = (await once("list after", () => c.listKeys())) as KeyResponse;
        expect(Object.fromEntries(after.keys ?? [])).toEqual({ [key2]: answered(after) });

        const bad = await c.installKey("notbase64!!").catch((e) => e);
        expect(bad.message).toBe("illegal base64 data at input byte 9");
        expect(bad.body).toMatchObject({ numNodes: 0 });
        const short = await c.installKey(Buffer.alloc(8).toString("base64")).catch((e) => e);
        expect([...short.body.messages.values()]).toEqual(
          Array(2).fill("key size must be 16, 24 or 32 bytes"),
        );
      }, 60_000);
    });

    describe("auth", () => {
      it("works with the right key, refuses a wrong one", async () => {
        const c = await connect(authAgent);
        expect((await c.members()).map((m) => m.name)).toEqual(["auth1"]);
        const err = await RpcClient.connect({ addr: authAgent.rpcAddress, authKey: "nope" }).catch(
          (e) => e,
        );
        expect(err).toBeInstanceOf(RpcResponseError);
        expect(err.message).toBe("Invalid authentication token");
      });

      it("without a key every command is refused and the connection stays usable", async () => {
        const c = await RpcClient.connect({ addr: authAgent.rpcAddress });
        clients.push(c);
        await expect(c.members()).rejects.toThrow("Authentication required");
        // `event` has a body that the agent misreads as a second request: it answers twice.
        await expect(c.userEvent("e", bytes("p"))).rejects.toThrow("Authentication required");
        await expect(c.join(["x"])).rejects.toThrow("Authentication required");
        await expect(c.stream("*")).rejects.toThrow("Authentication required");
        await expect(c.stats()).rejects.toThrow("Authentication required");
        expect(c.closed).toBe(false);
      });
    });

    describe("leave", () => {
      it("leave resolves, then the agent closes the connection and exits", async () => {
        const c = await connect(leaver);
        const mon = await c.monitor("info");
        await c.leave();
        const err = await (async () => {
          for await (const _ of mon) {
            // drain
          }
        })().catch((e) => e);
        expect(err).toBeInstanceOf(RpcClosedError);
        expect(await c.whenClosed).toBeInstanceOf(RpcClosedError);
        await eventually(() => leaver.exited, { timeoutMs: 5000 });
      });
    });
  });
}

describe.skipIf(VARIANTS.some((v) => v.skip))("RpcClient key commands: gossip misses", () => {
  it("TS agents missed no more answers than Go agents (+1) in this run", () => {
    const excess = misses.excess("ts", "go", 1);
    console.info(`rpc-client key-command misses:\n${misses.report()}`);
    expect(excess).toBeUndefined();
  });
});
