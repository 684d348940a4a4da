/** The options of `Agent.create` besides the configuration, the console and why an agent stopped. */

import type { NetworkInterfaceInfo } from "node:os";
import type { Clock } from "@serf-ts/memberlist";
import type { CoalescingWindows, SerfOptions } from "@serf-ts/serf";
import type { AgentMdnsOptions } from "./discovery/agent-mdns.ts";
import type { HostLookup } from "./gocompat/net.ts";
import type { AgentHttpOptions } from "./http/agent-http.ts";
import type { Logger, LogOutput } from "./logging/logger.ts";
import type { AgentMetricsOptions } from "./metrics/agent-metrics.ts";
import type { RpcServerOptions } from "./rpc/rpc-server.ts";

/** The `==> ` console of the agent command (Go's prefixed `cli.Ui`). */
export interface AgentUi {
  /** A status line: `==> message`. */
  output(message: string): void;
  /** An indented line: `    message` (an empty message prints an empty line). */
  info(message: string): void;
  /** An error: `==> message`. */
  error(message: string): void;
}

/** Why `Agent.done` resolved. */
export interface AgentExit {
  /**
   * `shutdown`: the agent shut down (RPC `leave`, serf shut itself down, or `shutdown()`);
   * the agent command exits 0. `retry-join-failed`: `retry_max_attempts` rounds of retry join
   * failed; the agent still runs, the command shuts it down and exits 1.
   */
  readonly reason: "shutdown" | "retry-join-failed";
}

/** Everything `Agent.create` takes besides the configuration. All optional. */
export interface AgentOptions {
  /**
   * The agent's logger (console filter, `monitor` ring, syslog). @default a new `Logger` at
   * `config.logLevel` writing to `logOutput`
   */
  readonly logger?: Logger | undefined;
  /** Console stream of the default logger. @default none (lines only reach `monitor`) */
  readonly logOutput?: LogOutput | undefined;
  /** Where `==> ` status and error lines go. @default nowhere */
  readonly ui?: AgentUi | undefined;
  /** Environment of event handler scripts (plus the `SERF_*` variables). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Working directory of event handler scripts. @default the process's */
  readonly cwd?: string | undefined;
  /** Clock of serf and of the coalescing windows. @default systemClock */
  readonly clock?: Clock | undefined;
  /** Network interfaces for `-iface`. @default os.networkInterfaces */
  readonly networkInterfaces?: (() => NodeJS.Dict<NetworkInterfaceInfo[]>) | undefined;
  /** Host name resolution for `-bind` / `-advertise`. @default the system resolver */
  readonly hostLookup?: HostLookup | undefined;
  /** Coalescing windows of member and user events. @default 3 s / 1 s, as Go's agent */
  readonly coalescing?: CoalescingWindows | undefined;
  /**
   * Extra serf (and `memberlist`) options, applied over those derived from the configuration
   * (tests use faster memberlist timings).
   */
  readonly serfOptions?: SerfOptions | undefined;
  /** RPC server options, or `false` for no RPC listener. @default listen on `config.rpcAddr` */
  readonly rpc?: false | Omit<RpcServerOptions, "backend" | "logger" | "authKey"> | undefined;
  /** Telemetry timings (in-memory intervals, runtime metrics period, host name). */
  readonly metrics?: AgentMetricsOptions | undefined;
  /** HTTP listener limits (`http_addr`); the listener runs only when `http_addr` is set. */
  readonly http?: AgentHttpOptions | undefined;
  /** mDNS socket and timing options (`-discover`); tests keep multicast on loopback. */
  readonly mdns?:
    | Omit<
        AgentMdnsOptions,
        "cluster" | "nodeName" | "advertiseIp" | "advertisePort" | "onPeers" | "logger"
      >
    | undefined;
  /** Events waiting for event handler scripts at most. @default 16384 */
  readonly handlerQueueCapacity?: number | undefined;
  /** Kill a handler script after this long; 0 = never, as Go. @default 0 */
  readonly scriptTimeoutMs?: number | undefined;
  /**
   * At shutdown, how long queued and running handler scripts may still run before they are
   * killed (Go leaves them running as orphans when the process exits). @default 2000
   */
  readonly handlerDrainMs?: number | undefined;
  /**
   * With a snapshot: keep events not yet handled in `<snapshot>.pending` and hand them to the
   * handlers after a crash (see the README, "Event handlers across crashes"). @default true
   */
  readonly eventJournal?: boolean | undefined;
}
