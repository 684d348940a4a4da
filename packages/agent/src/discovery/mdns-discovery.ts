/**
 * The polling half of `serf agent -discover=CLUSTER`.
 *
 * `queryMdnsService` is hashicorp/mdns 1.0.x `Query`: from an ephemeral-port socket it
 * multicasts one PTR question for `_serf_CLUSTER._tcp.local.` (random ID, no RD, no unicast
 * bit), then for `timeoutMs` (1 s) assembles service entries from every message it receives
 * (Answer then Additional records: PTR opens an entry, SRV gives host/port and aliases the
 * target host name to the entry, TXT the info, A/AAAA the address). A complete entry (address,
 * port and TXT) is reported once; an incomplete one triggers a PTR query for its name, as Go
 * does. Go's responders answer straight to the querying socket, so that socket is all we read.
 *
 * `MdnsDiscovery` is Go serf's `AgentMDNS.run` loop: poll immediately, then every 60 s; queue
 * each `ip:port` not handled before, and once 100 ms pass without a new one hand the whole batch
 * to `onPeers` (the agent joins them); every address in a batch is then marked seen, whether the
 * join worked or not, and is never reported again. Logs, as Go's `agent.mdns` lines:
 * `Joined N hosts`, `Failed to join: …`, `Failed to poll for new hosts: …`.
 *
 * Differences to Go: our own address (`selfAddress`) is never reported (Go joins itself too and
 * logs it as a joined host); addresses are not repeated within one batch; IPv4 only (Go also
 * queries over IPv6 `ff02::fb` and listens on the mDNS port for multicast answers).
 */

import { createSocket, type Socket } from "node:dgram";
import { randomInt } from "node:crypto";
import { canonicalIp } from "@serf-ts/wire";
import makeMdns from "multicast-dns";
import type { MulticastDNS } from "multicast-dns";
import {
  errorText,
  formatHostPort,
  fqdn,
  MDNS_POLL_INTERVAL_MS,
  MDNS_QUERY_TIMEOUT_MS,
  MDNS_QUIET_INTERVAL_MS,
  type MdnsLogger,
  type MdnsSocketOptions,
  mdnsServiceName,
  NOOP_MDNS_LOGGER,
  resolveMdnsSocketOptions,
  trimDots,
} from "./mdns-common.ts";

/** A discovered service instance (hashicorp/mdns `ServiceEntry`); names keep the trailing dot. */
export interface MdnsServiceEntry {
  /** Instance name, e.g. `node1._serf_C._tcp.local.` */
  readonly name: string;
  /** SRV target, e.g. `myhost.` */
  readonly host: string;
  readonly addrV4?: string;
  readonly addrV6?: string;
  /** The address Go serf joins: the last A or AAAA record seen (Go's deprecated `Addr`). */
  readonly addr: string;
  readonly port: number;
  /** TXT strings joined with `|`. */
  readonly info: string;
  readonly infoFields: readonly string[];
}

/** A decoded resource record, as dns-packet hands it over. */
export interface MdnsDecodedRecord {
  readonly type: string;
  readonly name: string;
  readonly data?: unknown;
}

interface EntryState {
  name: string;
  host: string;
  addrV4: string | undefined;
  addrV6: string | undefined;
  addr: string | undefined;
  port: number;
  info: string;
  infoFields: string[];
  hasTxt: boolean;
  sent: boolean;
}

/** What one received message produced. */
export interface MdnsCollectResult {
  /** The entry completed by this message (reported once per entry). */
  readonly entry?: MdnsServiceEntry;
  /** Name of an entry still incomplete: Go then sends a PTR query for it. */
  readonly followUp?: string;
}

function txtStrings(data: unknown): string[] {
  const items = Array.isArray(data) ? data : [data];
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === "string") out.push(item);
    else if (item instanceof Uint8Array) out.push(Buffer.from(item).toString("utf8"));
  }
  return out;
}

function srvData(data: unknown): { port: number; target: string } | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { port, target } = data as { port?: unknown; target?: unknown };
  if (typeof port !== "number" || typeof target !== "string") return undefined;
  return { port, target };
}

