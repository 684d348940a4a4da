/**
 * The agent's RPC ("IPC") server (Go `AgentIPC`): a TCP listener on `rpc_addr` that serves
 * any number of clients, each on its own `RpcSession`. The Go `serf` CLI and every other serf
 * RPC client work against it unchanged.
 *
 * ```ts
 * const server = new RpcServer({ backend, logger: logger.child("agent.ipc") });
 * const addr = await server.listen("127.0.0.1:7373");
 * // …
 * await server.close();
 * ```
 */

import { createServer, type Server, type Socket } from "node:net";
import type { MetricsSink } from "@serf-ts/memberlist";
import { DEFAULT_MAX_FRAME_BYTES } from "@serf-ts/wire/rpc";
import { GoAddrError, joinHostPort, resolveTcpAddr } from "../gocompat/net.ts";
import { type AgentBackend, errorText } from "./agent-backend.ts";
import {
  type RpcLogger,
  RpcSession,
  type RpcSessionContext,
  type RpcSessionLimits,
  remoteAddrString,
} from "./rpc-session.ts";

/** Options of `RpcServer`. */
export interface RpcServerOptions {
  /** The agent. */
  readonly backend: AgentBackend;
  /**
   * Where `agent.ipc` lines go: `logger.child("agent.ipc")` of the agent's `Logger` (messages
   * carry no component prefix). @default none
   */
  readonly logger?: RpcLogger | undefined;
  /** RPC auth key; overrides `backend.rpcAuthKey`. `""` disables auth. */
  readonly authKey?: string | undefined;
  /**
   * A client whose unsent replies and records exceed this many bytes is disconnected (it
   * stopped reading; the agent never waits for it). @default 8 MiB
   */
  readonly maxWriteBufferBytes?: number | undefined;
  /** Largest request object accepted; larger ones close the connection. @default 4 MiB */
  readonly maxFrameBytes?: number | undefined;
  /** Received requests held while a command runs before reading pauses. @default 1 MiB */
  readonly maxQueuedBytes?: number | undefined;
  /** A connection that has not completed the handshake by then is closed. 0: never. @default 60 s */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * A connection that stops sending in the middle of a request (part of an object, or a
   * header without its body) is closed after this long. 0: never. @default 60 s
   */
  readonly stallTimeoutMs?: number | undefined;
  /** TCP keep-alive probes start after this idle time (dead peers). 0: off. @default 30 s */
  readonly keepAliveMs?: number | undefined;
  /** A closing connection whose client does not take the last bytes is cut off after. @default 5 s */
  readonly closeLingerMs?: number | undefined;
  /**
   * After `leave`, connections are closed once the agent shut down and the client that asked
   * hung up, or after this long. @default 1 s
   */
  readonly leaveGraceMs?: number | undefined;
  /** Receives `agent.ipc.accept` and `agent.ipc.command`. */
  readonly metrics?: MetricsSink | undefined;
}

const MiB = 1024 * 1024;
const IPC_ACCEPT = ["agent", "ipc", "accept"];

/** Go's `listen tcp ADDR: …` errors. */
export class RpcListenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RpcListenError";
  }
}

