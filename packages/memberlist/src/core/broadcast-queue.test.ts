import { describe, expect, it } from "vitest";
import { type Broadcast, TransmitLimitedQueue } from "./broadcast-queue.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface TestBroadcast extends Broadcast {
  readonly label: string;
  done: number;
}

function b(label: string, opts: { name?: string; size?: number } = {}): TestBroadcast {
  const text = opts.size === undefined ? label : label.padEnd(opts.size, ".");
  const item: TestBroadcast = {
    label,
    message: enc.encode(text),
    name: opts.name,
    done: 0,
    finished() {
      item.done++;
    },
  };
  return item;
}

function queue(numNodes: number, mult = 1): TransmitLimitedQueue<TestBroadcast> {
  return new TransmitLimitedQueue<TestBroadcast>({
    numNodes: () => numNodes,
    retransmitMult: mult,
  });
}

const labels = (items: readonly TestBroadcast[]): string[] => items.map((x) => x.label);

describe("TransmitLimitedQueue", () => {
  it("replaces a queued broadcast with the same name (Go NamedBroadcast)", () => {
    const q = queue(10);
    const first = b("alive-1", { name: "node-a" });
    q.queueBroadcast(first);
    q.queueBroadcast(b("other", { name: "node-b" }));
    const second = b("alive-2", { name: "node-a" });
    q.queueBroadcast(second);
    expect(q.numQueued()).toBe(2);
    expect(first.done).toBe(1);
    expect(second.done).toBe(0);
    expect(labels(q.orderedView().map((v) => v.broadcast)).sort()).toEqual(["alive-2", "other"]);
  });

  it("lets an unnamed broadcast invalidate others via invalidates()", () => {
    const q = queue(10);
    const old = b("x-old");
    const keep = b("y");
    q.queueBroadcast(old);
    q.queueBroadcast(keep);
    const fresh: TestBroadcast = {
      ...b("x-new"),
      invalidates: (other) => dec.decode(other.message).startsWith("x-"),
    };
    // Only broadcasts that themselves opt into invalidation can be invalidated.
    (old as { invalidates?: (o: Broadcast) => boolean }).invalidates = () => false;
    q.queueBroadcast(fresh);
    expect(old.done).toBe(1);
    expect(labels(q.orderedView().map((v) => v.broadcast)).sort()).toEqual(["x-new", "y"]);
  });

  it("never invalidates unique broadcasts (no name, no invalidates)", () => {
    const q = queue(10);
    q.queueBroadcast(b("same"));
    q.queueBroadcast(b("same"));
    expect(q.numQueued()).toBe(2);
  });

  it("orders by fewest transmits, then largest, then newest (Go TestTransmitLimited_ordering)", () => {
    const q = queue(10, 3);
    q.queueWithTransmits(b("node0", { size: 10 }), 0);
    q.queueWithTransmits(b("node1", { size: 10 }), 10);
    q.queueWithTransmits(b("node2", { size: 20 }), 3);
    q.queueWithTransmits(b("node3", { size: 10 }), 4);
    q.queueWithTransmits(b("node4", { size: 10 }), 7);
    q.queueWithTransmits(b("node5", { size: 30 }), 0);
    q.queueWithTransmits(b("node6", { size: 10 }), 0);
    expect(labels(q.orderedView().map((v) => v.broadcast))).toEqual([
      "node5",
      "node6",
      "node0",
      "node2",
      "node3",
      "node4",
      "node1",
    ]);
  });

  it("fills the byte budget, largest that fits first (Go TestTransmitLimited_GetBroadcasts_Limit)", () => {
    const q = queue(10);
    const items = [
      b("a", { size: 10 }),
      b("b", { size: 10 }),
      b("c", { size: 10 }),
      b("d", { size: 10 }),
    ];
    for (const x of items) q.queueBroadcast(x);
    // 3 bytes overhead each: 13 * 2 = 26 fits in 30, a third does not.
    const first = q.getBroadcastItems(3, 30);
    expect(labels(first)).toEqual(["d", "c"]);
    const second = q.getBroadcastItems(3, 30);
    expect(labels(second)).toEqual(["b", "a"]);
    // Everybody has now been sent once; the next call starts again with the newest.
    expect(labels(q.getBroadcastItems(3, 30))).toEqual(["d", "c"]);
  });

  it("skips too-large items and takes smaller ones from the same tier", () => {
    const q = queue(10);
    q.queueBroadcast(b("big", { size: 100 }));
    q.queueBroadcast(b("small", { size: 10 }));
    expect(labels(q.getBroadcastItems(2, 50))).toEqual(["small"]);
    expect(labels(q.getBroadcastItems(2, 200))).toEqual(["big", "small"]);
  });

  it("drops a broadcast after RetransmitMult × ceil(log10(N+1)) transmissions", () => {
    const q = queue(10, 1); // limit = 1 * ceil(log10(11)) = 2
    const x = b("x");
    q.queueBroadcast(x);
    expect(q.getBroadcasts(2, 100)).toHaveLength(1);
    expect(x.done).toBe(0);
    expect(q.getBroadcasts(2, 100)).toHaveLength(1);
    expect(x.done).toBe(1);
    expect(q.numQueued()).toBe(0);
    expect(q.getBroadcasts(2, 100)).toHaveLength(0);
  });

  it("LAN with 2 nodes transmits 4 times", () => {
    const q = queue(2, 4);
    q.queueBroadcast(b("event"));
    let sent = 0;
    while (q.getBroadcasts(2, 1400).length > 0) sent++;
    expect(sent).toBe(4);
  });

  it("returns each message at most once per call even when it moves tiers", () => {
    const q = queue(1000, 4);
    q.queueBroadcast(b("only"));
    expect(q.getBroadcasts(2, 10_000)).toHaveLength(1);
  });

  it("respects maxCount", () => {
    const q = queue(10);
    for (let i = 0; i < 10; i++) q.queueBroadcast(b(`m${i}`));
    expect(q.getBroadcastItems(0, 10_000, 3)).toHaveLength(3);
  });

  it("prunes the oldest / most transmitted first (Go TestTransmitLimited_Prune)", () => {
    const q = queue(10);
    const items = [b("a"), b("b"), b("c"), b("d"), b("e")];
    for (const x of items) q.queueBroadcast(x);
    q.prune(2);
    expect(q.numQueued()).toBe(2);
    expect(labels(q.orderedView().map((v) => v.broadcast))).toEqual(["e", "d"]);
    expect(items.map((x) => x.done)).toEqual([1, 1, 1, 0, 0]);
  });

  it("reset finishes everything", () => {
    const q = queue(10);
    const items = [b("a", { name: "a" }), b("b")];
    for (const x of items) q.queueBroadcast(x);
    q.reset();
    expect(q.numQueued()).toBe(0);
    expect(items.map((x) => x.done)).toEqual([1, 1]);
    q.queueBroadcast(b("a2", { name: "a" }));
    expect(items[0]?.done).toBe(1);
  });
});
