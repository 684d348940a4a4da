/**
 * The advertising half of `serf agent -discover=CLUSTER`: an mDNS responder for the service
 * `_serf_CLUSTER._tcp.local.` whose instance is the node name, answering the way Go serf's
 * hashicorp/mdns 1.0.x server does.
 *
 * Records (hashicorp/mdns `zone.go`), all class IN, TTL 120 s, no cache-flush bit:
 *
 * | question name                   | qtype     | answer                                          |
 * |---------------------------------|-----------|-------------------------------------------------|
 * | `_services._dns-sd._udp.local.` | PTR, ANY  | PTR → `_serf_C._tcp.local.`                     |
 * | `_serf_C._tcp.local.`           | PTR, ANY  | PTR → instance, SRV, A, AAAA, TXT               |
 * | `NODE._serf_C._tcp.local.`      | ANY       | SRV, A, AAAA, TXT                               |
 * |                                 | SRV       | SRV (prio 10, weight 1, port, target host), A, AAAA |
 * |                                 | TXT       | TXT `Serf 'C' cluster`                          |
 * |                                 | A / AAAA  | A / AAAA records (named after the host)         |
 * | `HOSTNAME.` (`os.Hostname()`+.) | A / AAAA  | A / AAAA records                                |
 *
 * A and AAAA records are named after the host (`HOSTNAME.`), which is also the SRV target. Names
 * match exactly (case-sensitive), as in Go. Everything goes into the Answer section.
 *
 * Responses (hashicorp/mdns `server.go`): questions with the unicast-response bit (top bit of
 * qclass) are answered in a "unicast" message whose ID echoes the query, the others in a
 * "multicast" message with ID 0; **both are sent straight back to the querier's address and
 * port** (Go never multicasts a response). Flags: QR, AA. Queries with a non-zero opcode or
 * rcode, or with TC set, are ignored.
 */

import { isIPv4, isIPv6 } from "node:net";
import { hostname as osHostname } from "node:os";
import { canonicalIp } from "@serf-ts/wire";
import makeMdns from "multicast-dns";
import type { MulticastDNS, QueryPacket, ResponseOutgoingPacket } from "multicast-dns";
import {
  errorText,
  fqdn,
  MDNS_DEFAULT_DOMAIN,
  MDNS_RECORD_TTL_S,
  type MdnsLogger,
  type MdnsSocketOptions,
  mdnsServiceName,
  mdnsServiceTxt,
  NOOP_MDNS_LOGGER,
  resolveMdnsSocketOptions,
  trimDots,
} from "./mdns-common.ts";

/** SRV priority and weight hashicorp/mdns always uses. */
export const MDNS_SRV_PRIORITY = 10;
export const MDNS_SRV_WEIGHT = 1;

/** One resource record of the zone. Names are fully qualified (trailing dot), as in Go. */
export type MdnsRecord =
  | { readonly type: "PTR"; readonly name: string; readonly ttl: number; readonly data: string }
  | {
      readonly type: "SRV";
      readonly name: string;
      readonly ttl: number;
      readonly data: {
        readonly priority: number;
        readonly weight: number;
        readonly port: number;
        readonly target: string;
      };
    }
  | {
      readonly type: "TXT";
      readonly name: string;
      readonly ttl: number;
      readonly data: readonly string[];
    }
  | {
      readonly type: "A" | "AAAA";
      readonly name: string;
      readonly ttl: number;
      readonly data: string;
    };

/** A question as decoded from the wire: name (with or without trailing dot) and qtype name. */
export interface MdnsQuestion {
  readonly name: string;
  /** `PTR`, `SRV`, `TXT`, `A`, `AAAA`, `ANY`, … (dns-packet spelling). */
  readonly type: string;
}

/** What a service zone is made of (hashicorp/mdns `NewMDNSService` arguments). */
export interface MdnsZoneOptions {
  /** Instance name (Go serf: the node name). */
  readonly instance: string;
  /** Service name, e.g. `_serf_CLUSTER._tcp`. */
  readonly service: string;
  /** Domain, fully qualified. @default "local." */
  readonly domain?: string;
  /** Host name, fully qualified. @default `${os.hostname()}.` */
  readonly hostName?: string;
  readonly port: number;
  /** IPs of the host (Go serf: the memberlist advertise IP). */
  readonly ips: readonly string[];
  readonly txt: readonly string[];
}

/** The records of one advertised service instance (hashicorp/mdns `MDNSService`). */
export class MdnsZone {
  readonly instance: string;
  readonly service: string;
  readonly domain: string;
  readonly hostName: string;
  readonly port: number;
  readonly ips: readonly string[];
  readonly txt: readonly string[];
  /** `_serf_C._tcp.local.` */
  readonly serviceAddr: string;
  /** `NODE._serf_C._tcp.local.` */
  readonly instanceAddr: string;
  /** `_services._dns-sd._udp.local.` */
  readonly enumAddr: string;

