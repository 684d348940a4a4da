/**
 * Byte-level replay of the captured Go agent RPC connections (`vectors/rpc-*.json`): the
 * client->agent frames of each connection are written to our server, whose backend is primed
 * with the data the Go agent had (members, join results, key results, stats, coordinates,
 * events, log lines), and every agent->client frame must come back byte for byte, in the
 * recorded order, with the connection closed by the agent exactly where Go closed it.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decodeRecord,
  decodeRequestHeader,
  decodeResponseBody,
  decodeResponseHeader,
  isStreamCommand,
  type ResponseBodyCommand,
  type RpcResponseBodies,
  responseBodyFollows,
} from "@serf-ts/wire/rpc";
import { randomLoopbackIp } from "@serf-ts/testkit";
import { vectorsDir } from "@serf-ts/wire/testing";
import { afterEach, describe, expect, it } from "vitest";
import { JoinError } from "./agent-backend.ts";
import { RpcServer } from "./rpc-server.ts";
import { MemoryAgentBackend } from "./testing/memory-backend.ts";
import { RawRpcClient } from "./testing/raw-client.ts";

const VECTORS_DIR = vectorsDir();

interface Frame {
  readonly dir: "client->agent" | "agent->client";
  readonly role: string;
  readonly hex: string;
  readonly decoded: unknown;
}
interface Connection {
  readonly closed_by_agent: boolean;
  readonly frames: readonly Frame[];
}
interface Vector {
  readonly id: string;
  readonly connections: readonly Connection[];
}

function loadRpcVectors(): Array<{ name: string; vector: Vector }> {
  const names = readdirSync(VECTORS_DIR)
    .filter((f) => f.startsWith("rpc-") && f.endsWith(".json"))
    .sort();
  if (names.length === 0) throw new Error(`no rpc vectors in ${VECTORS_DIR}`);
  return names.map((f) => ({
    name: f.slice(0, -5),
    vector: JSON.parse(readFileSync(join(VECTORS_DIR, f), "utf8")) as Vector,
  }));
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(backend: MemoryAgentBackend, authKey = ""): Promise<[string, number]> {
  const server = new RpcServer({ backend, authKey, leaveGraceMs: 200 });
  servers.push(server);
  const addr = await server.listen(`${randomLoopbackIp()}:0`);
  const at = addr.lastIndexOf(":");
  return [addr.slice(0, at), Number(addr.slice(at + 1))];
}

/** The response header and body the agent sent for `seq`, looking ahead from `from`. */
function lookAhead(frames: readonly Frame[], from: number, seq: number) {
  for (let i = from; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.dir !== "agent->client" || f.role !== "response header") continue;
    const h = decodeResponseHeader(hexBytes(f.hex));
    if (h.seq !== seq) continue;
    const next = frames.slice(i + 1).find((x) => x.dir === "agent->client");
    return { header: h, bodyHex: next?.hex };
  }
  return undefined;
}

/** Scripts the backend's answer to the request about to be written (from the recording). */
function prime(backend: MemoryAgentBackend, frames: readonly Frame[], index: number): void {
  const header = decodeRequestHeader(hexBytes(frames[index]!.hex));
  const reply = lookAhead(frames, index + 1, header.seq);
  if (reply === undefined) return;
  const cmd = header.command;
  const body = <C extends ResponseBodyCommand>(c: C): RpcResponseBodies[C] | undefined =>
    reply.bodyHex !== undefined && responseBodyFollows(c, reply.header.error)
      ? decodeResponseBody(c, hexBytes(reply.bodyHex))
      : undefined;
  if (cmd === "join") {
    const b = body("join");
    backend.joinHandler = async () => {
      if (reply.header.error !== "") throw new JoinError(reply.header.error, b?.num ?? 0);
      return b?.num ?? 0;
    };
  } else if (
    cmd === "install-key" ||
    cmd === "use-key" ||
    cmd === "remove-key" ||
    cmd === "list-keys"
  ) {
    const b = body(cmd);
    if (b !== undefined) backend.keyHandler = async () => ({ ...b, error: reply.header.error });
  } else if (cmd === "stats") {
    const b = body("stats");
    if (b !== undefined) backend.statsData = b;
  } else if (cmd === "get-coordinate") {
    const b = body("get-coordinate");
    const req = frames[index + 1];
    if (b?.ok === true && req !== undefined) {
      const node = (req.decoded as { Node: string }).Node;
      backend.coordinates.set(node, b.coord);
    }
  } else if (cmd === "members" || cmd === "members-filtered") {
    // The full member list is primed once per connection (see `primeMembers`).
  }
}

