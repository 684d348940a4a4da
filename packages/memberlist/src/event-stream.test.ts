import { describe, expect, it } from "vitest";
import { EventStream } from "./event-stream.ts";

describe("EventStream", () => {
  it("hands events to a waiting consumer, then buffers", async () => {
    const s = new EventStream<number>({ capacity: 4 });
    const pending = s.next();
    s.push(1);
    expect(await pending).toEqual({ value: 1, done: false });
    s.push(2);
    s.push(3);
    expect(s.buffered).toBe(2);
    expect((await s.next()).value).toBe(2);
    s.end();
    expect((await s.next()).value).toBe(3); // buffered events survive end()
    expect((await s.next()).done).toBe(true);
  });

  it("drops the oldest on overflow, counts, and yields one marker in their place", async () => {
    const dropped: number[] = [];
    const s = new EventStream<number | string>({
      capacity: 2,
      onDrop: (e) => dropped.push(e as number),
      overflowEvent: (n) => `dropped ${n}`,
    });
    for (let i = 1; i <= 5; i++) s.push(i);
    expect(dropped).toEqual([1, 2, 3]);
    expect(s.dropped).toBe(3);
    const got: (number | string)[] = [];
    s.end();
    for await (const e of s) got.push(e);
    expect(got).toEqual(["dropped 3", 4, 5]);
  });

  it("without a marker, drops are silent; return() unsubscribes once", async () => {
    let returns = 0;
    const s = new EventStream<number>({ capacity: 1, onReturn: () => returns++ });
    s.push(1);
    s.push(2);
    expect((await s.next()).value).toBe(2);
    s.push(9);
    for await (const e of s) {
      expect(e).toBe(9);
      break; // calls return()
    }
    await s.return();
    expect(returns).toBe(1);
    s.push(3);
    expect((await s.next()).done).toBe(true);
    await expect(
      (async () => {
        const t = new EventStream<number>({ capacity: 1 });
        void t.next();
        return t.next();
      })(),
    ).rejects.toThrow(/one pending next/);
  });
});