  /** Validates like `NewMDNSService` (same error texts). */
  constructor(options: MdnsZoneOptions) {
    if (options.instance === "") throw new Error("missing service instance name");
    if (options.service === "") throw new Error("missing service name");
    if (options.port === 0) throw new Error("missing service port");
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
      throw new Error(`invalid service port: ${options.port}`);
    }
    const domain = options.domain ?? MDNS_DEFAULT_DOMAIN;
    if (domain === "" || !domain.endsWith(".")) {
      const why = domain === "" ? "FQDN must not be blank" : `FQDN must end in period: ${domain}`;
      throw new Error(`domain "${domain}" is not a fully-qualified domain name: ${why}`);
    }
    const hostName = options.hostName ?? `${osHostname()}.`;
    if (hostName === "" || !hostName.endsWith(".")) {
      const why =
        hostName === "" ? "FQDN must not be blank" : `FQDN must end in period: ${hostName}`;
      throw new Error(`hostName "${hostName}" is not a fully-qualified domain name: ${why}`);
    }
    if (options.ips.length === 0) {
      throw new Error(`could not determine host IP addresses for ${hostName}`);
    }
    const ips: string[] = [];
    for (const ip of options.ips) {
      const norm = canonicalIp(ip);
      if (norm === undefined) throw new Error(`invalid IP address in IPs list: ${ip}`);
      ips.push(norm);
    }
    this.instance = options.instance;
    this.service = options.service;
    this.domain = domain;
    this.hostName = hostName;
    this.port = options.port;
    this.ips = ips;
    this.txt = [...options.txt];
    const service = trimDots(options.service);
    const dom = trimDots(domain);
    this.serviceAddr = `${service}.${dom}.`;
    this.instanceAddr = `${options.instance}.${service}.${dom}.`;
    this.enumAddr = `_services._dns-sd._udp.${dom}.`;
  }

  /** The records answering `question` (hashicorp/mdns `MDNSService.Records`), in Go's order. */
  records(question: MdnsQuestion): MdnsRecord[] {
    const name = fqdn(question.name);
    switch (name) {
      case this.enumAddr:
        return this.serviceEnum(name, question.type);
      case this.serviceAddr:
        return this.serviceRecords(name, question.type);
      case this.instanceAddr:
        return this.instanceRecords(name, question.type);
      case this.hostName:
        if (question.type === "A" || question.type === "AAAA") {
          return this.instanceRecords(name, question.type);
        }
        return [];
      default:
        return [];
    }
  }

  private serviceEnum(name: string, qtype: string): MdnsRecord[] {
    if (qtype !== "ANY" && qtype !== "PTR") return [];
    return [{ type: "PTR", name, ttl: MDNS_RECORD_TTL_S, data: this.serviceAddr }];
  }

  private serviceRecords(name: string, qtype: string): MdnsRecord[] {
    if (qtype !== "ANY" && qtype !== "PTR") return [];
    return [
      { type: "PTR", name, ttl: MDNS_RECORD_TTL_S, data: this.instanceAddr },
      ...this.instanceRecords(this.instanceAddr, "ANY"),
    ];
  }

  private instanceRecords(name: string, qtype: string): MdnsRecord[] {
    switch (qtype) {
      case "ANY":
        return [
          ...this.instanceRecords(this.instanceAddr, "SRV"),
          ...this.instanceRecords(this.instanceAddr, "TXT"),
        ];
      case "A":
        return this.ips
          .filter((ip) => isIPv4(ip))
          .map((ip) => ({ type: "A", name: this.hostName, ttl: MDNS_RECORD_TTL_S, data: ip }));
      case "AAAA":
        return this.ips
          .filter((ip) => isIPv6(ip))
          .map((ip) => ({ type: "AAAA", name: this.hostName, ttl: MDNS_RECORD_TTL_S, data: ip }));
      case "SRV":
        return [
          {
            type: "SRV",
            name,
            ttl: MDNS_RECORD_TTL_S,
            data: {
              priority: MDNS_SRV_PRIORITY,
              weight: MDNS_SRV_WEIGHT,
              port: this.port,
              target: this.hostName,
            },
          },
          ...this.instanceRecords(this.instanceAddr, "A"),
          ...this.instanceRecords(this.instanceAddr, "AAAA"),
        ];
      case "TXT":
        return [{ type: "TXT", name, ttl: MDNS_RECORD_TTL_S, data: this.txt }];
      default:
        return [];
    }
  }
}

/** What Go serf advertises for a node: `NewMDNSService(node, _serf_C._tcp, "", "", port, [ip], txt)`. */
export interface SerfMdnsZoneOptions {
  readonly cluster: string;
  readonly nodeName: string;
  /** Memberlist advertise IP. */
  readonly ip: string;
  /** Memberlist advertise port. */
  readonly port: number;
  /** @default `${os.hostname()}.` */
  readonly hostName?: string;
  /** @default "local." */
  readonly domain?: string;
}