/** Members, local node and log lines of a connection, from its recorded agent frames. */
function primeConnection(backend: MemoryAgentBackend, conn: Connection): void {
  const seqCommand = new Map<number, string>();
  for (let i = 0; i < conn.frames.length; i++) {
    const f = conn.frames[i]!;
    if (f.dir === "client->agent" && f.role === "request header") {
      const h = decodeRequestHeader(hexBytes(f.hex));
      seqCommand.set(h.seq, h.command);
      continue;
    }
    if (f.dir !== "agent->client" || f.role !== "response header") continue;
    const h = decodeResponseHeader(hexBytes(f.hex));
    const cmd = seqCommand.get(h.seq);
    const next = conn.frames[i + 1];
    if (next === undefined || next.dir !== "agent->client" || next.role === "response header") {
      continue;
    }
    if (cmd === "members" && backend.memberList.length <= 1) {
      backend.memberList = [...decodeResponseBody("members", hexBytes(next.hex)).members];
    } else if (cmd === "monitor") {
      // Go replays its log ring to a new monitor; prime the ring with the recorded lines.
      backend.ring.write(`${decodeRecord("monitor", hexBytes(next.hex)).log}\n`);
    }
  }
}

/**
 * Replays one connection. Stream records are produced by triggering the backend just before
 * they are expected: events for `stream`, acks/responses for `query` (the `done` record comes
 * from the server's deadline timer); monitor lines come from the primed log ring.
 */
async function replay(
  backend: MemoryAgentBackend,
  client: RawRpcClient,
  conn: Connection,
  options: { readonly upTo?: number; readonly from?: number } = {},
): Promise<number> {
  const frames = conn.frames;
  const seqCommand = new Map<number, string>();
  /** Requests per Seq still waiting for their reply header. */
  const awaiting = new Map<number, number>();
  let i = options.from ?? 0;
  const end = options.upTo ?? frames.length;
  while (i < end) {
    const f = frames[i]!;
    if (f.dir === "client->agent") {
      if (f.role === "request header") {
        const h = decodeRequestHeader(hexBytes(f.hex));
        seqCommand.set(h.seq, h.command);
        awaiting.set(h.seq, (awaiting.get(h.seq) ?? 0) + 1);
        prime(backend, frames, i);
      }
      client.write(hexBytes(f.hex));
      i++;
      continue;
    }
    const expected = decodeResponseHeader(hexBytes(f.hex));
    const command = seqCommand.get(expected.seq) ?? "";
    const waiting = awaiting.get(expected.seq) ?? 0;
    if (waiting === 0 && isStreamCommand(command)) {
      // A record pair: header + record.
      const recFrame = frames.slice(i + 1).find((x) => x.dir === "agent->client")!;
      trigger(backend, command, hexBytes(recFrame.hex));
      expect(toHex(await client.frame()), `record header #${i}`).toBe(f.hex);
      expect(toHex(await client.frame()), `record #${i}`).toBe(recFrame.hex);
      i = frames.indexOf(recFrame) + 1;
      continue;
    }
    awaiting.set(expected.seq, waiting - 1);
    expect(toHex(await client.frame()), `response header #${i} (${command})`).toBe(f.hex);
    i++;
    if (responseBodyFollows(command, expected.error)) {
      const bodyFrame = frames.slice(i).find((x) => x.dir === "agent->client")!;
      expect(toHex(await client.frame()), `response body #${i} (${command})`).toBe(bodyFrame.hex);
      i = frames.indexOf(bodyFrame) + 1;
    }
  }
  return i;
}

function trigger(backend: MemoryAgentBackend, command: string, record: Uint8Array): void {
  if (command === "stream") {
    const rec = decodeRecord("stream", record);
    if (rec.event === "user") {
      backend.emit({
        type: "user",
        name: rec.name,
        payload: rec.payload,
        lTime: rec.lTime,
        coalesce: rec.coalesce,
      });
    } else if (rec.event === "query") {
      backend.deliverQuery(rec.name, rec.payload, 5000, rec.lTime);
    } else {
      backend.emit({ type: rec.event, members: rec.members });
    }
  } else if (command === "query") {
    const rec = decodeRecord("query", record);
    const q = backend.queries.at(-1)!;
    if (rec.type === "ack") q.ack(rec.from);
    else if (rec.type === "response") q.respond(rec.from, rec.payload);
    // "done": sent by the server at the query deadline.
  }
}

