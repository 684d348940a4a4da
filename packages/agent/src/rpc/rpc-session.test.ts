/**
 * One RPC connection's life as Go's agent.ipc logs it: the error replies and log lines of the
 * connection-level failures (no handshake, unknown command, undecodable body, handshake and
 * stall timeouts, auth), and that a connection stays usable after the errors Go survives.
 * Written against surviving StrykerJS mutants of rpc-session.ts (`pnpm mutate agent-rpc`).
 */

import { encodeRequestHeader, RpcError } from "@serf-ts/wire/rpc";
import { randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { RpcServer, type RpcServerOptions } from "./rpc-server.ts";
import { MemoryAgentBackend, memoryMember } from "./testing/memory-backend.ts";
import { RawRpcClient } from "./testing/raw-client.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const servers: RpcServer[] = [];
const clients: RawRpcClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server whose log lines land in `lines` (`[LEVEL] message`). */
async function setup(options: Partial<RpcServerOptions> = {}) {
  const lines: string[] = [];
  const logger = {
    debug: (m: string) => lines.push(`[DEBUG] ${m}`),
    info: (m: string) => lines.push(`[INFO] ${m}`),
    warn: (m: string) => lines.push(`[WARN] ${m}`),
    error: (m: string) => lines.push(`[ERR] ${m}`),
  };
  const backend = new MemoryAgentBackend({ members: [memoryMember("n1", [127, 0, 0, 1], {})] });
  const server = new RpcServer({ backend, logger, ...options });
  servers.push(server);
  const addr = await server.listen(`${randomLoopbackIp()}:0`);
  const at = addr.lastIndexOf(":");
  const connect = async (handshake = true) => {
    const c = await RawRpcClient.connect(addr.slice(0, at), Number(addr.slice(at + 1)));
    clients.push(c);
    if (handshake) await c.handshake(0);
    return c;
  };
  const nameOf = (c: RawRpcClient) => `${c.socket.localAddress}:${c.socket.localPort}`;
  /** The log lines after `Accepted client`, once they settled. */
  const logged = async () => {
    await sleep(20);
    return lines.filter((l) => !l.startsWith("[INFO] Accepted client: "));
  };
  return { server, connect, nameOf, logged, lines };
}

describe("rpc session: connection-level errors, as Go's agent.ipc", () => {
  it("a command before the handshake: 'Handshake required', logged, connection closed", async () => {
    const { connect, logged } = await setup();
    const c = await connect(false);
    c.request("members", 7);
    expect(await c.header()).toEqual({ error: RpcError.HANDSHAKE_REQUIRED, seq: 7 });
    await c.closed;
    expect(await logged()).toEqual([
      `[ERR] Failed to evaluate request: ${RpcError.HANDSHAKE_REQUIRED}`,
    ]);
  });

  it("an unknown command: 'Unsupported command', logged with its name, closed", async () => {
    const { connect, logged } = await setup();
    const c = await connect();
    c.write(encodeRequestHeader({ command: "bogus", seq: 3 }));
    expect(await c.header()).toEqual({ error: RpcError.UNSUPPORTED_COMMAND, seq: 3 });
    await c.closed;
    expect(await logged()).toEqual([
      "[ERR] Failed to evaluate request: command 'bogus' not recognized",
    ]);
  });

  it("handshake versions: 0 and 2 refused, a second one refused, the connection stays usable", async () => {
    const { connect, logged } = await setup();
    const c = await connect(false);
    c.request("handshake", 1, { version: 0 });
    expect(await c.header()).toEqual({ error: RpcError.UNSUPPORTED_IPC_VERSION, seq: 1 });
    c.request("handshake", 2, { version: 2 });
    expect(await c.header()).toEqual({ error: RpcError.UNSUPPORTED_IPC_VERSION, seq: 2 });
    c.request("members", 3);
    expect(await c.header()).toEqual({ error: RpcError.HANDSHAKE_REQUIRED, seq: 3 });
    const d = await connect(false);
    d.request("handshake", 1, { version: 1 });
    expect(await d.header()).toEqual({ error: "", seq: 1 });
    d.request("handshake", 2, { version: 1 });
    expect(await d.header()).toEqual({ error: RpcError.HANDSHAKE_ALREADY_PERFORMED, seq: 2 });
    d.request("members", 3);
    expect(await d.header()).toEqual({ error: "", seq: 3 });
    expect(d.isClosed).toBe(false);
    expect((await logged()).filter((l) => l.startsWith("[ERR]"))).toEqual([
      `[ERR] Failed to evaluate request: ${RpcError.HANDSHAKE_REQUIRED}`,
    ]);
  });

  it("a body that does not decode: logged as a decode failure, closed without a reply", async () => {
    const { connect, logged } = await setup();
    const c = await connect();
    // `event` expects a map body; a bare integer is not one.
    c.write(
      Buffer.concat([encodeRequestHeader({ command: "event", seq: 4 }), Buffer.from([0x05])]),
    );
    await c.closed;
    const lines = await logged();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[ERR\] Failed to evaluate request: decode failed: ./);
  });

  it("no handshake within handshakeTimeoutMs: closed, with Go's debug line naming the client", async () => {
    const { connect, nameOf, logged } = await setup({ handshakeTimeoutMs: 100 });
    const idle = await connect(false);
    const name = nameOf(idle);
    const prompt = await connect(); // handshakes at once: its timer is cancelled
    await idle.closed;
    expect(await logged()).toEqual([`[DEBUG] Closing client without handshake: ${name}`]);
    await sleep(150);
    expect(prompt.isClosed).toBe(false);
    prompt.request("members", 1);
    expect(await prompt.header()).toEqual({ error: "", seq: 1 });
  });

  it("a header whose body never comes: closed after stallTimeoutMs, with Go's debug line", async () => {
    const { connect, nameOf, logged } = await setup({ stallTimeoutMs: 100 });
    const c = await connect();
    c.write(encodeRequestHeader({ command: "event", seq: 5 }));
    await c.closed;
    expect(await logged()).toEqual([`[DEBUG] Closing client stalled in a request: ${nameOf(c)}`]);
  });

  it("auth: a wrong key is refused and the right one then works; commands before it are not served", async () => {
    const { connect, logged } = await setup({ authKey: "s3cret" });
    const c = await connect();
    c.request("members", 1);
    expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq: 1 });
    c.request("auth", 2, { authKey: "wrong" });
    expect(await c.header()).toEqual({ error: RpcError.INVALID_AUTH_TOKEN, seq: 2 });
    c.request("members", 3);
    expect(await c.header()).toEqual({ error: RpcError.AUTH_REQUIRED, seq: 3 });
    c.request("auth", 4, { authKey: "s3cret" });
    expect(await c.header()).toEqual({ error: "", seq: 4 });
    c.request("members", 5);
    expect(await c.header()).toEqual({ error: "", seq: 5 });
    expect(await logged()).toEqual([
      "[WARN] Client sending commands before auth",
      "[WARN] Client sending commands before auth",
    ]);
  });
});