/**
 * The entry assembly of hashicorp/mdns `client.query` for one query: feed it each received
 * message's Answer and Additional records.
 */
export class MdnsEntryCollector {
  private readonly inprogress = new Map<string, EntryState>();

  private ensure(name: string): EntryState {
    let inp = this.inprogress.get(name);
    if (inp === undefined) {
      inp = {
        name,
        host: "",
        addrV4: undefined,
        addrV6: undefined,
        addr: undefined,
        port: 0,
        info: "",
        infoFields: [],
        hasTxt: false,
        sent: false,
      };
      this.inprogress.set(name, inp);
    }
    return inp;
  }

  /** Handle one message (`answers` then `additionals`, as Go walks `Answer` then `Extra`). */
  collect(records: readonly MdnsDecodedRecord[]): MdnsCollectResult {
    let inp: EntryState | undefined;
    for (const rr of records) {
      switch (rr.type) {
        case "PTR":
          if (typeof rr.data === "string") inp = this.ensure(fqdn(rr.data));
          break;
        case "SRV": {
          const srv = srvData(rr.data);
          if (srv === undefined) break;
          const name = fqdn(rr.name);
          const target = fqdn(srv.target);
          if (target !== name) this.inprogress.set(target, this.ensure(name));
          inp = this.ensure(name);
          inp.host = target;
          inp.port = srv.port;
          break;
        }
        case "TXT": {
          inp = this.ensure(fqdn(rr.name));
          inp.infoFields = txtStrings(rr.data);
          inp.info = inp.infoFields.join("|");
          inp.hasTxt = true;
          break;
        }
        case "A":
        case "AAAA": {
          const ip = typeof rr.data === "string" ? canonicalIp(rr.data) : undefined;
          if (ip === undefined) break;
          inp = this.ensure(fqdn(rr.name));
          inp.addr = ip;
          if (rr.type === "A") inp.addrV4 = ip;
          else inp.addrV6 = ip;
          break;
        }
        default:
          break;
      }
    }
    if (inp === undefined) return {};
    const complete = inp.addr !== undefined && inp.port !== 0 && inp.hasTxt;
    if (!complete) return { followUp: inp.name };
    if (inp.sent) return {};
    inp.sent = true;
    return { entry: snapshot(inp) };
  }
}

function snapshot(inp: EntryState): MdnsServiceEntry {
  return {
    name: inp.name,
    host: inp.host,
    ...(inp.addrV4 === undefined ? {} : { addrV4: inp.addrV4 }),
    ...(inp.addrV6 === undefined ? {} : { addrV6: inp.addrV6 }),
    addr: inp.addr ?? "",
    port: inp.port,
    info: inp.info,
    infoFields: [...inp.infoFields],
  };
}

/** Options of `queryMdnsService` (hashicorp/mdns `QueryParam`). */
export interface MdnsQueryOptions extends MdnsSocketOptions {
  /** Service to look up, e.g. `_serf_CLUSTER._tcp`. */
  readonly service: string;
  /** @default "local" */
  readonly domain?: string;
  /** How long to collect answers. @default 1000 */
  readonly timeoutMs?: number;
  /** Called once per complete entry. */
  readonly onEntry: (entry: MdnsServiceEntry) => void;
  /** Protocol-level problems (undecodable packets, failed follow-up queries) go to `debug`. */
  readonly logger?: MdnsLogger;
  /** Ends the query early (resolves normally). */
  readonly signal?: AbortSignal;
}

