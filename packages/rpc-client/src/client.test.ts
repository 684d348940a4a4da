/**
 * RpcClient against the in-process fake agent: framing, Seq matching, body rules, malformed
 * input, disconnects, timeouts and stream stop/abort. Behaviour against the real Go agent is in
 * `go-agent.test.ts`.
 */

import { createServer } from "node:net";
import { EncodeError } from "@serf-ts/wire";
import {
  encodeRecordFrame,
  encodeResponse,
  encodeResponseHeader,
  type Member,
  RpcError,
} from "@serf-ts/wire/rpc";
import { afterEach, describe, expect, it } from "vitest";
import { RpcClient } from "./client.ts";
import { parseRpcAddress } from "./dial.ts";
import {
  RpcClosedError,
  RpcConnectError,
  RpcProtocolError,
  RpcResponseError,
  RpcTimeoutError,
} from "./errors.ts";
import { FakeAgent, type FakeHandler } from "./testing/fake-agent.ts";

const member = (name: string): Member => ({
  name,
  addr: new Uint8Array([127, 0, 0, 1]),
  port: 7946,
  tags: new Map([["role", "web"]]),
  status: "alive",
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 5,
});

const agents: FakeAgent[] = [];
const clients: RpcClient[] = [];

async function setup(handler: FakeHandler, options: { authKey?: string } = {}) {
  const agent = await FakeAgent.start(handler, options);
  agents.push(agent);
  const client = await RpcClient.connect(
    options.authKey === undefined
      ? { addr: agent.addr }
      : { addr: agent.addr, authKey: options.authKey },
  );
  clients.push(client);
  return { agent, client };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function tick(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe("connect", () => {
  it("handshakes with Seq 1, authenticates with Seq 2, then counts on", async () => {
    const { agent, client } = await setup(
      (req, conn) => {
        if (req.command !== "members") return false;
        conn.reply("members", req.seq, "", { members: [member("a")] });
        return true;
      },
      { authKey: "secret" },
    );
    const members = await client.members();
    expect(members.map((m) => m.name)).toEqual(["a"]);
    expect(agent.last.requests).toEqual([
      { command: "handshake", seq: 1, body: { version: 1 } },
      { command: "auth", seq: 2, body: { authKey: "secret" } },
      { command: "members", seq: 3, body: undefined },
    ]);
  });

  it("rejects a wrong auth key with the agent's error and closes", async () => {
    const agent = await FakeAgent.start(undefined, { authKey: "right" });
    agents.push(agent);
    const err = await RpcClient.connect({ addr: agent.addr, authKey: "wrong" }).catch((e) => e);
    expect(err).toBeInstanceOf(RpcResponseError);
    expect(err.message).toBe("Invalid authentication token");
  });

  it("words dial errors like Go", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const err = await RpcClient.connect({ addr: `127.0.0.1:${port}` }).catch((e) => e);
    expect(err).toBeInstanceOf(RpcConnectError);
    expect(err.message).toBe(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(err.errno).toBe("ECONNREFUSED");
  });

  it("parses addresses with Go's rules and messages", () => {
    expect(parseRpcAddress("127.0.0.1:7373")).toEqual({ host: "127.0.0.1", port: 7373 });
    expect(parseRpcAddress("[::1]:7373")).toEqual({ host: "::1", port: 7373 });
    expect(parseRpcAddress(":7373")).toEqual({ host: "", port: 7373 });
    const msg = (a: string) => {
      try {
        parseRpcAddress(a);
        return "ok";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg("127.0.0.1")).toBe("dial tcp: address 127.0.0.1: missing port in address");
    expect(msg("")).toBe("dial tcp: missing address");
    expect(msg("1.2.3.4:99999")).toBe("dial tcp: address 99999: invalid port");
    expect(msg("127.0.0.1:abc")).toBe("dial tcp: address tcp/abc: unknown port");
    expect(msg("::1:7373")).toBe("dial tcp: address ::1:7373: too many colons in address");
    expect(msg("[::1]")).toBe("dial tcp: address [::1]: missing port in address");
  });

  it("times out when the agent never answers the handshake", async () => {
    const agent = await FakeAgent.start(undefined, { silent: true });
    agents.push(agent);
    const err = await RpcClient.connect({ addr: agent.addr, timeoutMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(RpcTimeoutError);
  });

  it("honours an abort signal while connecting", async () => {
    const agent = await FakeAgent.start(undefined, { silent: true });
    agents.push(agent);
    const ac = new AbortController();
    const p = RpcClient.connect({ addr: agent.addr, signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop it")), 30);
    await expect(p).rejects.toThrow("stop it");
  });
});

describe("replies", () => {
  it("decodes frames split byte by byte and several frames in one chunk", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "members") return false;
      const bytes = encodeResponse(
        "members",
        { seq: req.seq, error: "" },
        {
          members: [member("a"), member("b")],
        },
      );
      void (async () => {
        for (const b of bytes) {
          conn.send(new Uint8Array([b]));
          await tick(0);
        }
      })();
      return true;
    });
    expect((await client.members()).map((m) => m.name)).toEqual(["a", "b"]);
  });

  it("matches concurrent replies by Seq, whatever their order", async () => {
    const held: { seq: number; name: string }[] = [];
    const { client } = await setup((req, conn) => {
      if (req.command !== "get-coordinate") return false;
      held.push({ seq: req.seq, name: (req.body as { node: string }).node });
      if (held.length === 3) {
        for (const h of held.reverse()) {
          conn.reply("get-coordinate", h.seq, "", {
            coord: { vec: [h.name.length], error: 0, adjustment: 0, height: 0 },
            ok: true,
          });
        }
      }
      return true;
    });
    const [a, bb, ccc] = await Promise.all([
      client.getCoordinate("a"),
      client.getCoordinate("bb"),
      client.getCoordinate("ccc"),
    ]);
    expect([a?.vec, bb?.vec, ccc?.vec]).toEqual([[1], [2], [3]]);
  });

  it("reads the body sent with an error (always) and exposes it", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command === "join") {
        conn.reply("join", req.seq, "1 error occurred:\n\t* boom\n\n", { num: 0 });
        return true;
      }
      if (req.command === "remove-key") {
        conn.reply("remove-key", req.seq, "1/1 nodes reported failure", {
          keys: null,
          messages: new Map([["n1", "Removing the primary key is not allowed"]]),
          numErr: 1,
          numNodes: 1,
          numResp: 1,
        });
        return true;
      }
      if (req.command === "stats") {
        conn.reply("stats", req.seq, "", new Map([["agent", new Map([["name", "n1"]])]]));
        return true;
      }
      return false;
    });
    const joinErr = await client.join(["x"]).catch((e) => e);
    expect(joinErr).toBeInstanceOf(RpcResponseError);
    expect(joinErr.message).toBe("1 error occurred:\n\t* boom\n\n");
    expect(joinErr.body).toEqual({ num: 0 });
    const keyErr = await client.removeKey("k").catch((e) => e);
    expect(keyErr.error).toBe("1/1 nodes reported failure");
    expect(keyErr.body.messages.get("n1")).toBe("Removing the primary key is not allowed");
    // Framing is intact afterwards.
    expect((await client.stats()).get("agent")?.get("name")).toBe("n1");
  });

  it("expects no body after `Authentication required`, even for body commands", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command === "join" || req.command === "members") {
        conn.send(encodeResponse("join", { seq: req.seq, error: RpcError.AUTH_REQUIRED }));
        return true;
      }
      if (req.command === "leave") {
        conn.reply("leave", req.seq, "");
        return true;
      }
      return false;
    });
    await expect(client.join(["x"])).rejects.toThrow(RpcError.AUTH_REQUIRED);
    await expect(client.members()).rejects.toThrow(RpcError.AUTH_REQUIRED);
    await expect(client.leave()).resolves.toBeUndefined();
  });

  it("skips the body of a reply nobody waits for", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "leave") return false;
      // An unsolicited reply with a body (Seq 999), then a record of an unknown stream,
      // then the real reply.
      conn.send(encodeResponse("members", { seq: 999, error: "" }, { members: [member("x")] }));
      conn.send(encodeRecordFrame("monitor", 998, { log: "stray" }));
      conn.send(encodeResponseHeader({ seq: 997, error: "" }));
      conn.reply("leave", req.seq, "");
      return true;
    });
    await expect(client.leave()).resolves.toBeUndefined();
  });

  it("still consumes the body of a reply that arrives after the call timed out", async () => {
    let first = true;
    const { client } = await setup((req, conn) => {
      if (req.command !== "members") return false;
      const delay = first ? 150 : 0;
      first = false;
      setTimeout(
        () => conn.reply("members", req.seq, "", { members: [member(`m${req.seq}`)] }),
        delay,
      );
      return true;
    });
    const err = await client.members({ timeoutMs: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(RpcTimeoutError);
    await tick(200);
    expect((await client.members()).map((m) => m.name)).toEqual(["m3"]);
  });

  it("rejects a call whose body does not decode, but keeps the connection", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command === "members") {
        // A body whose Members is a string.
        conn.send(encodeResponseHeader({ seq: req.seq, error: "" }));
        conn.send(new Uint8Array([0x81, 0xa7, ...Buffer.from("Members"), 0xa1, 0x78]));
        return true;
      }
      if (req.command === "leave") {
        conn.reply("leave", req.seq, "");
        return true;
      }
      return false;
    });
    await expect(client.members()).rejects.toBeInstanceOf(RpcProtocolError);
    await expect(client.leave()).resolves.toBeUndefined();
    expect(client.closed).toBe(false);
  });

  it("rejects values that cannot be encoded without sending anything", async () => {
    const { agent, client } = await setup(() => false);
    await expect(client.query({ name: "q", relayFactor: 300 })).rejects.toBeInstanceOf(EncodeError);
    expect(agent.last.requests.map((r) => r.command)).toEqual(["handshake"]);
  });
});