/** The zone Go serf registers for `-discover=CLUSTER`. */
export function serfMdnsZone(options: SerfMdnsZoneOptions): MdnsZone {
  return new MdnsZone({
    instance: options.nodeName,
    service: mdnsServiceName(options.cluster),
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.hostName === undefined ? {} : { hostName: fqdn(options.hostName) }),
    port: options.port,
    ips: [options.ip],
    txt: [mdnsServiceTxt(options.cluster)],
  });
}

/** The header fields of an incoming query that decide whether it is answered. */
export interface MdnsIncomingQuery {
  readonly id: number;
  readonly opcode?: string;
  readonly rcode?: string;
  readonly truncated?: boolean;
  readonly questions: readonly (MdnsQuestion & { readonly class?: string | undefined })[];
}

/** The (at most two) responses to one query, or why it was dropped. */
export type MdnsQueryAnswer =
  | {
      readonly ignored: false;
      /** Answers for questions without the unicast bit; sent with ID 0. */
      readonly multicast: readonly MdnsRecord[];
      /** Answers for questions with the unicast bit; sent with the query ID. */
      readonly unicast: readonly MdnsRecord[];
    }
  | { readonly ignored: true; readonly reason: string };

/** Whether a decoded qclass (`IN`, `UNKNOWN_32769`, …) carries the unicast-response bit. */
export function hasUnicastBit(qclass: string | undefined): boolean {
  const m = /^UNKNOWN_(\d+)$/.exec(qclass ?? "");
  return m?.[1] !== undefined && (Number(m[1]) & 0x8000) !== 0;
}

/** hashicorp/mdns `Server.handleQuery` minus the sending. */
export function answerMdnsQuery(zone: MdnsZone, query: MdnsIncomingQuery): MdnsQueryAnswer {
  if (query.opcode !== undefined && query.opcode !== "QUERY") {
    return { ignored: true, reason: `received query with non-zero Opcode ${query.opcode}` };
  }
  if (query.rcode !== undefined && query.rcode !== "NOERROR") {
    return { ignored: true, reason: `received query with non-zero Rcode ${query.rcode}` };
  }
  if (query.truncated === true) {
    return {
      ignored: true,
      reason: "support for DNS requests with high truncated bit not implemented",
    };
  }
  const multicast: MdnsRecord[] = [];
  const unicast: MdnsRecord[] = [];
  for (const q of query.questions) {
    const recs = zone.records(q);
    if (recs.length === 0) continue;
    (hasUnicastBit(q.class) ? unicast : multicast).push(...recs);
  }
  return { ignored: false, multicast, unicast };
}

/** Longest DNS label and name, in bytes (RFC 1035); dns-packet does not check them. */
function checkDnsName(name: string): void {
  const labels = trimDots(name).split(".");
  let total = 1;
  for (const label of labels) {
    const len = Buffer.byteLength(label);
    if (len > 63) throw new Error(`dns: label too long in ${JSON.stringify(name)}`);
    total += len + 1;
  }
  if (total > 255) throw new Error(`dns: domain name too long: ${JSON.stringify(name)}`);
}

type OutgoingAnswer = ResponseOutgoingPacket["answers"][number];

/** Our record → a dns-packet answer (copies arrays: dns-packet's TXT encoder mutates them). */
function toAnswer(rec: MdnsRecord): OutgoingAnswer {
  checkDnsName(rec.name);
  switch (rec.type) {
    case "PTR":
      checkDnsName(rec.data);
      return { type: "PTR", name: rec.name, ttl: rec.ttl, class: "IN", data: rec.data };
    case "SRV":
      checkDnsName(rec.data.target);
      return { type: "SRV", name: rec.name, ttl: rec.ttl, class: "IN", data: { ...rec.data } };
    case "TXT":
      return { type: "TXT", name: rec.name, ttl: rec.ttl, class: "IN", data: [...rec.data] };
    case "A":
    case "AAAA":
      return { type: rec.type, name: rec.name, ttl: rec.ttl, class: "IN", data: rec.data };
  }
}

/** Build the dns-packet response messages for an answer (ID 0 multicast, query ID unicast). */
export function buildMdnsResponses(
  queryId: number,
  answer: MdnsQueryAnswer,
): ResponseOutgoingPacket[] {
  if (answer.ignored) return [];
  const out: ResponseOutgoingPacket[] = [];
  if (answer.multicast.length > 0) {
    out.push({ type: "response", id: 0, flags: 0, answers: answer.multicast.map(toAnswer) });
  }
  if (answer.unicast.length > 0) {
    out.push({ type: "response", id: queryId, flags: 0, answers: answer.unicast.map(toAnswer) });
  }
  return out;
}

