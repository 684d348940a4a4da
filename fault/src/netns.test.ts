import { describe, expect, it } from "vitest";
import { faultRuleset } from "./netns.ts";
import { durations } from "./scenarios.ts";

describe("fault rules", () => {
  it("loss drops a random share of forwarded agent traffic only", () => {
    expect(faultRuleset("t", "vfx-*", { kind: "loss", percent: 10 })).toContain(
      'iifname "vfx-*" numgen random mod 100 < 10 drop',
    );
    expect(() => faultRuleset("t", "vfx-*", { kind: "loss", percent: 10.5 })).toThrow(RangeError);
  });

  it("a partition drops both directions between the groups, nothing else", () => {
    const text = faultRuleset("t", "vfx-*", {
      kind: "partition",
      groupA: ["10.1.1.10", "10.1.1.11"],
      groupB: ["10.1.1.12"],
    });
    expect(text).toContain("ip saddr { 10.1.1.10, 10.1.1.11 } ip daddr { 10.1.1.12 } drop");
    expect(text).toContain("ip saddr { 10.1.1.12 } ip daddr { 10.1.1.10, 10.1.1.11 } drop");
    expect(faultRuleset("t", "vfx-*", { kind: "none" })).not.toContain("drop");
  });

  it("SOAK_MINUTES stretches the phases; CI defaults are the issue's", () => {
    expect(durations({})).toMatchObject({ loss10Ms: 180_000, loss25Ms: 60_000, floodEvents: 2000 });
    expect(durations({ SOAK_MINUTES: "30" })).toMatchObject({
      loss10Ms: 1_800_000,
      loss25Ms: 600_000,
      floodMs: 600_000,
      floodEvents: 20_000,
    });
  });
});