describe("malformed input and disconnects", () => {
  it("drops the connection on bytes that are not msgpack and fails everything", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command === "members") {
        conn.send(new Uint8Array([0xc1]));
        return true;
      }
      return req.command === "join"; // never answered
    });
    const pendingJoin = client.join(["x"]).catch((e) => e);
    const err = await client.members().catch((e) => e);
    expect(err).toBeInstanceOf(RpcClosedError);
    expect(err.message).toBe("client closed");
    expect(err.cause).toBeInstanceOf(RpcProtocolError);
    expect(await pendingJoin).toBeInstanceOf(RpcClosedError);
    const closed = await client.whenClosed;
    expect(closed?.cause).toBeInstanceOf(RpcProtocolError);
    await expect(client.stats()).rejects.toBeInstanceOf(RpcClosedError);
  });

  it("drops the connection on a header that is not a map", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "leave") return false;
      conn.send(new Uint8Array([0x93, 1, 2, 3]));
      return true;
    });
    const err = await client.leave().catch((e) => e);
    expect(err).toBeInstanceOf(RpcClosedError);
    expect(err.cause).toBeInstanceOf(RpcProtocolError);
  });

  it("fails a pending call with `client closed` and a pending stream with `Stream closed`", async () => {
    const { agent, client } = await setup((req) => req.command !== "handshake");
    const call = client.members().catch((e) => e);
    const stream = client.stream("*").catch((e) => e);
    await tick();
    agent.last.destroy();
    expect((await call).message).toBe("client closed");
    expect(await stream).toBeInstanceOf(RpcClosedError);
    expect((await stream).message).toBe("Stream closed");
  });

  it("delivers buffered records, then throws when the agent goes away", async () => {
    const { agent, client } = await setup((req, conn) => {
      if (req.command !== "monitor") return false;
      conn.reply("monitor", req.seq, "");
      conn.record("monitor", req.seq, { log: "one" });
      conn.record("monitor", req.seq, { log: "two" });
      setTimeout(() => conn.destroy(), 30);
      return true;
    });
    const sub = await client.monitor("debug");
    const seen: string[] = [];
    const err = await (async () => {
      for await (const rec of sub) seen.push(rec.log);
    })().catch((e) => e);
    expect(seen).toEqual(["one", "two"]);
    expect(err).toBeInstanceOf(RpcClosedError);
    expect(agent.connections).toHaveLength(1);
    expect(await client.whenClosed).toBeInstanceOf(RpcClosedError);
  });

  it("a cut-off frame at the end is a closed connection, not a hang", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "members") return false;
      const bytes = encodeResponse(
        "members",
        { seq: req.seq, error: "" },
        {
          members: [member("a")],
        },
      );
      conn.send(bytes.subarray(0, bytes.length - 3));
      conn.end();
      return true;
    });
    await expect(client.members()).rejects.toBeInstanceOf(RpcClosedError);
  });

  it("close() rejects pending calls, ends open iterations and refuses new calls", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command === "stream") {
        conn.reply("stream", req.seq, "");
        return true;
      }
      return req.command === "members";
    });
    const sub = await client.stream("user");
    const pending = client.members().catch((e) => e);
    const iteration = (async () => {
      const got: unknown[] = [];
      for await (const r of sub) got.push(r);
      return got;
    })();
    await client.close();
    expect((await pending).message).toBe("client closed");
    expect(await iteration).toEqual([]);
    expect(await client.whenClosed).toBeUndefined();
    await expect(client.members()).rejects.toThrow("client closed");
  });
});