function bindSocket(socket: Socket, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once("error", onError);
    socket.bind({ port: 0, address }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function sendQuestion(mdns: MulticastDNS, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    mdns.query(
      { id: randomInt(0, 0x10000), flags: 0, questions: [{ name, type: "PTR", class: "IN" }] },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

/**
 * One poll, like hashicorp/mdns `Query`. Rejects if the socket cannot be set up or the query
 * cannot be sent (Go: `Failed to poll for new hosts`); otherwise resolves after `timeoutMs`.
 */
export async function queryMdnsService(options: MdnsQueryOptions): Promise<void> {
  const sock = resolveMdnsSocketOptions(options);
  const logger = options.logger ?? NOOP_MDNS_LOGGER;
  const timeoutMs = options.timeoutMs ?? MDNS_QUERY_TIMEOUT_MS;
  const serviceAddr = `${trimDots(options.service)}.${trimDots(options.domain ?? "local")}.`;
  if (options.signal?.aborted === true) return;

  const socket = createSocket({ type: "udp4" });
  const mdns = makeMdns({
    type: "udp4",
    socket,
    bind: false,
    multicast: false,
    port: sock.port,
    ip: sock.group,
  });
  let closed = false;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      mdns.destroy(resolve);
    });
  // Socket errors after setup (e.g. ICMP errors on send) must not crash the process.
  mdns.on("error", (err) => logger.debug(`mdns: ${errorText(err)}`));
  mdns.on("warning", (err) => logger.debug(`mdns: Failed to unpack packet: ${errorText(err)}`));

  try {
    await bindSocket(socket, sock.bindAddress);
    if (sock.multicastInterface !== undefined)
      socket.setMulticastInterface(sock.multicastInterface);
    socket.setMulticastTTL(sock.ttl);
    socket.setMulticastLoopback(sock.loopback);

    const collector = new MdnsEntryCollector();
    mdns.on("packet", (packet) => {
      if (closed) return;
      const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
      const result = collector.collect(records as readonly MdnsDecodedRecord[]);
      if (result.entry !== undefined) {
        try {
          options.onEntry(result.entry);
        } catch (err) {
          logger.error(`mdns: entry handler failed: ${errorText(err)}`);
        }
      } else if (result.followUp !== undefined) {
        const name = result.followUp;
        sendQuestion(mdns, name).catch((err: unknown) => {
          logger.debug(`mdns: Failed to query instance ${name}: ${errorText(err)}`);
        });
      }
    });

    await sendQuestion(mdns, serviceAddr);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", done);
        resolve();
      }
      if (options.signal?.aborted === true) done();
      else options.signal?.addEventListener("abort", done, { once: true });
    });
  } finally {
    await close();
  }
}

/** What `onPeers` reports back: the number of hosts joined, and optionally the join error. */
export type MdnsJoinResult = number | { readonly joined: number; readonly error?: unknown };

/**
 * Receives each batch of newly discovered `ip:port` addresses (the agent joins them). Returning
 * nothing is allowed (then no `Joined N hosts` line).
 */
export type MdnsPeersHandler = (
  addrs: readonly string[],
) => MdnsJoinResult | undefined | void | Promise<MdnsJoinResult | undefined> | Promise<void>;

/** Options of `MdnsDiscovery`. */
export interface MdnsDiscoveryOptions extends MdnsSocketOptions {
  /** The `-discover` cluster name; the service is `_serf_CLUSTER._tcp`. */
  readonly cluster: string;
  /**
   * Joins a batch of new peers. Return the number joined (Go logs `Joined N hosts` when > 0);
   * throw, or return `{ joined, error }`, to have `Failed to join: …` logged.
   */
  readonly onPeers: MdnsPeersHandler;
  /** Our own `ip:port` (advertise address, formatted like `formatHostPort`); never reported. */
  readonly selfAddress?: string;
  /** The agent's `agent.mdns` logger. */
  readonly logger?: MdnsLogger;
  /** @default 60000 */
  readonly pollIntervalMs?: number;
  /** @default 100 */
  readonly quietIntervalMs?: number;
  /** How long each poll listens. @default 1000 */
  readonly queryTimeoutMs?: number;
  /** @default "local" */
  readonly domain?: string;
  /** Replaces `queryMdnsService` (tests). */
  readonly query?: (options: MdnsQueryOptions) => Promise<void>;
}

/** Go serf's `AgentMDNS` poll-and-join loop (the advertising half is `MdnsService`). */
export class MdnsDiscovery {
  private readonly options: MdnsDiscoveryOptions;
  private readonly logger: MdnsLogger;
  private readonly seenAddrs = new Set<string>();
  private pending: string[] = [];
  /** Entries that arrived while a join was running; handled after it (Go's loop blocks). */
  private backlog: MdnsServiceEntry[] = [];
  private joining = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly polls = new Set<Promise<void>>();
  private joinDone: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private running = false;

