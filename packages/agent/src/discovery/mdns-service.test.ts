import { describe, expect, it } from "vitest";
import {
  formatHostPort,
  mdnsInterfaceAddress,
  loopbackMdnsSocketOptions,
  mdnsServiceName,
  mdnsServiceTxt,
  resolveMdnsSocketOptions,
} from "./mdns-common.ts";
import {
  answerMdnsQuery,
  buildMdnsResponses,
  hasUnicastBit,
  MdnsZone,
  serfMdnsZone,
} from "./mdns-service.ts";

const zone = serfMdnsZone({
  cluster: "web",
  nodeName: "node1",
  ip: "10.0.0.5",
  port: 7946,
  hostName: "myhost.",
});

const SRV = {
  type: "SRV",
  name: "node1._serf_web._tcp.local.",
  ttl: 120,
  data: { priority: 10, weight: 1, port: 7946, target: "myhost." },
} as const;
const A = { type: "A", name: "myhost.", ttl: 120, data: "10.0.0.5" } as const;
const TXT = {
  type: "TXT",
  name: "node1._serf_web._tcp.local.",
  ttl: 120,
  data: ["Serf 'web' cluster"],
} as const;

describe("serf mDNS naming", () => {
  it("uses Go serf's service name and TXT", () => {
    expect(mdnsServiceName("web")).toBe("_serf_web._tcp");
    expect(mdnsServiceTxt("web")).toBe("Serf 'web' cluster");
    expect(zone.serviceAddr).toBe("_serf_web._tcp.local.");
    expect(zone.instanceAddr).toBe("node1._serf_web._tcp.local.");
    expect(zone.enumAddr).toBe("_services._dns-sd._udp.local.");
  });

  it("formats addresses like Go's TCPAddr.String", () => {
    expect(formatHostPort("127.0.0.1", 7946)).toBe("127.0.0.1:7946");
    expect(formatHostPort("2001:DB8:0:0:0:0:0:1", 7946)).toBe("[2001:db8::1]:7946");
    expect(formatHostPort("::ffff:10.1.2.3", 1)).toBe("10.1.2.3:1");
  });
});

describe("socket options", () => {
  it("defaults like Go (all interfaces, TTL 1, loop on, 0.0.0.0:5353, 224.0.0.251)", () => {
    expect(resolveMdnsSocketOptions({})).toEqual({
      multicastInterface: undefined,
      ttl: 1,
      loopback: true,
      bindAddress: "0.0.0.0",
      port: 5353,
      group: "224.0.0.251",
    });
    expect(resolveMdnsSocketOptions(loopbackMdnsSocketOptions(15353))).toMatchObject({
      multicastInterface: "127.0.0.1",
      ttl: 1,
      port: 15353,
    });
    expect(() => resolveMdnsSocketOptions({ ttl: 0 })).toThrow("invalid multicast TTL");
    expect(() => resolveMdnsSocketOptions({ multicastInterface: "lo" })).toThrow("IPv4 address");
  });

  it("maps an interface name to its IPv4 address, skipping link-local", () => {
    const ifaces = () => ({
      eth9: [
        { address: "fe80::1", family: "IPv6" as const },
        { address: "169.254.1.1", family: "IPv4" as const },
        { address: "10.9.9.9", family: "IPv4" as const },
      ],
      lo: [{ address: "127.0.0.1", family: "IPv4" as const }],
    });
    const fake = ifaces as unknown as Parameters<typeof mdnsInterfaceAddress>[1];
    expect(mdnsInterfaceAddress("eth9", fake)).toBe("10.9.9.9");
    expect(mdnsInterfaceAddress("lo", fake)).toBe("127.0.0.1");
    expect(mdnsInterfaceAddress("nope", fake)).toBeUndefined();
  });
});

