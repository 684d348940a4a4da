import { describe, expect, it } from "vitest";
import { runSimBenchmark } from "./bench.ts";

describe("runSimBenchmark", () => {
  it("runs N=100 (staggered joins) and N=60 (bootstrap) deterministically", () => {
    const a = runSimBenchmark(100);
    expect(a.join).toBe("staggered");
    expect(a.joinConvergenceMs).toBeGreaterThanOrEqual(0);
    expect(a.failureDetectionMs).toBeGreaterThan(0);
    expect(a.failureDetectionMs).toBeLessThan(60_000);
    expect(a.heapBytesPerNode).toBeTypeOf("number");
    const b = runSimBenchmark(100);
    expect(b.joinConvergenceMs).toBe(a.joinConvergenceMs);
    expect(b.failureDetectionMs).toBe(a.failureDetectionMs);
    const c = runSimBenchmark(60, { join: "bootstrap" });
    expect(c.joinConvergenceMs).toBeGreaterThan(0);
    expect(c.joinConvergenceMs).toBeLessThan(30_000);
    expect(runSimBenchmark(60, { join: "bootstrap" }).joinConvergenceMs).toBe(c.joinConvergenceMs);
    expect(c.failureDetectionMs).toBeGreaterThan(0);
  });
});