async function expectEnd(client: RawRpcClient, conn: Connection): Promise<void> {
  if (conn.closed_by_agent) {
    await Promise.race([
      client.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error("agent did not close")), 3000)),
    ]);
    expect(client.pending).toBe(0);
  } else {
    expect(await client.quiet(60)).toBe(true);
    expect(client.isClosed).toBe(false);
  }
}

const VECTORS = loadRpcVectors();

describe("agent RPC server against the captured Go agent connections", () => {
  it("covers every rpc vector file", () => {
    expect(VECTORS.map((v) => v.name)).toEqual(
      expect.arrayContaining([
        "rpc-auth",
        "rpc-event-stream-user",
        "rpc-handshake",
        "rpc-join",
        "rpc-keys-encrypted",
        "rpc-keys-unencrypted",
        "rpc-leave",
        "rpc-members",
        "rpc-monitor-stop",
        "rpc-query-respond",
        "rpc-stats-coordinate",
        "rpc-stream-member-tags-force-leave",
      ]),
    );
  });

  for (const { name, vector } of VECTORS) {
    if (name === "rpc-leave") continue;
    vector.connections.forEach((conn, ci) => {
      it(`${name} connection ${ci}`, async () => {
        const backend = new MemoryAgentBackend({ fixedQueryTimeoutMs: 250 });
        primeConnection(backend, conn);
        const [host, port] = await startServer(backend, name === "rpc-auth" ? "s3cret" : "");
        const client = await RawRpcClient.connect(host, port);
        try {
          await replay(backend, client, conn);
          await expectEnd(client, conn);
        } finally {
          client.destroy();
        }
        // Requests reached the backend decoded as recorded.
        if (name === "rpc-join") {
          expect(backend.calls.filter((c) => c[0] === "join").length).toBeGreaterThan(0);
        }
        if (name === "rpc-stream-member-tags-force-leave" && ci === 1) {
          expect(backend.calls.filter((c) => c[0] === "setTags")).toEqual([
            [
              "setTags",
              new Map([
                ["role", "cache2"],
                ["zone", "z1"],
              ]),
              [],
            ],
            ["setTags", new Map(), ["zone", "not-there"]],
          ]);
        }
        if (name === "rpc-stream-member-tags-force-leave" && ci === 2) {
          expect(backend.calls.filter((c) => c[0] === "forceLeave")).toEqual([
            ["forceLeave", "node-d", false],
            ["forceLeave", "node-d", true],
            ["forceLeave", "no-such-node", false],
          ]);
        }
        if (name === "rpc-query-respond" && ci === 0) {
          const [q1, q2] = backend.queries;
          expect(q1?.params).toMatchObject({ requestAck: true, timeoutMs: 2000, name: "ping-app" });
          expect(q2?.params).toMatchObject({
            filterNodes: ["node-a", "node-c"],
            filterTags: new Map([["role", "web"]]),
            requestAck: false,
            timeoutMs: 1000,
          });
        }
      });
    });
  }

  it("rpc-leave: reply after the leave, own member-leave on a stream, then every connection closes", async () => {
    const vector = VECTORS.find((v) => v.name === "rpc-leave")!.vector;
    const [leaveConn, streamConn] = vector.connections as [Connection, Connection];
    const recordHex = streamConn.frames.at(-1)!.hex;
    const left = decodeRecord("stream", hexBytes(recordHex));
    if (left.event !== "member-leave") throw new Error("unexpected leave vector");
    const self = { ...left.members[0]!, status: "alive" };
    const backend = new MemoryAgentBackend({ localName: self.name, members: [self] });
    const [host, port] = await startServer(backend);
    const streamer = await RawRpcClient.connect(host, port);
    const leaver = await RawRpcClient.connect(host, port);
    try {
      // The stream connection up to its ack (header + body of handshake and stream).
      const ackIndex = streamConn.frames.findIndex(
        (f, i) => i > 2 && f.dir === "agent->client" && f.role === "response header",
      );
      await replay(backend, streamer, streamConn, { upTo: ackIndex + 1 });
      await replay(backend, leaver, leaveConn);
      expect(toHex(await streamer.frame())).toBe(streamConn.frames.at(-2)!.hex);
      expect(toHex(await streamer.frame())).toBe(recordHex);
      await expectEnd(leaver, leaveConn);
      await expectEnd(streamer, streamConn);
      expect(backend.calls.map((c) => c[0])).toEqual(["leave", "shutdown"]);
    } finally {
      streamer.destroy();
      leaver.destroy();
    }
  });
});
