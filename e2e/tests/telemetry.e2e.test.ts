/**
 * Go's telemetry (issue 13): an agent with `statsd_addr` (UDP) or `statsite_addr` (TCP) in a
 * config file sends go-metrics lines to a listener the test starts. The same scenario runs
 * against Go's agent, which proves the list of names is Go's, and against ours, which must
 * send at least those names, with Go's prefix, host-name segment on gauges and line format.
 *
 * Go `serf` missing: the Go variants skip loudly (fail under CI=true).
 */

import { hostname } from "node:os";
import { requireGoSerf, stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  REQUIRED_GAUGES,
  REQUIRED_NAMES,
  runTelemetryScenario,
} from "../src/telemetry/scenario.ts";
import {
  type StatsListener,
  startStatsdListener,
  startStatsiteListener,
} from "../src/telemetry/stats-listener.ts";

const haveGo = requireGoSerf();
const host = hostname();

let listener: StatsListener | undefined;
afterEach(async () => {
  await stopAll();
  await listener?.close();
  listener = undefined;
});
afterAll(() => {
  expect(trackedPids()).toEqual([]);
});

const missing = (keys: Set<string>): string[] => [
  ...REQUIRED_NAMES.map((n) => `serf-agent.${n}`).filter((k) => !keys.has(k)),
  ...REQUIRED_GAUGES.map((n) => `serf-agent.${host}.${n}`).filter((k) => !keys.has(k)),
];

for (const impl of ["go", "ts"] as const) {
  describe.skipIf(impl === "go" && !haveGo)(`telemetry: ${impl} agent`, () => {
    it("statsd_addr: the scenario's metric names arrive over UDP, in go-metrics' format", async () => {
      listener = await startStatsdListener();
      const { keys } = await runTelemetryScenario(impl, "statsd_addr", listener, host);
      expect(missing(keys)).toEqual([]);
      // go-metrics' line format: `%f` values, `c`/`ms`/`g` types.
      const sample = listener.lines.find((l) => l.key === "serf-agent.serf.member.join");
      expect(sample?.raw).toBe("serf-agent.serf.member.join:1.000000|c");
      const probe = listener.lines.find((l) => l.key === "serf-agent.memberlist.probeNode");
      expect(probe?.raw).toMatch(/^serf-agent\.memberlist\.probeNode:\d+\.\d{6}\|ms$/);
      const gauge = listener.lines.find((l) => l.key.endsWith(".memberlist.health.score"));
      expect(gauge?.raw).toMatch(/^serf-agent\.[^.]+\.memberlist\.health\.score:\d+\.0{6}\|g$/);
      // Runtime gauges carry the host name too.
      expect([...keys].some((k) => k.startsWith(`serf-agent.${host}.runtime.`))).toBe(true);
    });

    it("statsite_addr: the same names arrive over TCP", async () => {
      listener = await startStatsiteListener();
      const { keys } = await runTelemetryScenario(impl, "statsite_addr", listener, host);
      expect(missing(keys)).toEqual([]);
    });
  });
}