const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: "bind: address already in use",
  EACCES: "bind: permission denied",
  EADDRNOTAVAIL: "bind: cannot assign requested address",
};

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be >= 0, got ${v}`);
  return v;
}

/** Runs `fn` after the current call stack: a log line may reach a monitor of the caller. */
function deferred(logger: RpcLogger | undefined): RpcLogger {
  const at =
    (level: keyof RpcLogger) =>
    (message: string): void => {
      if (logger === undefined) return;
      queueMicrotask(() => {
        try {
          logger[level](message);
        } catch {
          // A broken logger must not break the RPC server.
        }
      });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** The agent RPC server. */
export class RpcServer {
  private readonly backend: AgentBackend;
  private readonly log: RpcLogger;
  private readonly authKey: string;
  private readonly limits: RpcSessionLimits;
  private readonly keepAliveMs: number;
  private readonly leaveGraceMs: number;
  private readonly metrics: MetricsSink | undefined;
  private readonly sessions = new Set<RpcSession>();
  private server: Server | undefined;
  private listening = false;
  private stopping = false;
  private closePromise: Promise<void> | undefined;
  private leavePromise: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private listenAddr: string | undefined;

  constructor(options: RpcServerOptions) {
    this.backend = options.backend;
    this.log = deferred(options.logger);
    this.authKey = options.authKey ?? options.backend.rpcAuthKey ?? "";
    this.limits = {
      maxWriteBufferBytes: nonNegative(options.maxWriteBufferBytes, 8 * MiB, "maxWriteBufferBytes"),
      maxFrameBytes: Math.max(
        1,
        nonNegative(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, "maxFrameBytes"),
      ),
      maxQueuedBytes: nonNegative(options.maxQueuedBytes, MiB, "maxQueuedBytes"),
      handshakeTimeoutMs: nonNegative(options.handshakeTimeoutMs, 60_000, "handshakeTimeoutMs"),
      stallTimeoutMs: nonNegative(options.stallTimeoutMs, 60_000, "stallTimeoutMs"),
      closeLingerMs: nonNegative(options.closeLingerMs, 5_000, "closeLingerMs"),
    };
    this.keepAliveMs = nonNegative(options.keepAliveMs, 30_000, "keepAliveMs");
    this.leaveGraceMs = nonNegative(options.leaveGraceMs, 1_000, "leaveGraceMs");
    this.metrics = options.metrics;
  }

  /**
   * Listens on `address` (`host:port` as Go `net.Listen("tcp", …)` takes it: empty host = all
   * interfaces, port 0 = any free port). Resolves to the bound address (`ip:port`).
   * @throws RpcListenError `listen tcp 127.0.0.1:7373: bind: address already in use`, …
   */
  async listen(address: string): Promise<string> {
    if (this.listening) throw new RpcListenError("RPC server is already listening");
    if (this.stopping) throw new RpcListenError("RPC server is closed");
    this.listening = true;
    try {
      return await this.bind(address);
    } catch (err) {
      this.listening = false;
      throw err;
    }
  }

  private async bind(address: string): Promise<string> {
    let host: string;
    let port: number;
    try {
      const resolved = await resolveTcpAddr(address);
      host = resolved.ip;
      port = resolved.port;
    } catch (err) {
      const text = err instanceof GoAddrError ? err.message : errorText(err);
      throw new RpcListenError(`listen tcp: ${text}`, { cause: err });
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) =>
      this.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const reason = LISTEN_REASONS[err.code ?? ""] ?? err.message;
        reject(new RpcListenError(`listen tcp ${address}: ${reason}`, { cause: err }));
      };
      server.once("error", onError);
      const opts = host === "" ? { port } : { host, port };
      server.listen({ ...opts, exclusive: true }, () => {
        server.off("error", onError);
        resolve();
      });
    });
    if (this.stopping) {
      // Closed while binding.
      server.close();
      throw new RpcListenError("RPC server is closed");
    }
    server.on("error", (err) => {
      this.log.error(`Failed to accept client: ${errorText(err)}`);
    });
    this.server = server;
    const bound = server.address();
    if (bound !== null && typeof bound === "object") {
      this.listenAddr = joinHostPort(bound.address, bound.port);
    }
    return this.listenAddr ?? address;
  }

  /** The bound address (`ip:port`) while listening. */
  get address(): string | undefined {
    return this.listenAddr;
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Streams (monitors, event streams, query streams) over every open connection. */
  get streamCount(): number {
    let n = 0;
    for (const s of this.sessions) n += s.streamCount;
    return n;
  }

  /**
   * Serves an accepted (or otherwise connected) socket. `listen` does this for its own
   * connections; exposed for embedding the protocol on another transport.
   */
  accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    socket.on("error", () => {
      // Handled by the session's `close`; this only keeps Node from throwing.
    });
    if (this.keepAliveMs > 0) socket.setKeepAlive(true, this.keepAliveMs);
    socket.setNoDelay(true);
    this.log.info(`Accepted client: ${remoteAddrString(socket)}`);
    this.metrics?.incrCounter(IPC_ACCEPT, 1);
    const ctx: RpcSessionContext = {
      metrics: this.metrics,
      backend: this.backend,
      authKey: this.authKey,
      limits: this.limits,
      log: this.log,
      onLeave: (session) => this.afterLeave(session),
      onClosed: (session) => this.sessionClosed(session),
    };
    const session = new RpcSession(socket, ctx);
    this.sessions.add(session);
    session.start();
  }

  private sessionClosed(session: RpcSession): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /**
   * After a `leave` reply: shut the agent down, then this server (every connection). The
   * connection that asked is given up to `leaveGraceMs` to take the reply and hang up first:
   * the Go client drops a reply that arrives together with the end of the connection.
   */
  private afterLeave(session: RpcSession): void {
    this.leavePromise ??= (async () => {
      const shutdown = (async () => {
        try {
          await this.backend.shutdown();
        } catch (err) {
          this.log.error(`shutdown failed: ${errorText(err)}`);
        }
      })();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.leaveGraceMs);
      });
      await Promise.all([shutdown, Promise.race([session.whenClosed(), grace])]);
      clearTimeout(timer);
      await this.close();
    })();
  }

  /** Resolves once the agent shut down after a `leave` (undefined if none happened). */
  get leaveDone(): Promise<void> | undefined {
    return this.leavePromise;
  }

  /**
   * Stops listening and closes every connection (Go `AgentIPC.Shutdown`): each connection's
   * written bytes are flushed first, a client that does not take them is cut off after
   * `closeLingerMs`. Idempotent.
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.stopping = true;
      const server = this.server;
      const closed =
        server === undefined
          ? Promise.resolve()
          : new Promise<void>((resolve) => server.close(() => resolve()));
      const idle =
        this.sessions.size === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      for (const s of [...this.sessions]) s.close();
      await Promise.all([closed, idle]);
    })();
    return this.closePromise;
  }
}
