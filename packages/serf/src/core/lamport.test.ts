import { describe, expect, it } from "vitest";
import { isLamportTime, LamportClock } from "./lamport.ts";

describe("LamportClock", () => {
  it("starts at 0 and increments (Go TestLamportClock)", () => {
    const l = new LamportClock();
    expect(l.time()).toBe(0);
    expect(l.increment()).toBe(1);
    expect(l.time()).toBe(1);
  });

  it("witness moves to v+1 when v ≥ counter, ignores older values", () => {
    const l = new LamportClock();
    l.increment();
    l.witness(41);
    expect(l.time()).toBe(42);
    l.witness(41);
    expect(l.time()).toBe(42);
    l.witness(30);
    expect(l.time()).toBe(42);
    // Equal to the counter: still moves one ahead.
    l.witness(42);
    expect(l.time()).toBe(43);
  });

  it("follows serf's start and send sequences (§4)", () => {
    // Start: increment once, then witness the snapshot value.
    const member = new LamportClock();
    member.increment();
    member.witness(25); // snapshot `clock: 25`
    expect(member.time()).toBe(26);
    // Join intent: LTime = time(), then witnessed locally.
    const joinLTime = member.time();
    member.witness(joinLTime);
    expect(member.time()).toBe(joinLTime + 1);
    // User event: LTime = time(), then increment. First event of a fresh cluster has LTime 1.
    const events = new LamportClock();
    events.increment();
    const first = events.time();
    events.increment();
    expect(first).toBe(1);
    expect(events.time()).toBe(2);
  });

  it("ignores values that are not Lamport times", () => {
    const l = new LamportClock(5);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) l.witness(bad);
    expect(l.time()).toBe(5);
    expect(isLamportTime(0)).toBe(true);
    expect(isLamportTime(-1)).toBe(false);
    expect(() => new LamportClock(-1)).toThrow(RangeError);
  });
});
