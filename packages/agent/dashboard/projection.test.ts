import { describe, expect, it } from "vitest";
import { projectCoordinates } from "./projection.ts";

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.hypot(a.x - b.x, a.y - b.y);

describe("projectCoordinates", () => {
  it("keeps distances of points that lie in a plane of the 8-D space", () => {
    // A plane spanned by two oblique directions.
    const u = [1, 1, 0, 0, 0, 0, 0, 0].map((x) => x / Math.SQRT2);
    const v = [0, 0, 1, 0, 0, 0, 0, 1].map((x) => x / Math.SQRT2);
    const at = (a: number, b: number) => u.map((x, i) => 0.01 + a * x + b * (v[i] ?? 0));
    const nodes = [
      { node: "a", vec: at(0, 0) },
      { node: "b", vec: at(0.03, 0) },
      { node: "c", vec: at(0, 0.02) },
      { node: "d", vec: at(0.01, 0.05) },
    ];
    const pts = projectCoordinates(nodes);
    for (const p of pts)
      for (const q of pts) {
        const i = nodes.findIndex((n) => n.node === p.node);
        const j = nodes.findIndex((n) => n.node === q.node);
        const want = Math.hypot(
          ...(nodes[i]?.vec ?? []).map((x, k) => x - (nodes[j]?.vec[k] ?? 0)),
        );
        expect(dist(p, q)).toBeCloseTo(want, 9);
      }
  });

  it("handles no nodes, one node, and identical positions", () => {
    expect(projectCoordinates([])).toEqual([]);
    expect(projectCoordinates([{ node: "a", vec: [1, 2] }])).toEqual([{ node: "a", x: 0, y: 0 }]);
    const same = projectCoordinates([
      { node: "a", vec: [0, 0, 0] },
      { node: "b", vec: [0, 0, 0] },
    ]);
    expect(same.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
  });
});
