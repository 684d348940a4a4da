import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MdnsLogger } from "./mdns-common.ts";
import {
  MdnsDiscovery,
  type MdnsDiscoveryOptions,
  MdnsEntryCollector,
  type MdnsPeersHandler,
  type MdnsQueryOptions,
  type MdnsServiceEntry,
} from "./mdns-discovery.ts";

/** A Go serf response as dns-packet decodes it: PTR, SRV, A, TXT (no trailing dots). */
function goResponse(node: string, ip: string, port: number, host = "myhost") {
  const inst = `${node}._serf_web._tcp.local`;
  return [
    { type: "PTR", name: "_serf_web._tcp.local", data: inst },
    { type: "SRV", name: inst, data: { priority: 10, weight: 1, port, target: host } },
    { type: ip.includes(":") ? "AAAA" : "A", name: host, data: ip },
    { type: "TXT", name: inst, data: [Buffer.from("Serf 'web' cluster")] },
  ];
}

describe("MdnsEntryCollector (hashicorp/mdns client.query)", () => {
  it("assembles a Go serf answer into one complete entry, reported once", () => {
    const c = new MdnsEntryCollector();
    const first = c.collect(goResponse("n1", "10.0.0.1", 7946));
    expect(first.entry).toEqual({
      name: "n1._serf_web._tcp.local.",
      host: "myhost.",
      addrV4: "10.0.0.1",
      addr: "10.0.0.1",
      port: 7946,
      info: "Serf 'web' cluster",
      infoFields: ["Serf 'web' cluster"],
    });
    expect(c.collect(goResponse("n1", "10.0.0.1", 7946))).toEqual({});
  });

  it("keeps two instances on the same host apart (the SRV alias moves)", () => {
    const c = new MdnsEntryCollector();
    expect(c.collect(goResponse("n1", "127.0.0.1", 1)).entry?.addr).toBe("127.0.0.1");
    const e2 = c.collect(goResponse("n2", "127.0.0.2", 2)).entry;
    expect(e2?.name).toBe("n2._serf_web._tcp.local.");
    expect(e2?.addr).toBe("127.0.0.2");
    expect(e2?.port).toBe(2);
  });

  it("asks for an instance that is still incomplete", () => {
    const c = new MdnsEntryCollector();
    const [ptr, srv, a] = goResponse("n1", "10.0.0.1", 7946);
    expect(c.collect([ptr!])).toEqual({ followUp: "n1._serf_web._tcp.local." });
    expect(c.collect([srv!, a!])).toEqual({ followUp: "n1._serf_web._tcp.local." });
    const txt = goResponse("n1", "10.0.0.1", 7946)[3]!;
    expect(c.collect([txt]).entry?.addr).toBe("10.0.0.1");
  });

  it("handles AAAA answers and ignores unrelated records", () => {
    const c = new MdnsEntryCollector();
    expect(c.collect([{ type: "NSEC", name: "x", data: {} }])).toEqual({});
    const e = c.collect(goResponse("n6", "FD00:0:0:0:0:0:0:2", 7946)).entry;
    expect(e?.addrV6).toBe("fd00::2");
    expect(e?.addr).toBe("fd00::2");
  });
});

function entry(addr: string, port = 7946): MdnsServiceEntry {
  return {
    name: `${addr}._serf_web._tcp.local.`,
    host: "h.",
    addr,
    port,
    info: "",
    infoFields: [],
  };
}

interface Harness {
  readonly discovery: MdnsDiscovery;
  readonly polls: MdnsQueryOptions[];
  readonly batches: string[][];
  readonly logs: string[];
}

function harness(
  overrides: Partial<MdnsDiscoveryOptions> = {},
  onPeers: MdnsDiscoveryOptions["onPeers"] = (addrs) => addrs.length,
): Harness {
  const polls: MdnsQueryOptions[] = [];
  const batches: string[][] = [];
  const logs: string[] = [];
  const logger: MdnsLogger = {
    debug: (m) => logs.push(`DEBUG ${m}`),
    info: (m) => logs.push(`INFO ${m}`),
    warn: (m) => logs.push(`WARN ${m}`),
    error: (m) => logs.push(`ERR ${m}`),
  };
  const discovery = new MdnsDiscovery({
    cluster: "web",
    logger,
    query: (opts) => {
      polls.push(opts);
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.timeoutMs ?? 1000);
        opts.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    onPeers: (addrs) => {
      batches.push([...addrs]);
      return onPeers(addrs);
    },
    ...overrides,
  });
  return { discovery, polls, batches, logs };
}

