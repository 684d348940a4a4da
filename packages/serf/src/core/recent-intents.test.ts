import { describe, expect, it } from "vitest";
import { DEFAULT_RECENT_INTENT_TIMEOUT_MS, RecentIntents } from "./recent-intents.ts";

describe("RecentIntents (§5.2–5.4, §5.8)", () => {
  it("stores the newest intent per node and reports whether it stored", () => {
    const ri = new RecentIntents();
    expect(ri.upsert("a", "join", 5, 0)).toBe(true);
    expect(ri.upsert("a", "join", 5, 1)).toBe(false); // not newer
    expect(ri.upsert("a", "leave", 4, 2)).toBe(false); // older
    expect(ri.upsert("a", "leave", 6, 3)).toBe(true); // newer replaces, type changes
    expect(ri.get("a", "join")).toBeUndefined();
    expect(ri.get("a", "leave")).toBe(6);
    expect(ri.peek("a")).toEqual({ type: "leave", lTime: 6, storedAt: 3 });
    // Not consumed by reading.
    expect(ri.get("a", "leave")).toBe(6);
    expect(ri.size).toBe(1);
  });

  it("reaps intents strictly older than the timeout (5 min default)", () => {
    const ri = new RecentIntents();
    ri.upsert("old", "join", 1, 0);
    ri.upsert("new", "join", 1, 1000);
    expect(ri.reap(DEFAULT_RECENT_INTENT_TIMEOUT_MS)).toBe(0); // exactly the timeout: kept
    expect(ri.reap(DEFAULT_RECENT_INTENT_TIMEOUT_MS + 1)).toBe(1);
    expect(ri.peek("old")).toBeUndefined();
    expect(ri.get("new", "join")).toBe(1);
    expect(ri.reap(2000, 500)).toBe(1);
    expect(ri.size).toBe(0);
  });

  it("bounds entries by evicting the intent stored longest ago", () => {
    const ri = new RecentIntents({ maxEntries: 2 });
    ri.upsert("a", "join", 1, 0);
    ri.upsert("b", "join", 1, 1);
    ri.upsert("a", "join", 2, 2); // refresh a: b is now the oldest
    ri.upsert("c", "leave", 1, 3);
    expect(ri.entries().map(([n]) => n)).toEqual(["a", "c"]);
    expect(ri.delete("a")).toBe(true);
    expect(() => new RecentIntents({ maxEntries: 0 })).toThrow(RangeError);
  });
});
