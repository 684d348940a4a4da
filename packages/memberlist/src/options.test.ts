import { describe, expect, it } from "vitest";
import {
  buildVsn,
  labelOverheadBytes,
  lanProfile,
  localProfile,
  resolveOptions,
  testProfile,
  wanProfile,
} from "./options.ts";

describe("profiles (memberlist.md §12)", () => {
  it("LAN matches Go DefaultLANConfig", () => {
    expect(lanProfile).toMatchObject({
      tcpTimeoutMs: 10_000,
      indirectChecks: 3,
      retransmitMult: 4,
      suspicionMult: 4,
      suspicionMaxTimeoutMult: 6,
      pushPullIntervalMs: 30_000,
      probeTimeoutMs: 500,
      probeIntervalMs: 1_000,
      awarenessMaxMultiplier: 8,
      gossipNodes: 3,
      gossipIntervalMs: 200,
      gossipToTheDeadTimeMs: 30_000,
      disableTcpPings: false,
      gossipVerifyIncoming: true,
      gossipVerifyOutgoing: true,
      enableCompression: true,
      handoffQueueDepth: 1024,
      udpBufferSize: 1400,
      deadNodeReclaimTimeMs: 0,
      protocolVersion: 2,
      bindPort: 7946,
    });
  });
  it("WAN and Local override what Go overrides", () => {
    expect(wanProfile).toMatchObject({
      tcpTimeoutMs: 30_000,
      suspicionMult: 6,
      pushPullIntervalMs: 60_000,
      probeTimeoutMs: 3_000,
      probeIntervalMs: 5_000,
      gossipNodes: 4,
      gossipIntervalMs: 500,
      gossipToTheDeadTimeMs: 60_000,
      indirectChecks: 3,
      retransmitMult: 4,
    });
    expect(localProfile).toMatchObject({
      tcpTimeoutMs: 1_000,
      indirectChecks: 1,
      retransmitMult: 2,
      suspicionMult: 3,
      pushPullIntervalMs: 15_000,
      probeTimeoutMs: 200,
      probeIntervalMs: 1_000,
      gossipIntervalMs: 100,
      gossipToTheDeadTimeMs: 15_000,
      gossipNodes: 3,
    });
    expect(testProfile.probeIntervalMs).toBeLessThan(localProfile.probeIntervalMs);
  });
});

describe("resolveOptions", () => {
  it("fills from the profile and keeps explicit values (undefined = default)", () => {
    const o = resolveOptions({ profile: "wan", gossipNodes: 9, probeTimeoutMs: undefined });
    expect(o.profile).toBe("wan");
    expect(o.gossipNodes).toBe(9);
    expect(o.probeTimeoutMs).toBe(3_000);
    expect(o.bindAddr).toBe("0.0.0.0");
    expect(Object.isFrozen(o)).toBe(true);
  });
  it("builds the Go serf agent's Vsn by default", () => {
    expect(buildVsn(resolveOptions())).toEqual(Uint8Array.of(1, 5, 2, 2, 5, 5));
    expect(buildVsn(resolveOptions({ delegateProtocolVersion: 4 }))).toEqual(
      Uint8Array.of(1, 5, 2, 2, 5, 4),
    );
  });
  it("rejects invalid values", () => {
    expect(() => resolveOptions({ probeIntervalMs: -1 })).toThrow(RangeError);
    expect(() => resolveOptions({ gossipNodes: 1.5 })).toThrow(RangeError);
    expect(() => resolveOptions({ protocolVersion: 1 })).toThrow(RangeError);
    expect(() => resolveOptions({ delegateProtocolVersion: 6 })).toThrow(RangeError);
    expect(() => resolveOptions({ udpBufferSize: 10 })).toThrow(RangeError);
    expect(() => resolveOptions({ bindPort: 70_000 })).toThrow(RangeError);
  });
  it("cluster label: none by default, at most 255 UTF-8 bytes", () => {
    expect(resolveOptions()).toMatchObject({ label: "", skipInboundLabelCheck: false });
    const o = resolveOptions({ label: "blue", skipInboundLabelCheck: true });
    expect(o).toMatchObject({ label: "blue", skipInboundLabelCheck: true });
    expect(labelOverheadBytes("")).toBe(0);
    expect(labelOverheadBytes("é")).toBe(4);
    expect(() => resolveOptions({ label: "x".repeat(255) })).not.toThrow();
    expect(() => resolveOptions({ label: "é".repeat(128) })).toThrow(RangeError);
    expect(() => resolveOptions({ label: "x".repeat(100), udpBufferSize: 64 })).toThrow(RangeError);
  });
});