describe("MdnsDiscovery (Go serf AgentMDNS.run)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("polls at once, then every 60 s, for _serf_CLUSTER._tcp with a 1 s timeout", async () => {
    const h = harness();
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.polls).toHaveLength(1);
    expect(h.polls[0]).toMatchObject({ service: "_serf_web._tcp", timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(h.polls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.polls).toHaveLength(2);
    await h.discovery.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.polls).toHaveLength(2);
  });

  it("joins hosts in one batch once 100 ms pass without a new one", async () => {
    const h = harness();
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    const poll = h.polls[0]!;
    poll.onEntry(entry("10.0.0.1"));
    await vi.advanceTimersByTimeAsync(99);
    poll.onEntry(entry("10.0.0.2"));
    poll.onEntry(entry("10.0.0.2"));
    await vi.advanceTimersByTimeAsync(99);
    expect(h.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.batches).toEqual([["10.0.0.1:7946", "10.0.0.2:7946"]]);
    expect(h.logs).toContain("INFO Joined 2 hosts");
    expect([...h.discovery.seen]).toEqual(["10.0.0.1:7946", "10.0.0.2:7946"]);
    await h.discovery.stop();
  });

  it("never reports an address twice, nor our own", async () => {
    const h = harness({ selfAddress: "10.0.0.9:7946" });
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    h.polls[0]!.onEntry(entry("10.0.0.1"));
    h.polls[0]!.onEntry(entry("10.0.0.9"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.polls).toHaveLength(2);
    h.polls[1]!.onEntry(entry("10.0.0.1"));
    h.polls[1]!.onEntry(entry("10.0.0.9"));
    h.polls[1]!.onEntry(entry("10.0.0.3", 8000));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.batches).toEqual([["10.0.0.1:7946"], ["10.0.0.3:8000"]]);
    await h.discovery.stop();
  });

  it("logs failed joins as Go does and still marks the batch as seen", async () => {
    const h = harness({}, () => {
      throw new Error("1 error occurred:\n\t* Failed to join 10.0.0.1: refused");
    });
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    h.polls[0]!.onEntry(entry("10.0.0.1"));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.logs).toContain(
      "ERR Failed to join: 1 error occurred:\n\t* Failed to join 10.0.0.1: refused",
    );
    expect(h.logs.some((l) => l.startsWith("INFO Joined"))).toBe(false);
    expect(h.discovery.seen.has("10.0.0.1:7946")).toBe(true);
    await h.discovery.stop();
  });

  it("logs both a partial join count and its error", async () => {
    const h = harness({}, () => ({ joined: 1, error: new Error("boom") }));
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    h.polls[0]!.onEntry(entry("10.0.0.1"));
    h.polls[0]!.onEntry(entry("10.0.0.2"));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.logs).toEqual(["ERR Failed to join: boom", "INFO Joined 1 hosts"]);
    await h.discovery.stop();
  });

  it("holds entries that arrive during a join until it is done", async () => {
    let release: (() => void) | undefined;
    const h = harness({}, (addrs) => {
      if (addrs[0] !== "10.0.0.1:7946") return addrs.length;
      return new Promise<number>((resolve) => {
        release = () => resolve(1);
      });
    });
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    h.polls[0]!.onEntry(entry("10.0.0.1"));
    await vi.advanceTimersByTimeAsync(100);
    expect(h.batches).toHaveLength(1);
    h.polls[0]!.onEntry(entry("10.0.0.1"));
    h.polls[0]!.onEntry(entry("10.0.0.2"));
    await vi.advanceTimersByTimeAsync(500);
    expect(h.batches).toHaveLength(1);
    release?.();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.batches).toEqual([["10.0.0.1:7946"], ["10.0.0.2:7946"]]);
    await h.discovery.stop();
  });

  it("accepts handlers that return nothing (no Joined line)", async () => {
    const quiet: MdnsPeersHandler = () => {};
    const quietAsync: MdnsPeersHandler = async () => {};
    for (const onPeers of [quiet, quietAsync]) {
      const h = harness({}, onPeers);
      h.discovery.start();
      await vi.advanceTimersByTimeAsync(0);
      h.polls[0]!.onEntry(entry("10.0.0.1"));
      await vi.advanceTimersByTimeAsync(100);
      expect(h.batches).toEqual([["10.0.0.1:7946"]]);
      expect(h.logs).toEqual([]);
      await h.discovery.stop();
    }
  });

  it("logs poll failures", async () => {
    const h = harness({ query: () => Promise.reject(new Error("send ENETUNREACH")) });
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.logs).toContain("ERR Failed to poll for new hosts: send ENETUNREACH");
    await h.discovery.stop();
  });

  it("passes socket options through to the query", async () => {
    const h = harness({
      multicastInterface: "127.0.0.1",
      ttl: 1,
      loopback: true,
      mdnsPort: 15353,
      pollIntervalMs: 10,
      queryTimeoutMs: 5,
    });
    h.discovery.start();
    await vi.advanceTimersByTimeAsync(25);
    expect(h.polls.length).toBeGreaterThanOrEqual(3);
    expect(h.polls[0]).toMatchObject({
      multicastInterface: "127.0.0.1",
      ttl: 1,
      loopback: true,
      mdnsPort: 15353,
      timeoutMs: 5,
    });
    await h.discovery.stop();
  });
});
