import { describe, expect, it } from "vitest";
import { systemClock } from "./clock.ts";

describe("systemClock timers", () => {
  it("fire in deadline order, never before the deadline, even when armed in reverse order", async () => {
    // Deadlines 0.3 ms apart, armed latest first: whole-millisecond setTimeouts would fire the
    // ones sharing a millisecond in arming order.
    const base = systemClock.now() + 5;
    const fired: { i: number; early: boolean }[] = [];
    const done = new Promise<void>((resolve) => {
      for (let i = 19; i >= 0; i--) {
        const at = base + i * 0.3;
        systemClock.setTimer(at, () => {
          fired.push({ i, early: systemClock.now() < at });
          if (fired.length === 20) resolve();
        });
      }
    });
    await done;
    expect(fired.map((f) => f.i)).toEqual([...Array(20).keys()]);
    expect(fired.filter((f) => f.early)).toEqual([]);
  });

  it("does not run a cancelled timer, and runs the others", async () => {
    const ran: string[] = [];
    const now = systemClock.now();
    const a = systemClock.setTimer(now + 2, () => ran.push("a"));
    await new Promise<void>((resolve) => {
      systemClock.setTimer(now + 4, () => {
        ran.push("b");
        resolve();
      });
      a.cancel();
      a.cancel();
    });
    expect(ran).toEqual(["b"]);
  });
});