describe("streams", () => {
  function streamingAgent(): FakeHandler {
    return (req, conn) => {
      if (req.command === "stream") {
        conn.reply("stream", req.seq, "");
        let lTime = 1;
        const timer = setInterval(() => {
          if (conn.socket.destroyed) return clearInterval(timer);
          conn.record("stream", req.seq, {
            event: "user",
            lTime: lTime++,
            name: "deploy",
            payload: new Uint8Array([1]),
            coalesce: false,
          });
        }, 5);
        conn.socket.once("close", () => clearInterval(timer));
        return true;
      }
      return false;
    };
  }

  it("sends stop when the loop breaks and drops records that were still in flight", async () => {
    const { agent, client } = await setup(streamingAgent());
    const sub = await client.stream("user:deploy");
    const got: number[] = [];
    for await (const rec of sub) {
      if (rec.event === "user") got.push(rec.lTime);
      if (got.length === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    expect(sub.done).toBe(true);
    const stop = agent.last.requests.find((r) => r.command === "stop");
    expect(stop?.body).toEqual({ stop: sub.seq });
    // The fake keeps sending records for that Seq: they are skipped, calls keep working.
    await tick(30);
    await expect(client.stream("user", { timeoutMs: 500 })).resolves.toBeDefined();
  });

  it("an abort signal stops the stream and makes the iteration throw its reason", async () => {
    const { agent, client } = await setup(streamingAgent());
    const ac = new AbortController();
    const sub = await client.stream("*", { signal: ac.signal });
    const err = await (async () => {
      for await (const _ of sub) ac.abort(new Error("enough"));
    })().catch((e) => e);
    expect(err.message).toBe("enough");
    await tick(20);
    expect(agent.last.requests.some((r) => r.command === "stop")).toBe(true);
  });

  it("rejects the opening with the agent's error", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "stream") return false;
      conn.reply("stream", req.seq, RpcError.INVALID_EVENT_FILTER);
      return true;
    });
    const err = await client.stream("bogus").catch((e) => e);
    expect(err).toBeInstanceOf(RpcResponseError);
    expect(err.message).toBe("Invalid event filter");
  });

  it("counts records dropped when the buffer is full", async () => {
    const { client } = await setup((req, conn) => {
      if (req.command !== "monitor") return false;
      conn.reply("monitor", req.seq, "");
      for (let i = 0; i < 10; i++) conn.record("monitor", req.seq, { log: `l${i}` });
      return true;
    });
    const sub = await client.monitor("INFO", { bufferSize: 4 });
    for (let i = 0; i < 50 && sub.dropped < 6; i++) await tick(10);
    expect(sub.dropped).toBe(6);
    const got: string[] = [];
    for await (const rec of sub) {
      got.push(rec.log);
      if (got.length === 4) break;
    }
    expect(got).toEqual(["l0", "l1", "l2", "l3"]);
  });

  it("ends a query at `done` and drains it after an early break", async () => {
    const { agent, client } = await setup((req, conn) => {
      if (req.command === "leave") {
        conn.reply("leave", req.seq, "");
        return true;
      }
      if (req.command !== "query") return false;
      conn.reply("query", req.seq, "");
      conn.record("query", req.seq, { type: "ack", from: "a", payload: null });
      conn.record("query", req.seq, {
        type: "response",
        from: "a",
        payload: new Uint8Array([104]),
      });
      setTimeout(() => {
        conn.record("query", req.seq, { type: "ack", from: "b", payload: null });
        conn.record("query", req.seq, { type: "done", from: "", payload: null });
      }, 30);
      return true;
    });
    const all = await client.query({ name: "q", requestAck: true, timeoutMs: 1500 });
    const seen: string[] = [];
    for await (const r of all) seen.push(`${r.type}:${r.from}`);
    expect(seen).toEqual(["ack:a", "response:a", "ack:b"]);
    const req = agent.last.requests.find((r) => r.command === "query");
    expect(req?.body).toMatchObject({ name: "q", requestAck: true, timeoutMs: 1500 });

    const early = await client.query({ name: "q2" });
    for await (const _ of early) break;
    await tick(60);
    // Records after the break were read and dropped; the client is still in sync.
    await expect(client.leave({ timeoutMs: 200 })).resolves.toBeUndefined();
  });
});
