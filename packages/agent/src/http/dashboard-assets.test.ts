import { describe, expect, it } from "vitest";
import { DashboardAssets } from "./dashboard-assets.ts";

const assets = DashboardAssets.load();
const mustExist = process.env.CI === "true";
if (!assets.available && !mustExist) {
  console.warn("dashboard bundle not built (dist/ui): run the agent build; skipping its checks");
}

describe("the built dashboard bundle", () => {
  it.skipIf(!assets.available && !mustExist)("exists and stays under 100 KB gzipped", () => {
    expect(assets.available, "dist/ui/index.html: run the @serf-ts/agent build").toBe(true);
    const names = assets.sizes().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["index.html", "app.js", "app.css"]));
    const gz = assets.sizes().reduce((sum, s) => sum + s.gzipBytes, 0);
    expect(gz).toBeLessThan(100 * 1024);
  });
});
