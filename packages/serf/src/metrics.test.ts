/**
 * `Serf.create({ metrics })`: serf's and memberlist's metrics reach an injected sink under Go
 * serf's names (two, then three nodes on loopback, local profile: join, user event, query with
 * ack and response, tag update, graceful leave, crash).
 */

import { afterEach, describe, expect, it } from "vitest";
import type { MetricsSink } from "@serf-ts/memberlist";
import { SERF_METRICS } from "./core/serf-metrics.ts";
import { Serf } from "./serf.ts";

class RecordingSink implements MetricsSink {
  readonly counters = new Map<string, number>();
  readonly samples = new Map<string, number[]>();
  incrCounter(key: readonly string[], value: number): void {
    const k = key.join(".");
    this.counters.set(k, (this.counters.get(k) ?? 0) + value);
  }
  setGauge(): void {}
  addSample(key: readonly string[], value: number): void {
    const k = key.join(".");
    this.samples.set(k, [...(this.samples.get(k) ?? []), value]);
  }
}

async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const nodes: Serf[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
});

async function start(name: string, metrics?: MetricsSink): Promise<Serf> {
  const s = await Serf.create({
    nodeName: name,
    bindAddr: "127.0.0.1",
    bindPort: 0,
    profile: "local",
    ...(metrics === undefined ? {} : { metrics }),
  });
  nodes.push(s);
  return s;
}

describe("serf metrics", () => {
  it("counts members, events, queries and messages under Go's names", async () => {
    const sink = new RecordingSink();
    const a = await start("a", sink);
    const b = await start("b");
    b.onQuery((q) => (q.name === "ping" ? "pong" : undefined));
    await b.join([a.localAddress]);
    await until(() => a.members().length === 2);

    a.userEvent("deploy", "v1");
    const q = a.query("ping", "", { requestAck: true, timeoutMs: 3000 });
    const { acks, responses } = await q.finished;
    expect(acks.length).toBe(2);
    expect(responses.length).toBe(1);
    await b.setTags({ v: "2" });
    await until(() => a.member("b")?.tags.v === "2");

    const c = await start("c");
    await c.join([a.localAddress]);
    await until(() => a.member("c")?.status === "alive");
    await c.leave();
    await until(() => a.member("c")?.status === "left");

    const d = await start("d");
    await d.join([a.localAddress]);
    await until(() => a.member("d")?.status === "alive");
    nodes.splice(nodes.indexOf(d), 1);
    await d.shutdown(); // no leave: failed
    await until(() => a.member("d")?.status === "failed");

    const n = (k: string): number => sink.counters.get(k) ?? 0;
    expect(n("serf.member.join")).toBe(4); // a itself, b, c, d
    expect(n("serf.member.update")).toBe(1);
    expect(n("serf.member.left")).toBe(1);
    expect(n("serf.member.failed")).toBe(1);
    expect(n("serf.events")).toBe(1);
    expect(n("serf.events.deploy")).toBe(1);
    expect(n("serf.queries")).toBe(1);
    expect(n("serf.queries.ping")).toBe(1);
    expect(n("serf.query_acks")).toBe(2);
    expect(n("serf.query_responses")).toBe(1);
    expect(sink.samples.get("serf.msgs.sent")?.every((v) => v > 0)).toBe(true);
    expect(sink.samples.get("serf.msgs.received")?.length).toBeGreaterThan(0);
    expect(sink.samples.has("serf.coordinate.adjustment-ms")).toBe(true);
    // memberlist's, through the same sink
    expect(n("memberlist.msg.alive")).toBeGreaterThan(0);
    expect(sink.samples.has("memberlist.probeNode")).toBe(true);

    const known = new Set(SERF_METRICS.map((m) => m.key));
    for (const k of [...sink.counters.keys(), ...sink.samples.keys()]) {
      if (k.startsWith("memberlist.")) continue;
      const generic = k.replace(/^(serf\.(events|queries))\..+$/, "$1.*");
      expect(known.has(generic), k).toBe(true);
    }
  }, 60_000);
});
