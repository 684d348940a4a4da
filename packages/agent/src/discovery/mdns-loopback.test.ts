/**
 * TS ↔ TS over real multicast, kept on the loopback interface: multicast interface 127.0.0.1,
 * TTL 1, and a random mDNS port instead of 5353 so the system's responder is never involved.
 */

import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { AgentMdns } from "./agent-mdns.ts";
import { loopbackMdnsSocketOptions, type MdnsLogger } from "./mdns-common.ts";
import { type MdnsServiceEntry, queryMdnsService } from "./mdns-discovery.ts";
import { MdnsService } from "./mdns-service.ts";

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function randomSetup() {
  return {
    cluster: `t${randomBytes(4).toString("hex")}`,
    sock: loopbackMdnsSocketOptions(20_000 + Math.floor(Math.random() * 40_000)),
  };
}

function recordingLogger(lines: string[]): MdnsLogger {
  return {
    debug: (m) => lines.push(`[DEBUG] ${m}`),
    info: (m) => lines.push(`[INFO] ${m}`),
    warn: (m) => lines.push(`[WARN] ${m}`),
    error: (m) => lines.push(`[ERR] ${m}`),
  };
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("mDNS discovery over loopback multicast (TS <-> TS)", () => {
  it("a query finds every advertised instance with Go serf's records", async () => {
    const { cluster, sock } = randomSetup();
    for (const [node, ip, port] of [
      ["alpha", "127.0.0.1", 7001],
      ["beta", "127.0.0.2", 7002],
    ] as const) {
      const svc = await MdnsService.start({
        ...sock,
        cluster,
        nodeName: node,
        ip,
        port,
        hostName: "testhost",
      });
      cleanups.push(() => svc.close());
    }
    const entries: MdnsServiceEntry[] = [];
    await queryMdnsService({
      ...sock,
      service: `_serf_${cluster}._tcp`,
      timeoutMs: 500,
      onEntry: (e) => entries.push(e),
    });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    expect(entries).toEqual([
      {
        name: `alpha._serf_${cluster}._tcp.local.`,
        host: "testhost.",
        addrV4: "127.0.0.1",
        addr: "127.0.0.1",
        port: 7001,
        info: `Serf '${cluster}' cluster`,
        infoFields: [`Serf '${cluster}' cluster`],
      },
      {
        name: `beta._serf_${cluster}._tcp.local.`,
        host: "testhost.",
        addrV4: "127.0.0.2",
        addr: "127.0.0.2",
        port: 7002,
        info: `Serf '${cluster}' cluster`,
        infoFields: [`Serf '${cluster}' cluster`],
      },
    ]);
  });

  it("two agents find each other, never themselves, and log Go's lines", async () => {
    const { cluster, sock } = randomSetup();
    const found: Record<string, string[]> = { a: [], b: [] };
    const logs: Record<string, string[]> = { a: [], b: [] };
    const start = (name: "a" | "b", ip: string, port: number) =>
      AgentMdns.start({
        ...sock,
        cluster,
        nodeName: name,
        advertiseIp: ip,
        advertisePort: port,
        pollIntervalMs: 300,
        queryTimeoutMs: 250,
        logger: recordingLogger(logs[name] ?? []),
        onPeers: (addrs) => {
          found[name]?.push(...addrs);
          return addrs.length;
        },
      });
    const a = await start("a", "127.0.0.1", 7101);
    cleanups.push(() => a.stop());
    const b = await start("b", "127.0.0.2", 7102);
    cleanups.push(() => b.stop());

    await waitFor(
      () => (found.a?.length ?? 0) > 0 && (found.b?.length ?? 0) > 0,
      8_000,
      "both agents to discover each other",
    );
    // A few more polls must not report anything again.
    await new Promise((r) => setTimeout(r, 800));
    expect(found.a).toEqual(["127.0.0.2:7102"]);
    expect(found.b).toEqual(["127.0.0.1:7101"]);
    expect(logs.a).toContain("[INFO] Joined 1 hosts");
    expect(logs.b).toContain("[INFO] Joined 1 hosts");
    expect([...(logs.a ?? []), ...(logs.b ?? [])].filter((l) => l.startsWith("[ERR]"))).toEqual([]);
  });

  it("ignores other clusters", async () => {
    const one = randomSetup();
    const svc = await MdnsService.start({
      ...one.sock,
      cluster: `${one.cluster}x`,
      nodeName: "other",
      ip: "127.0.0.3",
      port: 7003,
    });
    cleanups.push(() => svc.close());
    const entries: MdnsServiceEntry[] = [];
    await queryMdnsService({
      ...one.sock,
      service: `_serf_${one.cluster}._tcp`,
      timeoutMs: 300,
      onEntry: (e) => entries.push(e),
    });
    expect(entries).toEqual([]);
  });

  it("fails to start when the group cannot be joined on the given interface", async () => {
    const { cluster, sock } = randomSetup();
    await expect(
      MdnsService.start({
        ...sock,
        multicastInterface: "203.0.113.77",
        cluster,
        nodeName: "n",
        ip: "127.0.0.1",
        port: 7946,
      }),
    ).rejects.toThrow(/^No multicast listeners could be started/);
  });

  it("reports poll failures (bad multicast interface) as rejections", async () => {
    const { cluster, sock } = randomSetup();
    await expect(
      queryMdnsService({
        ...sock,
        multicastInterface: "203.0.113.77",
        service: `_serf_${cluster}._tcp`,
        timeoutMs: 100,
        onEntry: () => {},
      }),
    ).rejects.toThrow(/EADDRNOTAVAIL|setMulticastInterface/);
  });

  it("fails to start like Go for a bad zone", async () => {
    const { cluster, sock } = randomSetup();
    await expect(
      MdnsService.start({ ...sock, cluster, nodeName: "n", ip: "127.0.0.1", port: 0 }),
    ).rejects.toThrow("missing service port");
  });
});
