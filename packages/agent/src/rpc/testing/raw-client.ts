/**
 * A byte-level RPC test client: writes raw request bytes, reads the agent's msgpack objects one
 * at a time (as bytes), and notices when the agent closes the connection.
 */

import { connect, type Socket } from "node:net";
import {
  decodeResponseHeader,
  encodeRequest,
  type RequestBodyArgs,
  type ResponseHeader,
  type RpcCommand,
  RpcFrameReader,
} from "@serf-ts/wire/rpc";

export class RawRpcClient {
  readonly socket: Socket;
  private readonly reader = new RpcFrameReader();
  private readonly frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Resolves when the agent ended or closed the connection. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) this.frames.push(f);
      this.wake();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.ended = true;
        this.wake();
        resolve();
      };
      socket.once("end", done);
      socket.once("close", done);
    });
  }

  static connect(host: string, port: number): Promise<RawRpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: true });
      socket.once("connect", () => resolve(new RawRpcClient(socket)));
      socket.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  request<C extends RpcCommand>(command: C, seq: number, ...body: RequestBodyArgs<C>): void {
    this.write(encodeRequest(command, seq, ...body));
  }

  /** Handshake (Version 1) with `seq`, checking the empty-error reply. */
  async handshake(seq = 0): Promise<void> {
    this.request("handshake", seq, { version: 1 });
    const h = await this.header();
    if (h.error !== "" || h.seq !== seq) throw new Error(`handshake failed: ${JSON.stringify(h)}`);
  }

  /** The next object the agent sent (bytes); rejects on timeout or when the agent closed. */
  async frame(timeoutMs = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f !== undefined) return f;
      if (this.ended) throw new Error("connection closed by agent");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a frame");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** The next object, decoded as a response header. */
  async header(timeoutMs = 3000): Promise<ResponseHeader> {
    return decodeResponseHeader(await this.frame(timeoutMs));
  }

  /** True if no object arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.length === 0;
  }

  /** Objects received and not read yet. */
  get pending(): number {
    return this.frames.length;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