describe("MdnsZone (hashicorp/mdns zone.go)", () => {
  it("answers the service PTR with PTR, SRV, A, AAAA, TXT in Go's order", () => {
    expect(zone.records({ name: "_serf_web._tcp.local", type: "PTR" })).toEqual([
      { type: "PTR", name: "_serf_web._tcp.local.", ttl: 120, data: "node1._serf_web._tcp.local." },
      SRV,
      A,
      TXT,
    ]);
    expect(zone.records({ name: "_serf_web._tcp.local.", type: "ANY" })).toHaveLength(4);
    expect(zone.records({ name: "_serf_web._tcp.local.", type: "SRV" })).toEqual([]);
  });

  it("answers instance questions per qtype (and nothing for PTR, as Go)", () => {
    const name = "node1._serf_web._tcp.local.";
    expect(zone.records({ name, type: "ANY" })).toEqual([SRV, A, TXT]);
    expect(zone.records({ name, type: "SRV" })).toEqual([SRV, A]);
    expect(zone.records({ name, type: "TXT" })).toEqual([TXT]);
    expect(zone.records({ name, type: "A" })).toEqual([A]);
    expect(zone.records({ name, type: "AAAA" })).toEqual([]);
    expect(zone.records({ name, type: "PTR" })).toEqual([]);
  });

  it("answers the host name for A/AAAA only and the DNS-SD enumeration", () => {
    expect(zone.records({ name: "myhost.", type: "A" })).toEqual([A]);
    expect(zone.records({ name: "myhost", type: "TXT" })).toEqual([]);
    expect(zone.records({ name: "_services._dns-sd._udp.local", type: "PTR" })).toEqual([
      { type: "PTR", name: "_services._dns-sd._udp.local.", ttl: 120, data: zone.serviceAddr },
    ]);
    expect(zone.records({ name: "other._tcp.local", type: "PTR" })).toEqual([]);
    // Go compares names exactly.
    expect(zone.records({ name: "_SERF_web._tcp.local", type: "PTR" })).toEqual([]);
  });

  it("puts IPv6 addresses in AAAA records", () => {
    const v6 = serfMdnsZone({ cluster: "c", nodeName: "n", ip: "fd00::2", port: 1, hostName: "h" });
    expect(v6.hostName).toBe("h.");
    expect(v6.records({ name: v6.instanceAddr, type: "SRV" })).toEqual([
      {
        type: "SRV",
        name: "n._serf_c._tcp.local.",
        ttl: 120,
        data: { priority: 10, weight: 1, port: 1, target: "h." },
      },
      { type: "AAAA", name: "h.", ttl: 120, data: "fd00::2" },
    ]);
  });

  it("validates like NewMDNSService", () => {
    const base = { instance: "i", service: "_s._tcp", port: 1, ips: ["1.2.3.4"], txt: [] };
    expect(() => new MdnsZone({ ...base, instance: "" })).toThrow("missing service instance name");
    expect(() => new MdnsZone({ ...base, service: "" })).toThrow("missing service name");
    expect(() => new MdnsZone({ ...base, port: 0 })).toThrow("missing service port");
    expect(() => new MdnsZone({ ...base, domain: "local" })).toThrow(
      'domain "local" is not a fully-qualified domain name: FQDN must end in period: local',
    );
    expect(() => new MdnsZone({ ...base, ips: ["x"] })).toThrow(
      "invalid IP address in IPs list: x",
    );
  });
});

describe("answerMdnsQuery (hashicorp/mdns server.go)", () => {
  const q = { name: "_serf_web._tcp.local", type: "PTR", class: "IN" };

  it("answers multicast questions with ID 0 and unicast-bit questions with the query ID", () => {
    const answer = answerMdnsQuery(zone, {
      id: 77,
      opcode: "QUERY",
      rcode: "NOERROR",
      questions: [q, { name: zone.instanceAddr, type: "TXT", class: "UNKNOWN_32769" }],
    });
    expect(answer).toMatchObject({ ignored: false });
    if (answer.ignored) return;
    expect(answer.multicast).toHaveLength(4);
    expect(answer.unicast).toEqual([TXT]);
    const [multi, uni] = buildMdnsResponses(77, answer);
    expect(multi).toMatchObject({ type: "response", id: 0, flags: 0 });
    expect(uni).toMatchObject({ type: "response", id: 77 });
    expect(uni?.answers).toEqual([{ ...TXT, class: "IN", data: ["Serf 'web' cluster"] }]);
  });

  it("ignores non-zero opcode / rcode and truncated queries", () => {
    expect(answerMdnsQuery(zone, { id: 1, opcode: "STATUS", questions: [q] }).ignored).toBe(true);
    expect(answerMdnsQuery(zone, { id: 1, rcode: "SERVFAIL", questions: [q] }).ignored).toBe(true);
    expect(answerMdnsQuery(zone, { id: 1, truncated: true, questions: [q] }).ignored).toBe(true);
  });

  it("sends nothing when no question matches", () => {
    const answer = answerMdnsQuery(zone, { id: 1, questions: [{ name: "x.local", type: "A" }] });
    expect(buildMdnsResponses(1, answer)).toEqual([]);
  });

  it("detects the unicast-response bit in decoded qclasses", () => {
    expect(hasUnicastBit("IN")).toBe(false);
    expect(hasUnicastBit("UNKNOWN_32769")).toBe(true);
    expect(hasUnicastBit("UNKNOWN_7")).toBe(false);
    expect(hasUnicastBit(undefined)).toBe(false);
  });

  it("refuses to encode over-long labels", () => {
    const long = serfMdnsZone({ cluster: "c", nodeName: "n".repeat(64), ip: "1.2.3.4", port: 1 });
    const answer = answerMdnsQuery(long, {
      id: 1,
      questions: [{ name: "_serf_c._tcp.local", type: "PTR" }],
    });
    expect(() => buildMdnsResponses(1, answer)).toThrow("label too long");
  });
});
