import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DashboardAssets, dashboardDirCandidates } from "./dashboard-assets.ts";

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

describe("DashboardAssets.load", () => {
  it("finds the installed package's dist/ui when the agent code is bundled elsewhere", () => {
    const candidates = dashboardDirCandidates().map((u) => u.href);
    expect(candidates[0]).toMatch(/\/packages\/agent\/dist\/ui\/$/);
    expect(candidates[1]).toMatch(/\/src\/http\/ui\/$/);
    expect(candidates[2]).toMatch(/\/agent\/dist\/ui\/$/);
  });

  it("reads only known file types from a directory, and nothing from a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "serf-ts-ui-"));
    try {
      writeFileSync(join(dir, "index.html"), "<!doctype html>");
      writeFileSync(join(dir, "app.js"), "x");
      writeFileSync(join(dir, "secret.env"), "k=v");
      const a = DashboardAssets.load(dir);
      expect(a.available).toBe(true);
      expect(
        a
          .sizes()
          .map((s) => s.name)
          .sort(),
      ).toEqual(["app.js", "index.html"]);
      expect(DashboardAssets.load(join(dir, "nope")).available).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
