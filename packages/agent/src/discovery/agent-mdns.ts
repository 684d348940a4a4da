/**
 * `serf agent -discover=CLUSTER` in one piece, as Go serf's `NewAgentMDNS`: advertise this node
 * (`MdnsService`) and poll for the others (`MdnsDiscovery`), handing new peers to `onPeers`.
 *
 * The agent calls `AgentMdns.start` after Serf is up and before the RPC listener (startup step 6
 * of agent.md §4); a rejection is printed as `==> Error starting mDNS listener: <message>` and
 * is fatal. Pass the agent's `agent.mdns` logger.
 */

import {
  formatHostPort,
  type MdnsLogger,
  type MdnsSocketOptions,
  NOOP_MDNS_LOGGER,
} from "./mdns-common.ts";
import { MdnsDiscovery, type MdnsPeersHandler } from "./mdns-discovery.ts";
import { MdnsService } from "./mdns-service.ts";

/** Options of `AgentMdns.start`. */
export interface AgentMdnsOptions extends MdnsSocketOptions {
  /** `-discover` value. */
  readonly cluster: string;
  /** Node name: the advertised instance. */
  readonly nodeName: string;
  /** Memberlist advertise IP and port: what other agents join. */
  readonly advertiseIp: string;
  readonly advertisePort: number;
  /**
   * Joins a batch of discovered peers (Go: `agent.Join(addrs, replayOnJoin)`) and returns how
   * many were joined. Our own advertise address is never passed.
   */
  readonly onPeers: MdnsPeersHandler;
  readonly logger?: MdnsLogger;
  /** @default `${os.hostname()}.` */
  readonly hostName?: string;
  /** @default 60000 */
  readonly pollIntervalMs?: number;
  /** @default 100 */
  readonly quietIntervalMs?: number;
  /** @default 1000 */
  readonly queryTimeoutMs?: number;
  /**
   * Serf 0.10.2 `mdns.disable_ipv4`: no queries over IPv4. Our querier speaks IPv4 only, so
   * this node then only answers (Go keeps its responder on both families too). @default false
   */
  readonly disableIPv4Queries?: boolean;
}

/** A running advertiser plus poller. */
export class AgentMdns {
  readonly service: MdnsService;
  readonly discovery: MdnsDiscovery;

  private constructor(service: MdnsService, discovery: MdnsDiscovery) {
    this.service = service;
    this.discovery = discovery;
  }

  /** Start advertising, then start polling (first poll at once). */
  static async start(options: AgentMdnsOptions): Promise<AgentMdns> {
    const logger = options.logger ?? NOOP_MDNS_LOGGER;
    const socket: MdnsSocketOptions = {
      ...(options.multicastInterface === undefined
        ? {}
        : { multicastInterface: options.multicastInterface }),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      ...(options.loopback === undefined ? {} : { loopback: options.loopback }),
      ...(options.bindAddress === undefined ? {} : { bindAddress: options.bindAddress }),
      ...(options.mdnsPort === undefined ? {} : { mdnsPort: options.mdnsPort }),
      ...(options.group === undefined ? {} : { group: options.group }),
    };
    const service = await MdnsService.start({
      ...socket,
      cluster: options.cluster,
      nodeName: options.nodeName,
      ip: options.advertiseIp,
      port: options.advertisePort,
      ...(options.hostName === undefined ? {} : { hostName: options.hostName }),
      logger,
    });
    const discovery = new MdnsDiscovery({
      ...socket,
      cluster: options.cluster,
      onPeers: options.onPeers,
      selfAddress: formatHostPort(options.advertiseIp, options.advertisePort),
      logger,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.quietIntervalMs === undefined
        ? {}
        : { quietIntervalMs: options.quietIntervalMs }),
      ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
    });
    if (options.disableIPv4Queries !== true) discovery.start();
    return new AgentMdns(service, discovery);
  }

  /** Stop polling and advertising. */
  async stop(): Promise<void> {
    await this.discovery.stop();
    await this.service.close();
  }
}
