import { describe, expect, it } from "vitest";
import { type Coalescer, CoalesceStage, chainStages, type EventStage } from "./coalesce.ts";

/** The windows Go's agent uses: 3 s maximum, 1 s quiescence. */
const WINDOWS_3S_1S = { coalescePeriodMs: 3000, quiescentPeriodMs: 1000 };

/** Go's test coalescer: keeps the latest event per key; events with key "" pass through. */
interface KeyedEvent {
  readonly type: string;
  readonly key: string;
  readonly value: number;
}
class LatestPerKey implements Coalescer<KeyedEvent> {
  latest = new Map<string, KeyedEvent>();
  handles(e: KeyedEvent): e is KeyedEvent {
    return e.key !== "";
  }
  coalesce(e: KeyedEvent): void {
    this.latest.set(e.key, e);
  }
  flush(): KeyedEvent[] {
    const out = [...this.latest.values()];
    this.latest = new Map();
    return out;
  }
}
const ev = (key: string, value: number): KeyedEvent => ({ type: "t", key, value });

describe("CoalesceStage", () => {
  it("flushes at the quantum even while events keep arriving (Go TestCoalescer_basic)", () => {
    const stage = new CoalesceStage(new LatestPerKey(), {
      coalescePeriodMs: 100,
      quiescentPeriodMs: 30,
    });
    expect(stage.nextDeadline()).toBeUndefined();
    expect(stage.handle(ev("a", 1), 0)).toEqual([]);
    expect(stage.nextDeadline()).toBe(30);
    // Keep the quiescent timer from firing: an event every 20 ms.
    for (let t = 20; t < 100; t += 20) expect(stage.handle(ev("a", t), t)).toEqual([]);
    expect(stage.nextDeadline()).toBe(100); // quantum (100) < quiescent (80 + 30)
    expect(stage.handleTimeout(99)).toEqual([]);
    expect(stage.handleTimeout(100)).toEqual([ev("a", 80)]);
    expect(stage.nextDeadline()).toBeUndefined();
  });

  it("flushes after the quiescent period (Go TestCoalescer_quiescent)", () => {
    const stage = new CoalesceStage(new LatestPerKey(), {
      coalescePeriodMs: 1000,
      quiescentPeriodMs: 10,
    });
    stage.handle(ev("a", 1), 0);
    stage.handle(ev("b", 2), 5);
    expect(stage.nextDeadline()).toBe(15);
    expect(stage.handleTimeout(15)).toEqual([ev("a", 1), ev("b", 2)]);
    // A new round starts with a new quantum.
    stage.handle(ev("a", 3), 500);
    expect(stage.nextDeadline()).toBe(510);
  });

  it("passes unhandled events straight through (Go TestCoalescer_passThrough)", () => {
    const stage = new CoalesceStage(new LatestPerKey(), WINDOWS_3S_1S);
    expect(stage.handle(ev("", 1), 0)).toEqual([ev("", 1)]);
    expect(stage.nextDeadline()).toBeUndefined();
  });

  it("emits an overdue flush before handling the next event", () => {
    const stage = new CoalesceStage(new LatestPerKey(), WINDOWS_3S_1S);
    stage.handle(ev("a", 1), 0);
    // The driver woke late: the 1 s quiescent deadline passed before this event arrived.
    expect(stage.handle(ev("", 2), 1500)).toEqual([ev("a", 1), ev("", 2)]);
  });

  it("flush(now) empties regardless of deadlines (shutdown)", () => {
    const stage = new CoalesceStage(new LatestPerKey(), WINDOWS_3S_1S);
    stage.handle(ev("a", 1), 0);
    expect(stage.flush(1)).toEqual([ev("a", 1)]);
    expect(stage.flush(2)).toEqual([]);
    expect(stage.nextDeadline()).toBeUndefined();
  });

  it("rejects bad periods", () => {
    expect(
      () => new CoalesceStage(new LatestPerKey(), { coalescePeriodMs: -1, quiescentPeriodMs: 1 }),
    ).toThrow(RangeError);
  });
});

describe("chainStages", () => {
  /** Adds `delta` to every value, no deadlines. */
  const mapStage = (delta: number): EventStage<KeyedEvent> => ({
    handle: (e) => [{ ...e, value: e.value + delta }],
    nextDeadline: () => undefined,
    handleTimeout: () => [],
    flush: () => [],
  });

  it("feeds each stage's output to the next and merges deadlines", () => {
    const coalesce = new CoalesceStage(new LatestPerKey(), {
      coalescePeriodMs: 50,
      quiescentPeriodMs: 10,
    });
    const chain = chainStages([mapStage(100), coalesce, mapStage(1)]);
    expect(chain.handle(ev("", 1), 0)).toEqual([ev("", 102)]);
    expect(chain.handle(ev("k", 1), 0)).toEqual([]);
    expect(chain.nextDeadline()).toBe(10);
    // The coalescer's output goes through the stages after it only.
    expect(chain.handleTimeout(10)).toEqual([ev("k", 102)]);
    chain.handle(ev("k", 5), 20);
    expect(chain.flush(21)).toEqual([ev("k", 106)]);
  });
});
