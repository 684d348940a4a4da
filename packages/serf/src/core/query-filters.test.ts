import { describe, expect, it } from "vitest";
import { buildQueryFilters, evaluateFilter, evaluateFilters } from "./query-filters.ts";

const target = { nodeName: "node-a", tags: { role: "web", dc: "east" } };

describe("query filters (§7.3)", () => {
  it("node filter passes only if the local name is listed", () => {
    expect(evaluateFilter({ type: "node", nodes: ["node-a", "node-b"] }, target).pass).toBe(true);
    expect(evaluateFilter({ type: "node", nodes: ["node-b"] }, target)).toEqual({
      pass: false,
      reason: "node-not-listed",
      filterIndex: 0,
    });
    expect(evaluateFilter({ type: "node", nodes: [] }, target).pass).toBe(false);
  });

  it("tag filter is an unanchored Go regexp over the tag value; missing tag = ''", () => {
    expect(evaluateFilter({ type: "tag", tag: "role", expr: "web" }, target).pass).toBe(true);
    expect(evaluateFilter({ type: "tag", tag: "role", expr: "^we" }, target).pass).toBe(true);
    expect(evaluateFilter({ type: "tag", tag: "role", expr: "^db$" }, target)).toEqual({
      pass: false,
      reason: "tag-mismatch",
      filterIndex: 0,
      tag: "role",
    });
    expect(evaluateFilter({ type: "tag", tag: "missing", expr: "^$" }, target).pass).toBe(true);
    expect(evaluateFilter({ type: "tag", tag: "missing", expr: "." }, target).pass).toBe(false);
    const asMap = { nodeName: "x", tags: new Map([["role", "db"]]) };
    expect(evaluateFilter({ type: "tag", tag: "role", expr: "db" }, asMap).pass).toBe(true);
    // Inherited properties are not tags.
    expect(
      evaluateFilter({ type: "tag", tag: "toString", expr: "." }, { nodeName: "x", tags: {} }).pass,
    ).toBe(false);
  });

  it("an invalid regexp refuses the query", () => {
    const r = evaluateFilter({ type: "tag", tag: "role", expr: "(" }, target);
    expect(r.pass).toBe(false);
    expect(!r.pass && r.reason).toBe("bad-regexp");
    expect(!r.pass && r.reason === "bad-regexp" && r.kind).toBe("invalid");
  });

  it("all filters must pass; the first failure decides; undecodable refuses", () => {
    const filters = buildQueryFilters(["node-a"], { role: "web", dc: "^west$" });
    expect(filters).toEqual([
      { type: "node", nodes: ["node-a"] },
      { type: "tag", tag: "role", expr: "web" },
      { type: "tag", tag: "dc", expr: "^west$" },
    ]);
    expect(evaluateFilters(filters, target)).toEqual({
      pass: false,
      reason: "tag-mismatch",
      filterIndex: 2,
      tag: "dc",
    });
    expect(evaluateFilters(filters.slice(0, 2), target)).toEqual({ pass: true });
    expect(evaluateFilters([filters[0], undefined], target)).toEqual({
      pass: false,
      reason: "undecodable",
      filterIndex: 1,
    });
    expect(evaluateFilters(null, target).pass).toBe(true);
    expect(evaluateFilters([], target).pass).toBe(true);
    expect(buildQueryFilters([], undefined)).toEqual([]);
    expect(buildQueryFilters(undefined, new Map([["a", "b"]]))).toEqual([
      { type: "tag", tag: "a", expr: "b" },
    ]);
  });
});
