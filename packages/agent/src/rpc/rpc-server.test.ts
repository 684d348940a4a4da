/**
 * Protocol behaviour of the RPC server beyond the captured vectors: ordering, pipelining,
 * streams while commands block, the auth quirk, fatal conditions, the "(always)" body rule on
 * every error path, stream bookkeeping (stop, several streams, query IDs), slow and stalled
 * clients, half-close.
 */

import {
  decodeRecord,
  decodeResponseBody,
  encodeRequest,
  encodeRequestHeader,
  RpcError,
} from "@serf-ts/wire/rpc";
import { randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { parseStreamFilter } from "./event-stream.ts";
import { parseMonitorLevel } from "./log-stream.ts";
import { filterMembers, MemberFilterError } from "./member-filter.ts";
import { RpcServer, type RpcServerOptions } from "./rpc-server.ts";
import { MemoryAgentBackend, memoryMember } from "./testing/memory-backend.ts";
import { RawRpcClient } from "./testing/raw-client.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const servers: RpcServer[] = [];
const clients: RawRpcClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(
  options: Partial<RpcServerOptions> = {},
  backend = new MemoryAgentBackend({
    members: [
      memoryMember("n1", [127, 0, 0, 1], { role: "web" }),
      memoryMember("n2", [127, 0, 0, 2], { role: "db" }),
    ],
  }),
) {
  const server = new RpcServer({ backend, ...options });
  servers.push(server);
  const addr = await server.listen(`${randomLoopbackIp()}:0`);
  const at = addr.lastIndexOf(":");
  const host = addr.slice(0, at);
  const port = Number(addr.slice(at + 1));
  const connect = async (handshake = true) => {
    const c = await RawRpcClient.connect(host, port);
    clients.push(c);
    if (handshake) await c.handshake(0);
    return c;
  };
  return { server, backend, connect, host, port };
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await sleep(5);
  }
}

describe("helpers", () => {
  it("parses stream filters like Go", () => {
    expect(parseStreamFilter("")).toEqual([{ event: "*", name: "" }]);
    expect(parseStreamFilter("member-join,user:deploy,*")).toEqual([
      { event: "member-join", name: "" },
      { event: "user", name: "deploy" },
      { event: "*", name: "" },
    ]);
    expect(parseStreamFilter("user:")).toEqual([{ event: "user", name: "" }]);
    expect(parseStreamFilter("query:a:b")).toEqual([{ event: "query", name: "a:b" }]);
    expect(parseStreamFilter("user, query")).toBeUndefined();
    expect(parseStreamFilter("member-joins")).toBeUndefined();
    expect(parseStreamFilter(",")).toBeUndefined();
    expect(parseStreamFilter("USER")).toBeUndefined();
  });

  it("parses monitor levels like Go", () => {
    expect(parseMonitorLevel("debug")).toEqual({ level: "DEBUG" });
    expect(parseMonitorLevel("Err")).toEqual({ level: "ERR" });
    expect(parseMonitorLevel("verbose")).toEqual({ error: "Unknown log level: VERBOSE" });
    expect(parseMonitorLevel("")).toEqual({ error: "Unknown log level: " });
    expect(parseMonitorLevel("error")).toEqual({ error: "Unknown log level: ERROR" });
    expect(parseMonitorLevel("straße")).toEqual({ error: "Unknown log level: STRAßE" });
  });

  it("filters members like Go's anchored regexps", () => {
    const ms = [
      memoryMember("a", [1, 1, 1, 1], { role: "web" }),
      memoryMember("ab", [1, 1, 1, 2], {}, "failed"),
      memoryMember("b", [1, 1, 1, 3], { role: "db" }),
    ];
    const names = (t: Record<string, string>, s: string, n: string) =>
      filterMembers(ms, new Map(Object.entries(t)), s, n).map((m) => m.name);
    expect(names({}, "", "")).toEqual(["a", "ab", "b"]);
    expect(names({}, "", "a")).toEqual(["a"]);
    // "^a|b$": not a full match, so "ab" matches too.
    expect(names({}, "", "a|b")).toEqual(["a", "ab", "b"]);
    expect(names({ role: ".*" }, "", "")).toEqual(["a", "ab", "b"]);
    expect(names({ role: "" }, "", "")).toEqual(["ab"]);
    expect(names({ role: "web|db" }, "alive", "")).toEqual(["a", "b"]);
    expect(names({}, "failed", "")).toEqual(["ab"]);
    expect(() => names({}, "", "(")).toThrow(MemberFilterError);
    expect(() => names({ x: "a{2" }, "", "")).not.toThrow();
    expect(() => names({}, "", "(?=a)")).toThrow(MemberFilterError);
  });
});