  constructor(options: MdnsDiscoveryOptions) {
    resolveMdnsSocketOptions(options);
    this.options = options;
    this.logger = options.logger ?? NOOP_MDNS_LOGGER;
  }

  /** The service name polled for: `_serf_CLUSTER._tcp`. */
  get service(): string {
    return mdnsServiceName(this.options.cluster);
  }

  /** Every address handed to `onPeers` so far. */
  get seen(): ReadonlySet<string> {
    return this.seenAddrs;
  }

  /** Start polling (the first poll runs at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.schedulePoll(0);
  }

  /** Stop polling, cancel a pending batch, wait for a running poll and join to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    if (this.quietTimer !== undefined) clearTimeout(this.quietTimer);
    this.pollTimer = undefined;
    this.quietTimer = undefined;
    this.pending = [];
    this.backlog = [];
    this.abort.abort();
    await Promise.allSettled([...this.polls, this.joinDone]);
  }

  /** Run one poll now, outside the schedule; resolves when it is over. */
  pollNow(): Promise<void> {
    const query = this.options.query ?? queryMdnsService;
    const { multicastInterface, ttl, loopback, bindAddress, mdnsPort, group } = this.options;
    const poll = query({
      ...(multicastInterface === undefined ? {} : { multicastInterface }),
      ...(ttl === undefined ? {} : { ttl }),
      ...(loopback === undefined ? {} : { loopback }),
      ...(bindAddress === undefined ? {} : { bindAddress }),
      ...(mdnsPort === undefined ? {} : { mdnsPort }),
      ...(group === undefined ? {} : { group }),
      ...(this.options.domain === undefined ? {} : { domain: this.options.domain }),
      service: this.service,
      timeoutMs: this.options.queryTimeoutMs ?? MDNS_QUERY_TIMEOUT_MS,
      onEntry: (entry) => this.onEntry(entry),
      logger: this.logger,
      signal: this.abort.signal,
    }).catch((err: unknown) => {
      if (this.running) this.logger.error(`Failed to poll for new hosts: ${errorText(err)}`);
    });
    this.polls.add(poll);
    void poll.finally(() => this.polls.delete(poll));
    return poll;
  }

  private schedulePoll(delayMs: number): void {
    this.pollTimer = setTimeout(() => {
      if (!this.running) return;
      this.schedulePoll(this.options.pollIntervalMs ?? MDNS_POLL_INTERVAL_MS);
      void this.pollNow();
    }, delayMs);
  }

  private onEntry(entry: MdnsServiceEntry): void {
    if (!this.running) return;
    if (this.joining) {
      this.backlog.push(entry);
      return;
    }
    const addr = formatHostPort(entry.addr, entry.port);
    if (this.seenAddrs.has(addr) || addr === this.options.selfAddress) return;
    if (this.pending.includes(addr)) return;
    this.pending.push(addr);
    if (this.quietTimer !== undefined) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      this.joinDone = this.joinPending();
    }, this.options.quietIntervalMs ?? MDNS_QUIET_INTERVAL_MS);
  }

  private async joinPending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.joining = true;
    try {
      let joined = 0;
      let error: unknown;
      let failed = false;
      try {
        const result = await this.options.onPeers(batch);
        if (typeof result === "number") joined = result;
        else if (typeof result === "object" && result !== null) {
          joined = result.joined;
          if (result.error !== undefined) {
            failed = true;
            error = result.error;
          }
        }
      } catch (err) {
        failed = true;
        error = err;
      }
      if (failed) this.logger.error(`Failed to join: ${errorText(error)}`);
      if (joined > 0) this.logger.info(`Joined ${joined} hosts`);
      for (const addr of batch) this.seenAddrs.add(addr);
    } finally {
      this.joining = false;
    }
    const backlog = this.backlog;
    this.backlog = [];
    for (const entry of backlog) this.onEntry(entry);
  }
}
