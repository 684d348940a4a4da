import { describe, expect, it } from "vitest";
import { DEFAULT_SERF_OPTIONS, resolveSerfOptions } from "./options.ts";

describe("resolveSerfOptions", () => {
  it("Go DefaultConfig values (serf.md §14)", () => {
    const o = resolveSerfOptions();
    expect(o).toMatchObject({
      protocolVersion: 4,
      broadcastTimeoutMs: 5_000,
      leavePropagateDelayMs: 1_000,
      reapIntervalMs: 15_000,
      reconnectIntervalMs: 30_000,
      reconnectTimeoutMs: 86_400_000,
      tombstoneTimeoutMs: 86_400_000,
      recentIntentTimeoutMs: 300_000,
      flapTimeoutMs: 60_000,
      queueCheckIntervalMs: 30_000,
      queueDepthWarning: 128,
      maxQueueDepth: 4096,
      minQueueDepth: 0,
      eventBuffer: 512,
      queryBuffer: 512,
      queryTimeoutMult: 16,
      queryResponseSizeLimit: 1024,
      querySizeLimit: 1024,
      userEventSizeLimit: 512,
      enableNameConflictResolution: true,
      disableCoordinates: false,
      coalescePeriodMs: 0,
      userCoalescePeriodMs: 0,
    });
    expect(o.memberlist.profile).toBe("lan");
    expect(Object.isFrozen(o)).toBe(true);
    expect(DEFAULT_SERF_OPTIONS.protocolVersion).toBe(4);
  });

  it("imposes serf's memberlist versions: Vsn 1 5 2 2 5 <protocol>", () => {
    const o = resolveSerfOptions({
      protocolVersion: 5,
      memberlist: { profile: "local", protocolVersion: 3 },
    });
    const m = o.memberlist;
    expect([m.protocolMin, m.protocolMax, m.protocolVersion]).toEqual([1, 5, 2]);
    expect([m.delegateProtocolMin, m.delegateProtocolMax, m.delegateProtocolVersion]).toEqual([
      2, 5, 5,
    ]);
    expect(m.gossipIntervalMs).toBe(100);
    expect(resolveSerfOptions().memberlist.delegateProtocolVersion).toBe(4);
  });

  it("validates with Go's messages", () => {
    expect(() => resolveSerfOptions({ protocolVersion: 1 })).toThrow(
      "Protocol version '1' too low. Must be in range: [2, 5]",
    );
    expect(() => resolveSerfOptions({ protocolVersion: 6 })).toThrow(
      "Protocol version '6' too high. Must be in range: [2, 5]",
    );
    expect(() => resolveSerfOptions({ userEventSizeLimit: 9217 })).toThrow(
      "user event size limit exceeds limit of 9216 bytes",
    );
    expect(() => resolveSerfOptions({ reapIntervalMs: 0 })).toThrow(RangeError);
    expect(() => resolveSerfOptions({ broadcastTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => resolveSerfOptions({ maxQueueDepth: 1.5 })).toThrow(RangeError);
  });
});
