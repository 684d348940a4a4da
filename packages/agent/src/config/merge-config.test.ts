import { describe, expect, it } from "vitest";
import { defaultConfig, emptyConfig } from "./agent-config.ts";
import { mergeConfig } from "./merge-config.ts";

describe("mergeConfig", () => {
  it("lets non-empty strings and non-zero numbers win", () => {
    const a = {
      ...emptyConfig(),
      nodeName: "a",
      logLevel: "debug",
      retryIntervalMs: 5000,
      protocol: 4,
    };
    const b = { ...emptyConfig(), nodeName: "b", logLevel: "", retryIntervalMs: 0, protocol: -1 };
    const merged = mergeConfig(a, b);
    expect(merged.nodeName).toBe("b");
    expect(merged.logLevel).toBe("debug");
    expect(merged.retryIntervalMs).toBe(5000);
    expect(merged.protocol).toBe(4);
    expect(mergeConfig(a, { ...b, protocol: 3 }).protocol).toBe(3);
    expect(mergeConfig(a, { ...b, retryMaxAttempts: -2 }).retryMaxAttempts).toBe(-2);
  });

  it("makes true sticky for booleans", () => {
    const a = { ...emptyConfig(), replayOnJoin: true, leaveOnTerm: true };
    const merged = mergeConfig(a, { ...emptyConfig(), skipLeaveOnInt: true });
    expect(merged.replayOnJoin).toBe(true);
    expect(merged.leaveOnTerm).toBe(true);
    expect(merged.skipLeaveOnInt).toBe(true);
  });

  it("always takes enable_compression from the later layer (Go quirk)", () => {
    expect(
      mergeConfig({ ...emptyConfig(), enableCompression: true }, emptyConfig()).enableCompression,
    ).toBe(false);
    expect(
      mergeConfig(emptyConfig(), { ...emptyConfig(), enableCompression: true }).enableCompression,
    ).toBe(true);
  });

  it("merges tags per key and concatenates lists", () => {
    const a = {
      ...emptyConfig(),
      tags: { a: "1", b: "1" },
      eventHandlers: ["h1"],
      startJoin: ["s1"],
      retryJoin: ["r1"],
    };
    const b = {
      ...emptyConfig(),
      tags: { b: "2", c: "3" },
      eventHandlers: ["h2"],
      startJoin: ["s2"],
      retryJoin: ["r2"],
    };
    const merged = mergeConfig(a, b);
    expect(merged.tags).toEqual({ a: "1", b: "2", c: "3" });
    expect(merged.eventHandlers).toEqual(["h1", "h2"]);
    expect(merged.startJoin).toEqual(["s1", "s2"]);
    expect(merged.retryJoin).toEqual(["r1", "r2"]);
    expect(a.tags).toEqual({ a: "1", b: "1" });
  });

  it("keeps defaults under an empty layer", () => {
    const defaults = defaultConfig("host");
    expect(mergeConfig(defaults, { ...emptyConfig(), enableCompression: true })).toEqual({
      ...defaults,
      enableCompression: true,
    });
    expect(defaults).toMatchObject({
      nodeName: "host",
      bindAddr: "0.0.0.0",
      rpcAddr: "127.0.0.1:7373",
      logLevel: "INFO",
      protocol: 5,
      profile: "lan",
      retryIntervalMs: 30_000,
      broadcastTimeoutMs: 5_000,
      syslogFacility: "LOCAL0",
      queryResponseSizeLimit: 1024,
      querySizeLimit: 1024,
      userEventSizeLimit: 512,
    });
  });
});
