import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./testing/manual-clock.ts";
import { MemoryNetwork } from "./testing/memory-network.ts";
import { describeTransportCompliance } from "./testing/transport-compliance.ts";
import { TransportError, TransportErrorCode } from "./transport.ts";

let shared: MemoryNetwork | undefined;
describeTransportCompliance(
  "MemoryTransport",
  {
    create: async () => {
      shared ??= new MemoryNetwork();
      return shared.createTransport();
    },
    unusedAddress: async () => "10.200.200.200:7946",
    teardown: async () => {
      await shared?.close();
      shared = undefined;
    },
  },
  { describe, it, afterEach },
);

describeTransportCompliance(
  "MemoryTransport (5 ms latency)",
  {
    create: async () => {
      shared ??= new MemoryNetwork({ latencyMs: 5 });
      return shared.createTransport();
    },
    unusedAddress: async () => "10.200.200.200:7946",
    teardown: async () => {
      await shared?.close();
      shared = undefined;
    },
  },
  { describe, it, afterEach },
);

describe("MemoryNetwork faults (ManualClock, deterministic)", () => {
  let network: MemoryNetwork | undefined;
  afterEach(async () => {
    await network?.close();
    network = undefined;
  });

  function setup(opts: ConstructorParameters<typeof MemoryNetwork>[0] = {}) {
    const clock = new ManualClock(1000);
    network = new MemoryNetwork({ clock, ...opts });
    const a = network.createTransport("10.0.0.1:7946");
    const b = network.createTransport("10.0.0.2:7946");
    const c = network.createTransport("10.0.0.3:7946");
    const inbox = new Map<string, { data: number; from: string; at: number }[]>();
    for (const t of [a, b, c]) {
      inbox.set(t.localAddress, []);
      t.onPacket((bytes, from, at) =>
        inbox.get(t.localAddress)!.push({ data: bytes[0]!, from, at }),
      );
    }
    return { clock, net: network, a, b, c, inbox };
  }

  it("auto-assigns distinct addresses and refuses duplicates", () => {
    const n = new MemoryNetwork({ clock: new ManualClock() });
    network = n;
    const x = n.createTransport();
    const y = n.createTransport();
    expect(x.localAddress).not.toBe(y.localAddress);
    expect(() => n.createTransport(x.localAddress)).toThrow(TransportError);
  });

  it("delivers after the configured latency and stamps the receive time", () => {
    const { clock, a, b, inbox } = setup({ latencyMs: 10 });
    a.sendPacket(b.localAddress, Uint8Array.of(1));
    clock.advance(9);
    expect(inbox.get(b.localAddress)).toHaveLength(0);
    clock.advance(1);
    expect(inbox.get(b.localAddress)).toEqual([{ data: 1, from: a.localAddress, at: 1010 }]);
  });

  it("jitter reorders packets, identically for the same seed", () => {
    const run = (seed: number): number[] => {
      const { clock, a, b, inbox } = setup({ latencyMs: 1, jitterMs: 50, seed });
      for (let i = 0; i < 20; i++) a.sendPacket(b.localAddress, Uint8Array.of(i));
      clock.advance(100);
      return inbox.get(b.localAddress)!.map((m) => m.data);
    };
    const first = run(42);
    const second = run(42);
    expect(first).toEqual(second);
    expect(first).toHaveLength(20);
    expect(first).not.toEqual([...Array(20).keys()]);
  });

  it("drops about the configured fraction of packets", () => {
    const { clock, net, a, b, inbox } = setup({ lossRate: 0.3, seed: 7 });
    for (let i = 0; i < 1000; i++) a.sendPacket(b.localAddress, Uint8Array.of(i & 0xff));
    clock.advance(1);
    const got = inbox.get(b.localAddress)!.length;
    expect(got).toBeGreaterThan(600);
    expect(got).toBeLessThan(800);
    expect(net.stats.packetsDropped + net.stats.packetsDelivered).toBe(1000);
  });

  it("duplicates packets when asked", () => {
    const { clock, net, a, b, inbox } = setup();
    net.setDuplication(1);
    a.sendPacket(b.localAddress, Uint8Array.of(5));
    clock.advance(1);
    expect(inbox.get(b.localAddress)!.map((m) => m.data)).toEqual([5, 5]);
  });

  it("partitions block both directions until healed", () => {
    const { clock, net, a, b, c, inbox } = setup();
    net.partition([a.localAddress], [b.localAddress, c.localAddress]);
    a.sendPacket(b.localAddress, Uint8Array.of(1));
    b.sendPacket(a.localAddress, Uint8Array.of(2));
    b.sendPacket(c.localAddress, Uint8Array.of(3));
    clock.advance(1);
    expect(inbox.get(b.localAddress)).toHaveLength(0);
    expect(inbox.get(a.localAddress)).toHaveLength(0);
    expect(inbox.get(c.localAddress)).toHaveLength(1);
    net.heal();
    a.sendPacket(b.localAddress, Uint8Array.of(4));
    clock.advance(1);
    expect(inbox.get(b.localAddress)!.map((m) => m.data)).toEqual([4]);
  });

  it("one-way link cuts drop only one direction", () => {
    const { clock, net, a, b, inbox } = setup();
    net.blockLink(a.localAddress, b.localAddress);
    a.sendPacket(b.localAddress, Uint8Array.of(1));
    b.sendPacket(a.localAddress, Uint8Array.of(2));
    clock.advance(1);
    expect(inbox.get(b.localAddress)).toHaveLength(0);
    expect(inbox.get(a.localAddress)!.map((m) => m.data)).toEqual([2]);
    expect(net.isReachable(a.localAddress, b.localAddress)).toBe(false);
    net.unblockLink(a.localAddress, b.localAddress);
    expect(net.isReachable(a.localAddress, b.localAddress)).toBe(true);
  });

  it("per-link loss and packet filters", () => {
    const { clock, net, a, b, c, inbox } = setup();
    net.setLinkLoss(a.localAddress, b.localAddress, 1);
    net.setPacketFilter((p) => p.bytes[0] !== 9);
    a.sendPacket(b.localAddress, Uint8Array.of(1));
    a.sendPacket(c.localAddress, Uint8Array.of(9));
    a.sendPacket(c.localAddress, Uint8Array.of(8));
    clock.advance(1);
    expect(inbox.get(b.localAddress)).toHaveLength(0);
    expect(inbox.get(c.localAddress)!.map((m) => m.data)).toEqual([8]);
  });

  it("a dial across a partition times out; a dial to nobody is refused", async () => {
    const { clock, net, a, b } = setup();
    b.onStream(() => {});
    net.isolate(b.localAddress);
    const pending = a.dial(b.localAddress, { timeoutMs: 500 }).catch((e: unknown) => e);
    clock.advance(499);
    clock.advance(1);
    const err = (await pending) as TransportError;
    expect(err.code).toBe(TransportErrorCode.TIMEOUT);
    const refused = a.dial("10.9.9.9:7946", { timeoutMs: 500 }).catch((e: unknown) => e);
    clock.advance(0);
    clock.runDue();
    expect(((await refused) as TransportError).code).toBe(TransportErrorCode.UNREACHABLE);
  });

  it("streams are delivered in order with latency and reset when the link is cut", async () => {
    const { clock, net, a, b } = setup({ latencyMs: 3 });
    const accepted = new Promise<import("./transport.ts").DuplexStream>((resolve) =>
      b.onStream((s) => resolve(s)),
    );
    const dialing = a.dial(b.localAddress, { timeoutMs: 1000 });
    clock.advance(3);
    const server = await accepted;
    clock.advance(3);
    const client = await dialing;
    await client.write(Uint8Array.of(1));
    await client.write(Uint8Array.of(2));
    clock.advance(3);
    expect([...(await server.read())!]).toEqual([1]);
    expect([...(await server.read())!]).toEqual([2]);
    const pendingRead = client.read();
    net.partition([a.localAddress], [b.localAddress]);
    const err = (await pendingRead.catch((e: unknown) => e)) as TransportError;
    expect(err.code).toBe(TransportErrorCode.UNREACHABLE);
    expect(net.stats.streamsReset).toBe(1);
  });
});