describe("RPC server protocol", () => {
  it("answers pipelined requests in order and keeps streaming while a command blocks", async () => {
    const { connect, backend } = await setup();
    let releaseJoin: (n: number) => void = () => {};
    backend.joinHandler = () => new Promise((resolve) => (releaseJoin = resolve));
    const c = await connect();
    c.request("stream", 1, { type: "user" });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    // join blocks; the next requests are queued behind it.
    c.write(
      Buffer.concat([
        encodeRequest("join", 2, { existing: ["x"], replay: false }),
        encodeRequest("members", 3),
        encodeRequest("stats", 4),
      ]),
    );
    await sleep(30);
    backend.emit({ type: "user", name: "e", payload: null, lTime: 7, coalesce: false });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    expect(decodeRecord("stream", await c.frame())).toMatchObject({ event: "user", lTime: 7 });
    expect(c.pending).toBe(0);
    releaseJoin(3);
    expect(await c.header()).toEqual({ error: "", seq: 2 });
    expect(decodeResponseBody("join", await c.frame())).toEqual({ num: 3 });
    expect(await c.header()).toEqual({ error: "", seq: 3 });
    expect(decodeResponseBody("members", await c.frame()).members.map((m) => m.name)).toEqual([
      "n1",
      "n2",
    ]);
    expect(await c.header()).toEqual({ error: "", seq: 4 });
    await c.frame();
  });

  it("echoes any Seq, including 0 and 2^53-1", async () => {
    const { connect } = await setup();
    const c = await connect();
    c.request("members", Number.MAX_SAFE_INTEGER);
    expect(await c.header()).toEqual({ error: "", seq: Number.MAX_SAFE_INTEGER });
    await c.frame();
    c.request("stop", 0, { stop: 77 });
    expect(await c.header()).toEqual({ error: "", seq: 0 });
  });

  it("auth: refused commands are answered once, their body consumed, the connection kept", async () => {
    const { connect } = await setup({ authKey: "k" });
    const c = await connect();
    c.request("event", 1, { name: "x", payload: utf8("p"), coalesce: true });
    c.request("members-filtered", 2, { tags: new Map(), status: "", name: "" });
    c.request("bogus" as "members", 3);
    c.request("auth", 4, { authKey: "nope" });
    c.request("auth", 5, { authKey: "k" });
    c.request("auth", 6, { authKey: "nope" });
    c.request("members", 7);
    expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq: 1 });
    expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq: 2 });
    expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq: 3 });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: 4 });
    expect(await c.header()).toEqual({ error: "", seq: 5 });
    // A failed auth never revokes.
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: 6 });
    expect(await c.header()).toEqual({ error: "", seq: 7 });
    await c.frame();
    expect(await c.quiet(30)).toBe(true);
  });

  it("after a failed auth every command is refused, without effect, until a right auth", async () => {
    const { connect, backend } = await setup({ authKey: "k" });
    const c = await connect();
    // Every command but handshake/auth, each with a valid body.
    const everyCommand = (seq0: number): number => {
      let seq = seq0;
      c.request("event", seq++, { name: "x", payload: utf8("p"), coalesce: false });
      c.request("force-leave", seq++, { node: "n2", prune: true });
      c.request("join", seq++, { existing: ["127.0.0.9:7946"], replay: true });
      c.request("members", seq++);
      c.request("members-filtered", seq++, { tags: new Map(), status: "", name: "" });
      c.request("tags", seq++, { tags: new Map([["role", "evil"]]), deleteTags: [] });
      c.request("stream", seq++, { type: "*" });
      c.request("monitor", seq++, { logLevel: "DEBUG" });
      c.request("stop", seq++, { stop: 1 });
      c.request("query", seq++, {
        filterNodes: [],
        filterTags: new Map(),
        requestAck: true,
        relayFactor: 0,
        timeoutMs: 0,
        name: "q",
        payload: null,
      });
      c.request("respond", seq++, { id: 1, payload: null });
      c.request("install-key", seq++, { key: "AAAAAAAAAAAAAAAAAAAAAA==" });
      c.request("use-key", seq++, { key: "AAAAAAAAAAAAAAAAAAAAAA==" });
      c.request("remove-key", seq++, { key: "AAAAAAAAAAAAAAAAAAAAAA==" });
      c.request("list-keys", seq++);
      c.request("stats", seq++);
      c.request("get-coordinate", seq++, { node: "n1" });
      c.request("leave", seq++);
      return seq;
    };
    const expectRefused = async (from: number, to: number): Promise<void> => {
      for (let seq = from; seq < to; seq++) {
        expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq });
      }
      // Header only: no body, no record.
      expect(await c.quiet(50)).toBe(true);
    };
    c.request("auth", 1, { authKey: "nope" });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: 1 });
    let end = everyCommand(2);
    await expectRefused(2, end);
    // A second wrong key, and the empty key, change nothing.
    c.request("auth", end, { authKey: "" });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: end });
    c.request("auth", end + 1, { authKey: "K" });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: end + 1 });
    const start = end + 2;
    end = everyCommand(start);
    await expectRefused(start, end);
    // Nothing reached the agent.
    expect(backend.calls).toEqual([]);
    expect(backend.eventSubscriberCount).toBe(0);
    expect(backend.logSubscriberCount).toBe(0);
    // The same connection works after the right key.
    c.request("auth", 100, { authKey: "k" });
    expect(await c.header()).toEqual({ error: "", seq: 100 });
    c.request("members", 101);
    expect(await c.header()).toEqual({ error: "", seq: 101 });
    expect(decodeResponseBody("members", await c.frame()).members).toHaveLength(2);
    expect(backend.calls).toEqual([["members"]]);
  });

  it("auth on an agent without a key: only the empty key succeeds", async () => {
    const { connect } = await setup();
    const c = await connect();
    c.request("auth", 1, { authKey: "" });
    c.request("auth", 2, { authKey: "x" });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: 2 });
  });

  it("closes without a reply on an undecodable header or body", async () => {
    const { connect, server } = await setup();
    const a = await connect();
    a.write(Uint8Array.of(0x01)); // a header that is not a map
    await a.closed;
    expect(a.pending).toBe(0);
    const b = await connect();
    b.write(encodeRequestHeader({ command: "handshake", seq: 1 }));
    b.write(utf8("\x81\xa7Version\xa1x")); // Version as a string
    await b.closed;
    expect(b.pending).toBe(0);
    const c = await connect(false);
    c.write(Uint8Array.of(0xc1)); // not msgpack at all
    await c.closed;
    expect(c.pending).toBe(0);
    await waitFor(() => server.connectionCount === 0);
  });

  it("serves requests before garbage, then closes", async () => {
    const { connect } = await setup();
    const c = await connect();
    c.write(Buffer.concat([encodeRequest("members", 1), Uint8Array.of(0xc1, 0x00)]));
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    await c.frame();
    await c.closed;
  });

  it("sends the body on every error path of join, keys, stats and get-coordinate", async () => {
    const { connect, backend } = await setup();
    backend.joinHandler = async () => {
      throw new Error("boom");
    };
    backend.keyHandler = async () => {
      throw new Error("keyring exploded");
    };
    backend.statsData = new Map();
    const c = await connect();
    c.request("join", 1, { existing: ["a"], replay: true });
    c.request("install-key", 2, { key: "k" });
    c.request("list-keys", 3);
    c.request("get-coordinate", 4, { node: "nobody" });
    expect(await c.header()).toEqual({ error: "boom", seq: 1 });
    expect(decodeResponseBody("join", await c.frame())).toEqual({ num: 0 });
    expect(await c.header()).toEqual({ error: "keyring exploded", seq: 2 });
    expect(Buffer.from(await c.frame()).toString("hex")).toBe(
      Buffer.from(
        "85a44b657973c0a84d6573736167657380a64e756d45727200a84e756d4e6f64657300a74e756d5265737000",
        "hex",
      ).toString("hex"),
    );
    expect(await c.header()).toEqual({ error: "keyring exploded", seq: 3 });
    expect(decodeResponseBody("list-keys", await c.frame()).keys).toEqual(new Map());
    expect(await c.header()).toEqual({ error: "", seq: 4 });
    expect(decodeResponseBody("get-coordinate", await c.frame())).toEqual({
      coord: { vec: null, error: 0, adjustment: 0, height: 0 },
      ok: false,
    });
  });

  it("several streams per connection, stop, monitor reopen after stop", async () => {
    const { connect, backend, server } = await setup();
    const c = await connect();
    c.request("stream", 1, { type: "user:a" });
    c.request("stream", 2, { type: "user,member-join" });
    c.request("monitor", 3, { logLevel: "info" });
    c.request("monitor", 4, { logLevel: "debug" });
    for (const [seq, error] of [
      [1, ""],
      [2, ""],
      [3, ""],
      [4, RpcError.MONITOR_ALREADY_EXISTS],
    ] as const) {
      expect(await c.header()).toEqual({ error, seq });
    }
    expect(server.streamCount).toBe(3);
    backend.emit({ type: "user", name: "a", payload: null, lTime: 1, coalesce: false });
    const seqs: number[] = [];
    for (let k = 0; k < 2; k++) {
      seqs.push((await c.header()).seq);
      await c.frame();
    }
    expect(seqs.sort()).toEqual([1, 2]);
    backend.logLine("[INFO] x: y");
    expect(await c.header()).toEqual({ error: "", seq: 3 });
    expect(decodeRecord("monitor", await c.frame()).log).toBe("2026/11/24 11:19:56 [INFO] x: y");
    c.request("stop", 5, { stop: 1 });
    c.request("stop", 6, { stop: 3 });
    expect(await c.header()).toEqual({ error: "", seq: 5 });
    expect(await c.header()).toEqual({ error: "", seq: 6 });
    backend.emit({ type: "user", name: "a", payload: null, lTime: 2, coalesce: false });
    backend.logLine("[INFO] x: z");
    expect(await c.header()).toEqual({ error: "", seq: 2 });
    await c.frame();
    expect(await c.quiet(30)).toBe(true);
    c.request("monitor", 7, { logLevel: "err" });
    expect(await c.header()).toEqual({ error: "", seq: 7 });
    expect(server.streamCount).toBe(2);
    expect(backend.logSubscriberCount).toBe(1);
    c.destroy();
    await waitFor(() => server.connectionCount === 0);
    expect(backend.logSubscriberCount).toBe(0);
    expect(backend.eventSubscriberCount).toBe(0);
  });

  it("query IDs count per connection over all streams; respond until the deadline", async () => {
    const { connect, backend } = await setup();
    const c = await connect();
    const other = await connect();
    c.request("stream", 1, { type: "query" });
    c.request("stream", 2, { type: "query:q" });
    other.request("stream", 1, { type: "*" });
    await c.header();
    await c.header();
    await other.header();
    const h1 = backend.deliverQuery("q", utf8("p"), 150);
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      await c.header();
      const rec = decodeRecord("stream", await c.frame());
      if (rec.event !== "query") throw new Error("expected a query");
      ids.push(rec.id);
    }
    expect(ids).toEqual([1, 2]);
    await other.header();
    expect(decodeRecord("stream", await other.frame())).toMatchObject({ event: "query", id: 1 });
    c.request("respond", 3, { id: 2, payload: utf8("answer") });
    expect(await c.header()).toEqual({ error: "", seq: 3 });
    c.request("respond", 4, { id: 1, payload: utf8("again") });
    expect(await c.header()).toEqual({
      error: "failed to respond to key query: response already sent",
      seq: 4,
    });
    expect(backend.responsesTo(h1)).toEqual([utf8("answer")]);
    await sleep(200);
    other.request("respond", 2, { id: 1, payload: null });
    expect(await other.header()).toEqual({ error: RpcError.NO_PENDING_QUERY, seq: 2 });
    // An expired query is delivered but not registered.
    backend.deliverQuery("late", null, -10);
    await c.header();
    expect(decodeRecord("stream", await c.frame())).toMatchObject({ id: 3, name: "late" });
    c.request("respond", 5, { id: 3, payload: null });
    expect(await c.header()).toEqual({ error: RpcError.NO_PENDING_QUERY, seq: 5 });
  });

  it("query stream: exactly one done at the deadline, no empty-From records, freed on disconnect", async () => {
    const { connect, backend, server } = await setup();
    backend.onQuery = (q) => {
      q.ack("n1");
      q.ack("");
      q.respond("n2", null);
    };
    const c = await connect();
    const t0 = Date.now();
    c.request("query", 1, {
      filterNodes: [],
      filterTags: new Map(),
      requestAck: true,
      relayFactor: 0,
      timeoutMs: 120,
      name: "q",
      payload: null,
    });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    const recs = [];
    for (;;) {
      expect(await c.header()).toEqual({ error: "", seq: 1 });
      const r = decodeRecord("query", await c.frame());
      recs.push(r);
      if (r.type === "done") break;
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    expect(recs).toEqual(
      expect.arrayContaining([
        { type: "ack", from: "n1", payload: null },
        { type: "response", from: "n2", payload: null },
        { type: "done", from: "", payload: null },
      ]),
    );
    expect(recs).toHaveLength(3);
    expect(await c.quiet(60)).toBe(true);
    // A query whose client goes away is closed at once.
    c.request("query", 2, {
      filterNodes: [],
      filterTags: new Map(),
      requestAck: false,
      relayFactor: 0,
      timeoutMs: 10_000,
      name: "q",
      payload: null,
    });
    await c.header();
    expect(backend.openQueryCount).toBe(1);
    c.destroy();
    await waitFor(() => server.connectionCount === 0);
    expect(backend.openQueryCount).toBe(0);
    expect(server.streamCount).toBe(0);
  });

  it("never delivers internal _serf_ queries, and they take no query ID", async () => {
    const { connect, backend } = await setup();
    const c = await connect();
    c.request("stream", 1, { type: "*" });
    await c.header();
    backend.deliverQuery("_serf_ping", null);
    expect(await c.quiet(30)).toBe(true);
    backend.deliverQuery("app", null);
    await c.header();
    expect(decodeRecord("stream", await c.frame())).toMatchObject({ event: "query", id: 1 });
  });

  it("logs what Go's agent.ipc logs", async () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string) => lines.push(`[DEBUG] ${m}`),
      info: (m: string) => lines.push(`[INFO] ${m}`),
      warn: (m: string) => lines.push(`[WARN] ${m}`),
      error: (m: string) => lines.push(`[ERR] ${m}`),
    };
    const { connect, server } = await setup({ logger, authKey: "k" });
    const a = await connect();
    const aName = `${a.socket.localAddress}:${a.socket.localPort}`;
    a.request("members", 1);
    await a.header();
    a.write(encodeRequestHeader({ command: "auth", seq: 2 }).subarray(0, 4));
    a.end();
    await a.closed;
    const b = await connect(false);
    const bName = `${b.socket.localAddress}:${b.socket.localPort}`;
    b.destroy();
    await waitFor(() => server.connectionCount === 0);
    await sleep(10);
    expect(lines).toEqual([
      `[INFO] Accepted client: ${aName}`,
      "[WARN] Client sending commands before auth",
      "[ERR] failed to decode request header: unexpected EOF",
      `[INFO] Accepted client: ${bName}`,
    ]);
  });

  it("stream Seq reuse after stop, and a query stream never counts as an event stream", async () => {
    const { connect } = await setup();
    const c = await connect();
    c.request("stream", 1, { type: "*" });
    c.request("stream", 1, { type: "*" });
    c.request("stop", 2, { stop: 1 });
    c.request("stream", 1, { type: "*" });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    expect(await c.header()).toEqual({ error: RpcError.STREAM_EXISTS, seq: 1 });
    expect(await c.header()).toEqual({ error: "", seq: 2 });
    expect(await c.header()).toEqual({ error: "", seq: 1 });
  });

  it("half-close: pipelined requests are all answered, then the agent closes", async () => {
    const { connect, backend, server } = await setup();
    backend.joinHandler = async () => {
      await sleep(50);
      return 1;
    };
    const c = await connect();
    c.write(
      Buffer.concat([
        encodeRequest("join", 1, { existing: ["x"], replay: false }),
        encodeRequest("members", 2),
      ]),
    );
    c.end();
    expect(await c.header()).toEqual({ error: "", seq: 1 });
    await c.frame();
    expect(await c.header()).toEqual({ error: "", seq: 2 });
    await c.frame();
    await c.closed;
    await waitFor(() => server.connectionCount === 0);
  });

  it("handshake required / unsupported command close the connection after the reply", async () => {
    const { connect, server } = await setup();
    const a = await connect(false);
    a.request("auth", 5, { authKey: "" });
    expect(await a.header()).toEqual({ error: RpcError.HANDSHAKE_REQUIRED, seq: 5 });
    await a.closed;
    const b = await connect();
    b.write(encodeRequestHeader({ command: "", seq: 9 }));
    expect(await b.header()).toEqual({ error: RpcError.UNSUPPORTED_COMMAND, seq: 9 });
    await b.closed;
    await waitFor(() => server.connectionCount === 0);
  });

  it("disconnects a client that stops reading, without blocking the agent or others", async () => {
    const { connect, backend, server } = await setup({ maxWriteBufferBytes: 256 * 1024 });
    const slow = await connect();
    slow.request("monitor", 1, { logLevel: "debug" });
    await slow.header();
    slow.socket.pause();
    const good = await connect();
    const line = `[INFO] agent: ${"x".repeat(1000)}`;
    const t0 = Date.now();
    for (let i = 0; i < 5000 && server.connectionCount > 1; i++) {
      backend.logLine(line);
      if (i % 500 === 0) await sleep(1);
    }
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(() => server.connectionCount === 1);
    expect(backend.logSubscriberCount).toBe(0);
    good.request("members", 1);
    expect(await good.header()).toEqual({ error: "", seq: 1 });
  });

  it("closes connections that never handshake or stall in the middle of a request", async () => {
    const { connect, server } = await setup({ handshakeTimeoutMs: 100, stallTimeoutMs: 100 });
    const silent = await connect(false);
    const partial = await connect();
    partial.write(encodeRequestHeader({ command: "event", seq: 1 })); // body never comes
    const half = await connect();
    half.write(encodeRequest("members", 1).subarray(0, 5));
    const idle = await connect(); // handshaken and idle: kept
    await Promise.all([silent.closed, partial.closed, half.closed]);
    expect(idle.isClosed).toBe(false);
    await waitFor(() => server.connectionCount === 1);
    await sleep(150);
    expect(idle.isClosed).toBe(false);
  });

  it("closes on a request larger than maxFrameBytes", async () => {
    const { connect } = await setup({ maxFrameBytes: 1024 });
    const c = await connect();
    c.request("event", 1, { name: "big", payload: new Uint8Array(2000), coalesce: false });
    await c.closed;
    expect(c.pending).toBe(0);
  });

  it("rejects a second listen and reports Go-style bind errors", async () => {
    const { server, host, port } = await setup();
    await expect(server.listen(`${host}:${port}`)).rejects.toThrow("already listening");
    const other = new RpcServer({ backend: new MemoryAgentBackend() });
    await expect(other.listen(`${host}:${port}`)).rejects.toThrow(
      `listen tcp ${host}:${port}: bind: address already in use`,
    );
    await expect(other.listen("127.0.0.1")).rejects.toThrow(
      "listen tcp: address 127.0.0.1: missing port in address",
    );
    await other.close();
  });
});
