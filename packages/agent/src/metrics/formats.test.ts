/**
 * go-metrics' text formats, from lines captured from Go serf 0.9.4: statsd lines, the in-memory
 * sink's aggregates and SIGUSR1 dump, the key prefixes of `GoMetrics`.
 */

import { describe, expect, it } from "vitest";
import { GoMetrics } from "./go-metrics.ts";
import { formatGoTime, InmemSink } from "./inmem-sink.ts";
import { flattenStatsKey, goFloat32Fixed6, statsLine } from "./stats-line.ts";

describe("statsd lines", () => {
  it("match Go's (captured from a Go agent)", () => {
    expect(statsLine(["serf-agent", "serf", "member", "join"], 1, "c")).toBe(
      "serf-agent.serf.member.join:1.000000|c\n",
    );
    expect(statsLine(["serf-agent", "memberlist", "tcp", "sent"], 213, "c")).toBe(
      "serf-agent.memberlist.tcp.sent:213.000000|c\n",
    );
    expect(statsLine(["serf-agent", "serf", "msgs", "received"], 16, "ms")).toBe(
      "serf-agent.serf.msgs.received:16.000000|ms\n",
    );
    expect(statsLine(["serf-agent", "vm", "runtime", "sys_bytes"], 12958736, "g")).toBe(
      "serf-agent.vm.runtime.sys_bytes:12958736.000000|g\n",
    );
  });

  it("print values as Go's %f of a float32, and flatten keys and labels as go-metrics", () => {
    expect(goFloat32Fixed6(0.1)).toBe("0.100000");
    expect(goFloat32Fixed6(16777217)).toBe("16777216.000000"); // float32 rounding
    expect(goFloat32Fixed6(Number.NaN)).toBe("NaN");
    expect(flattenStatsKey(["serf", "events", "a b:c"])).toBe("serf.events.a_b_c");
    expect(flattenStatsKey(["k"], [{ name: "x", value: "v" }])).toBe("k.v");
  });
});

describe("GoMetrics", () => {
  it("prefixes keys with serf-agent, and gauges with the host name when enabled", () => {
    const seen: string[] = [];
    const sink = {
      incrCounter: (k: readonly string[]) => seen.push(`c ${k.join(".")}`),
      setGauge: (k: readonly string[]) => seen.push(`g ${k.join(".")}`),
      addSample: (k: readonly string[]) => seen.push(`s ${k.join(".")}`),
    };
    const withHost = new GoMetrics({ sink, hostName: "vm", enableHostname: true });
    withHost.incrCounter(["serf", "member", "join"], 1);
    withHost.setGauge(["memberlist", "health", "score"], 2);
    withHost.addSample(["memberlist", "probeNode"], 0.5);
    new GoMetrics({ sink, hostName: "vm", enableHostname: false }).setGauge(["runtime", "x"], 1);
    expect(seen).toEqual([
      "c serf-agent.serf.member.join",
      "g serf-agent.vm.memberlist.health.score",
      "s serf-agent.memberlist.probeNode",
      "g serf-agent.runtime.x",
    ]);
  });
});

describe("InmemSink", () => {
  it("aggregates per 10 s interval and dumps all but the current one in Go's format", () => {
    let now = Date.UTC(2026, 11, 7, 19, 5, 43, 358.148775);
    const sink = new InmemSink({ now: () => now });
    sink.incrCounter(["serf-agent", "serf", "member", "join"], 1);
    sink.incrCounter(["serf-agent", "serf", "member", "join"], 1);
    for (const v of [16, 109, 25]) sink.addSample(["serf-agent", "serf", "msgs", "sent"], v);
    sink.setGauge(["serf-agent", "vm", "memberlist", "health", "score"], 2);
    expect(sink.dump()).toBe(""); // the current interval is not dumped
    now += 10_000;
    sink.incrCounter(["serf-agent", "serf", "events"], 1);
    const lines = sink.dump().split("\n");
    const tz = process.env.TZ;
    if (tz === undefined || tz === "UTC") {
      expect(lines[0]).toBe(
        "[2026-12-07 19:05:40 +0000 UTC][G] 'serf-agent.vm.memberlist.health.score': 2.000",
      );
    }
    expect(lines[1]).toMatch(
      /\]\[C\] 'serf-agent\.serf\.member\.join': Count: 2 Sum: 2\.000 LastUpdated: \S+ \S+ [+-]\d{4} \S+ m=\+\d+\.\d{9}$/,
    );
    // Go: Count 3, Min 16, Mean 50, Max 109, Stddev (sample) 51.293, Sum 150.
    expect(lines[2]).toMatch(
      /\]\[S\] 'serf-agent\.serf\.msgs\.sent': Count: 3 Min: 16\.000 Mean: 50\.000 Max: 109\.000 Stddev: 51\.293 Sum: 150\.000 LastUpdated: /,
    );
    expect(lines).toHaveLength(4); // three lines and the final newline
  });

  it("keeps one minute of intervals", () => {
    let now = 0;
    const sink = new InmemSink({ now: () => now });
    for (let i = 0; i < 20; i++) {
      sink.incrCounter(["k"], 1);
      now += 10_000;
    }
    expect(sink.data()).toHaveLength(6);
  });

  it("formats times as Go's time.Time.String()", () => {
    if (process.env.TZ !== undefined && process.env.TZ !== "UTC") return;
    expect(formatGoTime(Date.UTC(2026, 11, 7, 19, 5, 40), undefined)).toBe(
      "2026-12-07 19:05:40 +0000 UTC",
    );
    expect(formatGoTime(Date.UTC(2026, 11, 7, 19, 5, 43) + 358.1487, 1.013353337)).toBe(
      "2026-12-07 19:05:43.358149 +0000 UTC m=+1.013353337",
    );
  });
});
