/**
 * A tiny in-process stand-in for a serf agent's RPC port, built from the wire schema, for
 * tests of framing, malformed input and disconnects that a real agent cannot produce on
 * demand. It decodes requests exactly like the agent (header, then the body if the command
 * has one) and lets each test script the replies, down to raw bytes.
 */

import { createServer, type Server, type Socket } from "node:net";
import {
  decodeRequestBody,
  decodeRequestHeader,
  encodeRecordFrame,
  encodeResponse,
  hasRequestBody,
  type ResponseBodyArgs,
  type RpcCommand,
  RpcError,
  RpcFrameReader,
  type RpcStreamRecords,
  type StreamCommand,
} from "@serf-ts/wire/rpc";

/** A decoded request. */
export interface FakeRequest {
  readonly command: string;
  readonly seq: number;
  /** The decoded body, `undefined` for commands without one. */
  readonly body: unknown;
}

/** One client connection as the fake agent sees it. */
export class FakeConnection {
  readonly socket: Socket;
  /** Every request received on this connection, in order. */
  readonly requests: FakeRequest[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Writes raw bytes. */
  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** A reply header (+ body when the command has one and `error` allows it). */
  reply<C extends RpcCommand>(
    command: C,
    seq: number,
    error: string,
    ...body: ResponseBodyArgs<C>
  ): void {
    this.send(encodeResponse(command, { seq, error }, ...body));
  }

  /** One stream record with its header. */
  record<C extends StreamCommand>(command: C, seq: number, record: RpcStreamRecords[C]): void {
    this.send(encodeRecordFrame(command, seq, record));
  }

  /** Closes after flushing. */
  end(): void {
    this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Handles one request. Return `true` when handled; `false`/`undefined` falls back to the
 * defaults: `handshake`, `auth` (checked against `authKey`) and `stop` succeed, anything else
 * is answered `Unsupported command` and the connection closed, as the Go agent does.
 */
export type FakeHandler = (
  request: FakeRequest,
  conn: FakeConnection,
) => boolean | undefined | Promise<boolean | undefined>;

/** Options of `FakeAgent.start`. */
export interface FakeAgentOptions {
  /** Expected `auth` key; commands other than handshake/auth need it when set. */
  readonly authKey?: string;
  /** Answer nothing to the handshake (to test connect timeouts). */
  readonly silent?: boolean;
}

/** The fake agent: a TCP server on 127.0.0.1 with a random port. */
export class FakeAgent {
  readonly addr: string;
  readonly connections: FakeConnection[] = [];
  private readonly server: Server;

  private constructor(server: Server, addr: string) {
    this.server = server;
    this.addr = addr;
  }

  static async start(handler: FakeHandler = () => false, options: FakeAgentOptions = {}) {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      const conn = new FakeConnection(socket);
      agent.connections.push(conn);
      const reader = new RpcFrameReader();
      let pendingHeader: { command: string; seq: number } | null = null;
      let authed = options.authKey === undefined;
      let queue = Promise.resolve();
      const dispatch = async (request: FakeRequest): Promise<void> => {
        conn.requests.push(request);
        if (options.silent === true) return;
        if (await handler(request, conn)) return;
        const { command, seq } = request;
        if (command === "handshake") return conn.reply("handshake", seq, "");
        if (command === "auth") {
          const key = (request.body as { authKey: string }).authKey;
          if (key === options.authKey) authed = true;
          return conn.reply("auth", seq, authed ? "" : RpcError.INVALID_AUTH_TOKEN);
        }
        if (!authed)
          return conn.send(encodeResponse("stop", { seq, error: RpcError.AUTH_REQUIRED }));
        if (command === "stop") return conn.reply("stop", seq, "");
        conn.send(encodeResponse("stop", { seq, error: RpcError.UNSUPPORTED_COMMAND }));
        conn.end();
      };
      socket.on("data", (chunk: Buffer) => {
        let frames: Uint8Array[];
        try {
          frames = reader.push(chunk);
        } catch {
          socket.destroy();
          return;
        }
        for (const frame of frames) {
          if (pendingHeader === null) {
            const header = decodeRequestHeader(frame);
            if (hasRequestBody(header.command)) {
              pendingHeader = header;
              continue;
            }
            const request = { command: header.command, seq: header.seq, body: undefined };
            queue = queue.then(() => dispatch(request));
          } else {
            const { command, seq } = pendingHeader;
            pendingHeader = null;
            const body = hasRequestBody(command) ? decodeRequestBody(command, frame) : undefined;
            queue = queue.then(() => dispatch({ command, seq, body }));
          }
        }
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    const agent = new FakeAgent(server, `127.0.0.1:${address.port}`);
    return agent;
  }

  /** The most recent connection (throws if none). */
  get last(): FakeConnection {
    const conn = this.connections.at(-1);
    if (conn === undefined) throw new Error("no connection yet");
    return conn;
  }

  /** Stops listening and drops every connection. */
  close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
