import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { NetTransport } from "./net-transport.ts";
import { describeTransportCompliance } from "./testing/transport-compliance.ts";
import { formatAddress, parseAddress, TransportError, TransportErrorCode } from "./transport.ts";

/** A random loopback IP in 127.0.0.0/8 avoiding .0 and .255 octets (Linux routes all of it). */
function randomLoopback(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.${octet()}.${octet()}.${octet()}`;
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeTransportCompliance(
  "NetTransport (127.0.0.1, port 0)",
  {
    create: () => NetTransport.create({ bindAddress: "127.0.0.1", bindPort: 0 }),
    unusedAddress: async () => formatAddress("127.0.0.1", await freePort("127.0.0.1")),
  },
  { describe, it, afterEach },
);

describeTransportCompliance(
  "NetTransport (random 127.x.y.z, port 0)",
  {
    create: () => NetTransport.create({ bindAddress: randomLoopback(), bindPort: 0 }),
    unusedAddress: async () => {
      const host = randomLoopback();
      return formatAddress(host, await freePort(host));
    },
  },
  { describe, it, afterEach },
);

describe("NetTransport", () => {
  const open: NetTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it("binds UDP and TCP on the same reported port", async () => {
    const host = randomLoopback();
    const t = await NetTransport.create({ bindAddress: host, bindPort: 0 });
    open.push(t);
    expect(t.port).toBeGreaterThan(0);
    expect(t.localAddress).toBe(`${host}:${t.port}`);
    expect(t.bindAddress).toBe(host);
    // The TCP side is taken: a second listener on that port fails.
    const probe = net.createServer();
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      probe.once("error", (e) => resolve(e));
      probe.listen({ host, port: t.port, exclusive: true }, () => resolve(undefined));
    });
    await new Promise<void>((r) => (probe.listening ? probe.close(() => r()) : r()));
    expect(err?.code).toBe("EADDRINUSE");
  });

  it("sends a datagram to an IP literal before sendPacket returns (no DNS lookup tick)", async () => {
    // Closing the sender right after sendPacket drops anything dgram still holds for a lookup
    // callback; a datagram already handed to the kernel arrives. Go's prober stamps a ping's
    // send time just before the syscall, so a send deferred by a tick inflated every RTT.
    const host = randomLoopback();
    const a = await NetTransport.create({ bindAddress: host, bindPort: 0 });
    const b = await NetTransport.create({ bindAddress: host, bindPort: 0 });
    open.push(b);
    const got: string[] = [];
    b.onPacket((bytes) => got.push(Buffer.from(bytes).toString()));
    for (let i = 0; i < 5; i++) a.sendPacket(b.localAddress, Buffer.from(`p${i}`));
    const closed = a.close();
    await closed;
    const deadline = Date.now() + 2_000;
    while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(["p0", "p1", "p2", "p3", "p4"]);
  });

  it("fails with a BIND error when the port is taken", async () => {
    const host = randomLoopback();
    const a = await NetTransport.create({ bindAddress: host, bindPort: 0 });
    open.push(a);
    const err = await NetTransport.create({ bindAddress: host, bindPort: a.port }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(TransportErrorCode.BIND);
  });

  it("rejects a bind address that is not an IP", async () => {
    await expect(NetTransport.create({ bindAddress: "localhost", bindPort: 0 })).rejects.toThrow(
      TransportError,
    );
  });

  it("advertises the configured address and port", async () => {
    const t = await NetTransport.create({
      bindAddress: "127.0.0.1",
      bindPort: 0,
      advertiseAddress: "127.0.0.9",
      advertisePort: 1234,
    });
    open.push(t);
    expect(t.localAddress).toBe("127.0.0.9:1234");
  });

  it("advertises a concrete IP when bound to the wildcard address", async () => {
    const t = await NetTransport.create({ bindAddress: "0.0.0.0", bindPort: 0 });
    open.push(t);
    const { host, port } = parseAddress(t.localAddress);
    expect(host).not.toBe("0.0.0.0");
    expect(port).toBe(t.port);
  });

  it("dials without binding a local address (source IP is the kernel's choice)", async () => {
    const a = await NetTransport.create({ bindAddress: randomLoopback(), bindPort: 0 });
    const b = await NetTransport.create({ bindAddress: randomLoopback(), bindPort: 0 });
    open.push(a, b);
    const from = new Promise<string>((resolve) =>
      b.onStream((s, f) => {
        resolve(f);
        s.close();
      }),
    );
    const s = await a.dial(b.localAddress, { timeoutMs: 2000 });
    const seen = await from;
    s.close();
    expect(parseAddress(seen).port).not.toBe(a.port);
  });
});
