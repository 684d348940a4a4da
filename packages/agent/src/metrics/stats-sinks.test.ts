/** statsd (UDP) and statsite (TCP) sinks: batching, bounds, and unreachable addresses. */

import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { freePort, randomLoopbackIp } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";
import { STATS_QUEUE_CAPACITY, STATSD_MAX_PACKET, StatsdSink } from "./statsd-sink.ts";
import { StatsiteSink } from "./statsite-sink.ts";

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("StatsdSink", () => {
  it("packs lines into datagrams of at most 1400 bytes and drops past 4096 queued lines", async () => {
    const ip = randomLoopbackIp();
    const socket = createSocket("udp4");
    const datagrams: string[] = [];
    socket.on("message", (m) => datagrams.push(m.toString()));
    await new Promise<void>((r) => socket.bind(0, ip, () => r()));
    const sink = new StatsdSink({ address: `${ip}:${socket.address().port}` });
    try {
      for (let i = 0; i < 10_000; i++) sink.incrCounter(["serf-agent", "k", String(i)], 1);
      await until(() => datagrams.join("").split("\n").length - 1 >= STATS_QUEUE_CAPACITY);
      await new Promise((r) => setTimeout(r, 300));
      const lines = datagrams
        .join("")
        .split("\n")
        .filter((l) => l !== "");
      expect(lines).toHaveLength(STATS_QUEUE_CAPACITY);
      expect(lines[0]).toBe("serf-agent.k.0:1.000000|c");
      expect(Math.max(...datagrams.map((d) => d.length))).toBeLessThanOrEqual(STATSD_MAX_PACKET);
      expect(datagrams.every((d) => d.endsWith("\n"))).toBe(true);
    } finally {
      await sink.close();
      socket.close();
    }
  });

  it("logs an address it cannot use and keeps accepting metrics", async () => {
    const errors: string[] = [];
    const sink = new StatsdSink({ address: "no-port", logError: (m) => errors.push(m) });
    sink.incrCounter(["k"], 1);
    await until(() => errors.length > 0);
    expect(errors[0]).toMatch(/^Error connecting to statsd! Err: /);
    expect(() => sink.setGauge(["k"], 1)).not.toThrow();
    await sink.close();
  });
});

describe("StatsiteSink", () => {
  it("sends lines over TCP", async () => {
    const ip = randomLoopbackIp();
    let text = "";
    const server = createServer((c) => c.on("data", (d) => (text += d.toString())));
    await new Promise<void>((r) => server.listen(0, ip, () => r()));
    const port = (server.address() as { port: number }).port;
    const sink = new StatsiteSink({ address: `${ip}:${port}` });
    sink.addSample(["serf-agent", "memberlist", "probeNode"], 0.5);
    sink.setGauge(["serf-agent", "vm", "memberlist", "health", "score"], 2);
    await until(() => text.split("\n").length >= 3);
    expect(text).toBe(
      "serf-agent.memberlist.probeNode:0.500000|ms\nserf-agent.vm.memberlist.health.score:2.000000|g\n",
    );
    await sink.close();
    server.close();
  });

  it("logs a refused connection and keeps the agent's calls cheap and safe", async () => {
    const ip = randomLoopbackIp();
    const port = await freePort(ip);
    const errors: string[] = [];
    const sink = new StatsiteSink({ address: `${ip}:${port}`, logError: (m) => errors.push(m) });
    sink.incrCounter(["k"], 1);
    await until(() => errors.length > 0);
    expect(errors[0]).toMatch(/^Error connecting to statsite! Err: .*ECONNREFUSED/);
    for (let i = 0; i < 10_000; i++) sink.incrCounter(["k"], 1); // dropped while paused
    await sink.close();
  });
});
