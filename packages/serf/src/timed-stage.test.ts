import { ManualClock } from "@serf-ts/memberlist/testing";
import { describe, expect, it } from "vitest";
import type { EventStage } from "./core/coalesce.ts";
import { TimedStage } from "./timed-stage.ts";

/** Holds every event until `at`, then releases them all. */
function holdUntil(at: number): EventStage<string> {
  let held: string[] = [];
  return {
    handle(e) {
      held.push(e);
      return [];
    },
    nextDeadline: () => (held.length > 0 ? at : undefined),
    handleTimeout(now) {
      if (now < at) return [];
      const out = held;
      held = [];
      return out;
    },
    flush() {
      const out = held;
      held = [];
      return out;
    },
  };
}

describe("TimedStage", () => {
  it("arms one timer for the stage's deadline and emits what it releases", () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    const stage = new TimedStage(holdUntil(100), clock, (e) => out.push(e));
    stage.handle("a");
    stage.handle("b");
    clock.advance(99);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual(["a", "b"]);
  });

  it("flush emits what is held and stops the timer", () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    const stage = new TimedStage(holdUntil(100), clock, (e) => out.push(e));
    stage.handle("a");
    stage.flush();
    expect(out).toEqual(["a"]);
    stage.handle("b");
    clock.advance(200);
    expect(out).toEqual(["a"]);
  });

  it("runs no timer while inactive; flush still releases", () => {
    const clock = new ManualClock(0);
    const out: string[] = [];
    let active = true;
    const stage = new TimedStage(
      holdUntil(100),
      clock,
      (e) => out.push(e),
      () => active,
    );
    stage.handle("a");
    active = false;
    clock.advance(200);
    expect(out).toEqual([]);
    stage.flush();
    expect(out).toEqual(["a"]);
  });
});
