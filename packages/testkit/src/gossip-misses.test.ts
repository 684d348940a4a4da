import { describe, expect, it } from "vitest";
import { GossipMissLedger, keyListMisses, unmentioned, withoutNodes } from "./gossip-misses.ts";

describe("GossipMissLedger", () => {
  it("sums missed answers per implementation and compares them with slack", () => {
    const ledger = new GossipMissLedger();
    ledger.record("go", "serf query a", []);
    ledger.record("go", "serf query b", ["n-2"]);
    ledger.record("ts", "serf query a", ["n-1"]);
    ledger.record("ts", "serf query b", ["n-2"]);
    expect([ledger.count("go"), ledger.count("ts"), ledger.trials("ts")]).toEqual([1, 2, 2]);
    expect(ledger.excess("ts", "go", 1)).toBeUndefined();
    ledger.record("ts", "serf query c", ["n-1", "n-3"]);
    expect(ledger.excess("ts", "go", 1)).toContain("ts missed 4 answers, go 1 (allowed: 1 + 1)");
    expect(ledger.report()).toContain("ts: serf query c: n-1, n-3");
    expect(() => new GossipMissLedger().excess("ts", "go", 1)).toThrow("no go comparisons");
  });
});

describe("unmentioned / withoutNodes / keyListMisses", () => {
  const text = [
    "Query 'greet' dispatched",
    "Ack from 'n-1'",
    "Response from 'n-1': resp-from-n-1",
    "Total Acks: 1",
    "Total Responses: 1",
  ].join("\n");

  it("finds the expected responders a query output does not name", () => {
    expect(unmentioned(text, ["n-1", "n-2"])).toEqual(["n-2"]);
    expect(unmentioned('{"Acks": ["n-2"],', ["n-2"])).toEqual([]);
    expect(unmentioned("failed:  n-3  Keyring is empty", ["n-3", "n-30"])).toEqual(["n-30"]);
  });

  it("removes the missing nodes' lines and masks the counts", () => {
    expect(withoutNodes(text, [])).toBe(text);
    expect(withoutNodes(text, ["n-1"])).toBe(
      "Query 'greet' dispatched\nTotal Acks: *\nTotal Responses: *",
    );
    expect(withoutNodes("k1 [2/3]\nFailed: 2/3 nodes reported failure", ["x"])).toBe(
      "k1 [*/*]\nFailed: */* nodes reported failure",
    );
  });

  it("counts the nodes a key listing lacks", () => {
    expect(keyListMisses("a [3/3]\nb [1/3]")).toBe(2);
    expect(keyListMisses("nothing")).toBe(0);
  });
});
