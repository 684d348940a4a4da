import { describe, expect, it } from "vitest";
import { DeadlineQueue } from "./deadlines.ts";

describe("DeadlineQueue", () => {
  it("pops by (at, seq) and skips cancelled entries", () => {
    const q = new DeadlineQueue<string>();
    q.schedule(10, "b");
    const c = q.schedule(5, "cancelled");
    q.schedule(10, "c");
    q.schedule(5, "a");
    q.cancel(c);
    expect(q.size).toBe(3);
    expect(q.peek()).toBe(5);
    expect(q.popDue(4)).toBeUndefined();
    expect(q.popDue(100)?.payload).toBe("a");
    expect(q.popDue(100)?.payload).toBe("b");
    expect(q.popDue(100)?.payload).toBe("c");
    expect(q.popDue(100)).toBeUndefined();
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });
  it("stays ordered under random load", () => {
    const q = new DeadlineQueue<number>();
    const ats: number[] = [];
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const at = x % 1000;
      ats.push(at);
      q.schedule(at, i);
    }
    let last = -1;
    let n = 0;
    for (;;) {
      const d = q.popDue(Number.POSITIVE_INFINITY);
      if (d === undefined) break;
      expect(d.at).toBeGreaterThanOrEqual(last);
      last = d.at;
      n++;
    }
    expect(n).toBe(2000);
  });
  it("clear cancels everything", () => {
    const q = new DeadlineQueue<number>();
    const d = q.schedule(1, 1);
    q.clear();
    q.cancel(d);
    expect(q.size).toBe(0);
    expect(q.peek()).toBeUndefined();
  });
});