/** Options of `MdnsService.start`. */
export interface MdnsServiceOptions extends MdnsSocketOptions, SerfMdnsZoneOptions {
  /** Protocol-level problems (bad packets) go to `debug`. */
  readonly logger?: MdnsLogger;
}

/** Header fields dns-packet decodes but the multicast-dns typings leave out. */
interface DecodedHeader {
  readonly opcode?: string;
  readonly rcode?: string;
  readonly flag_tc?: boolean;
}

/**
 * A running responder. `start` fails like Go's agent would print
 * `==> Error starting mDNS listener: <message>`: zone validation errors (`missing service
 * port`, …) or `No multicast listeners could be started`.
 */
export class MdnsService {
  readonly zone: MdnsZone;
  private readonly mdns: MulticastDNS;
  private readonly logger: MdnsLogger;
  private readonly boundPort: number;
  private closing: Promise<void> | undefined;

  private constructor(zone: MdnsZone, mdns: MulticastDNS, logger: MdnsLogger, port: number) {
    this.zone = zone;
    this.mdns = mdns;
    this.logger = logger;
    this.boundPort = port;
    mdns.on("query", (query, rinfo) => this.onQuery(query, rinfo.address, rinfo.port));
    mdns.on("warning", (err) => this.logger.debug(`mdns: ${errorText(err)}`));
    mdns.on("error", (err) => this.logger.error(`mdns: ${errorText(err)}`));
  }

  /** Validate the zone, bind the listener, join the group, start answering. */
  static async start(options: MdnsServiceOptions): Promise<MdnsService> {
    const zone = serfMdnsZone(options);
    const sock = resolveMdnsSocketOptions(options);
    const logger = options.logger ?? NOOP_MDNS_LOGGER;
    const mdns = makeMdns({
      type: "udp4",
      port: sock.port,
      ip: sock.group,
      bind: sock.bindAddress,
      reuseAddr: true,
      multicast: true,
      ttl: sock.ttl,
      loopback: sock.loopback,
      ...(sock.multicastInterface === undefined ? {} : { interface: sock.multicastInterface }),
    });
    let joined = false;
    const warnings: string[] = [];
    const onJoined = (): void => {
      joined = true;
    };
    const onWarning = (err: Error): void => {
      warnings.push(errorText(err));
    };
    mdns.on("networkInterface", onJoined);
    mdns.on("warning", onWarning);
    try {
      await new Promise<void>((resolve, reject) => {
        mdns.once("ready", () => resolve());
        mdns.once("error", reject);
      });
      if (!joined) {
        const why = warnings.length > 0 ? `: ${warnings.join("; ")}` : "";
        throw new Error(`No multicast listeners could be started${why}`);
      }
    } catch (err) {
      await new Promise<void>((resolve) => mdns.destroy(resolve));
      if (err instanceof Error && err.message.startsWith("No multicast listeners")) throw err;
      throw new Error(`No multicast listeners could be started: ${errorText(err)}`);
    } finally {
      mdns.off("networkInterface", onJoined);
      mdns.off("warning", onWarning);
      mdns.removeAllListeners("error");
    }
    const service = new MdnsService(zone, mdns, logger, sock.port);
    logger.debug(
      `mdns: advertising ${zone.instanceAddr} on port ${sock.port} (${zone.hostName} ` +
        `${zone.ips.join(",")}:${zone.port})`,
    );
    return service;
  }

  /** The UDP port the responder listens on. */
  get port(): number {
    return this.boundPort;
  }

  /** Stop answering and close the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.mdns.destroy(resolve));
    return this.closing;
  }

  private onQuery(query: QueryPacket, address: string, port: number): void {
    if (this.closing !== undefined) return;
    const header = query as QueryPacket & DecodedHeader;
    const answer = answerMdnsQuery(this.zone, {
      id: query.id ?? 0,
      questions: query.questions ?? [],
      ...(header.opcode === undefined ? {} : { opcode: header.opcode }),
      ...(header.rcode === undefined ? {} : { rcode: header.rcode }),
      ...(header.flag_tc === undefined ? {} : { truncated: header.flag_tc }),
    });
    if (answer.ignored) {
      this.logger.debug(`mdns: Failed to handle query: ${answer.reason}`);
      return;
    }
    let responses: ResponseOutgoingPacket[];
    try {
      responses = buildMdnsResponses(query.id ?? 0, answer);
    } catch (err) {
      this.logger.error(`mdns: Failed to handle query: ${errorText(err)}`);
      return;
    }
    for (const response of responses) {
      this.mdns.respond(response, { address, port }, (err) => {
        if (err) this.logger.debug(`mdns: error sending response: ${errorText(err)}`);
      });
    }
  }
}
