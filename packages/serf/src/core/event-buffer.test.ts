import { describe, expect, it } from "vitest";
import { QueryBuffer, UserEventBuffer } from "./event-buffer.ts";
import { LamportClock } from "./lamport.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("UserEventBuffer (§6.2)", () => {
  it("witnesses the LTime before filtering, even for dropped events", () => {
    const clock = new LamportClock();
    const buf = new UserEventBuffer();
    buf.setMinTime(100);
    expect(buf.offer({ lTime: 10, name: "a", payload: null }, clock)).toBe("before-min-time");
    expect(clock.time()).toBe(11);
  });

  it("delivers new events and drops exact duplicates (name + payload at one LTime)", () => {
    const clock = new LamportClock();
    const buf = new UserEventBuffer();
    expect(buf.offer({ lTime: 1, name: "deploy", payload: bytes("v1") }, clock)).toBe("new");
    expect(buf.offer({ lTime: 1, name: "deploy", payload: bytes("v1") }, clock)).toBe("duplicate");
    // Same LTime, different payload or name: a different event.
    expect(buf.offer({ lTime: 1, name: "deploy", payload: bytes("v2") }, clock)).toBe("new");
    expect(buf.offer({ lTime: 1, name: "other", payload: bytes("v1") }, clock)).toBe("new");
    // Same name and payload at another LTime: new.
    expect(buf.offer({ lTime: 2, name: "deploy", payload: bytes("v1") }, clock)).toBe("new");
    expect(buf.has({ lTime: 1, name: "deploy", payload: bytes("v2") })).toBe(true);
  });

  it("treats a nil payload and an empty payload as equal (Go bytes.Compare)", () => {
    const clock = new LamportClock();
    const buf = new UserEventBuffer();
    expect(buf.offer({ lTime: 3, name: "e", payload: null }, clock)).toBe("new");
    expect(buf.offer({ lTime: 3, name: "e", payload: new Uint8Array(0) }, clock)).toBe("duplicate");
  });

  it("drops events older than the window once the clock is past it", () => {
    const clock = new LamportClock(1000);
    const buf = new UserEventBuffer();
    // cur = 1000 > 512; LTime < 1000 − 512 = 488 is too old.
    expect(buf.offer({ lTime: 487, name: "x", payload: null }, clock)).toBe("too-old");
    expect(buf.offer({ lTime: 488, name: "x", payload: null }, clock)).toBe("new");
    // While the clock is ≤ 512 nothing is too old.
    const young = new LamportClock(512);
    expect(new UserEventBuffer().offer({ lTime: 0, name: "x", payload: null }, young)).toBe("new");
  });

  it("replaces a slot when a newer LTime maps to it", () => {
    const clock = new LamportClock();
    const buf = new UserEventBuffer(4);
    expect(buf.offer({ lTime: 1, name: "a", payload: null }, clock)).toBe("new");
    expect(buf.offer({ lTime: 5, name: "a", payload: null }, clock)).toBe("new"); // slot 1
    expect(buf.has({ lTime: 1, name: "a", payload: null })).toBe(false);
    const slots = buf.slots();
    expect(slots).toHaveLength(4);
    expect(slots[1]).toEqual({ lTime: 5, events: [{ name: "a", payload: null }] });
    expect(slots[0]).toBeNull();
  });

  it("exposes exactly 512 slots for push/pull by default, copying payloads", () => {
    const clock = new LamportClock();
    const buf = new UserEventBuffer();
    const payload = bytes("abc");
    buf.offer({ lTime: 513, name: "n", payload }, clock);
    payload[0] = 0;
    const slots = buf.slots();
    expect(slots).toHaveLength(512);
    expect(slots[1]?.events[0]?.payload).toEqual(bytes("abc"));
  });

  it("raiseMinTime never lowers (join with ignoreOld)", () => {
    const buf = new UserEventBuffer();
    buf.setMinTime(10);
    buf.raiseMinTime(5);
    expect(buf.minTime).toBe(10);
    buf.raiseMinTime(20);
    expect(buf.minTime).toBe(20);
    const clock = new LamportClock();
    expect(buf.offer({ lTime: 19, name: "a", payload: null }, clock)).toBe("before-min-time");
    expect(buf.offer({ lTime: 20, name: "a", payload: null }, clock)).toBe("new");
  });

  it("rejects a bad size", () => {
    expect(() => new UserEventBuffer(0)).toThrow(RangeError);
    expect(() => new QueryBuffer(1.5)).toThrow(RangeError);
  });
});

describe("QueryBuffer (§7.2)", () => {
  it("dedups by ID per LTime and applies min time and window", () => {
    const clock = new LamportClock();
    const buf = new QueryBuffer();
    expect(buf.offer({ lTime: 1, id: 42 }, clock)).toBe("new");
    expect(buf.offer({ lTime: 1, id: 42 }, clock)).toBe("duplicate");
    expect(buf.offer({ lTime: 1, id: 43 }, clock)).toBe("new");
    expect(buf.offer({ lTime: 2, id: 42 }, clock)).toBe("new");
    expect(buf.has({ lTime: 1, id: 43 })).toBe(true);
    expect(clock.time()).toBe(3);

    buf.setMinTime(10);
    expect(buf.offer({ lTime: 9, id: 1 }, clock)).toBe("before-min-time");
    buf.raiseMinTime(3);
    expect(buf.minTime).toBe(10);

    const late = new LamportClock(2000);
    expect(new QueryBuffer().offer({ lTime: 1487, id: 1 }, late)).toBe("too-old");
    expect(late.time()).toBe(2000);
  });

  it("local query processing witnesses its own LTime (clock +1)", () => {
    const clock = new LamportClock();
    clock.increment();
    const lTime = clock.time();
    expect(new QueryBuffer().offer({ lTime, id: 7 }, clock)).toBe("new");
    expect(clock.time()).toBe(lTime + 1);
  });
});
