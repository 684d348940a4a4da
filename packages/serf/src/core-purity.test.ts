/**
 * The cores (`memberlist/src/core`, `serf/src/core`) are sans-I/O by construction: a core file
 * that reads the clock, draws randomness or imports a Node module fails lint (biome.json and its
 * `tools/lint/sans-io-core.grit` plugin) or the core type-check (`tsconfig.core.json`, no Node
 * types), both of which `pnpm test` runs. These tests feed such files to both checks.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIOME = join(REPO, "node_modules", ".bin", "biome");
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");
const CORES = ["packages/serf/src/core", "packages/memberlist/src/core"] as const;

const tmp = mkdtempSync(join(tmpdir(), "core-purity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let probes = 0;

/**
 * Lints `source` as a file at `path` (relative to the repo) under the repo's own biome.json and
 * lint plugins, copied into a scratch tree so that nothing is written into the checkout.
 */
function lint(path: string, source: string): { ok: boolean; output: string } {
  const root = join(tmp, `lint-${probes++}`);
  mkdirSync(join(root, "tools"), { recursive: true });
  copyFileSync(join(REPO, "biome.json"), join(root, "biome.json"));
  cpSync(join(REPO, "tools", "lint"), join(root, "tools", "lint"), { recursive: true });
  mkdirSync(join(root, dirname(path)), { recursive: true });
  writeFileSync(join(root, path), source);
  const r = spawnSync(BIOME, ["lint", path], { cwd: root, encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Type-checks `source` with a package's core tsconfig (its compiler options, this one file). */
function typecheck(pkg: "serf" | "memberlist", source: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmp, `${pkg}-`));
  mkdirSync(join(dir, "src", "core"), { recursive: true });
  writeFileSync(join(dir, "src", "core", "probe.ts"), source);
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(REPO, "packages", pkg, "tsconfig.core.json"),
      include: ["src/core/**/*.ts"],
    }),
  );
  const r = spawnSync(process.execPath, [TSC, "-p", dir], { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describe("core purity", () => {
  for (const core of CORES) {
    const file = `${core}/probe.ts`;
    it(`${core}: lint accepts pure code`, () => {
      const r = lint(file, "export const half = (n: number): number => Math.floor(n / 2);\n");
      expect(r.output).not.toMatch(/sans-I\/O/);
      expect(r.ok).toBe(true);
    });
    it(`${core}: lint rejects Date.now(), new Date(), Math.random() and node: imports`, () => {
      for (const [source, why] of [
        ["export const t = Date.now();\n", "never Date.now()"],
        ["export const d = new Date(0);\n", "sans-I/O"],
        ["export const r = Math.random();\n", "never Math.random()"],
        ['import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n', "sans-I/O"],
        ["export const h = setTimeout(() => {}, 1);\n", "sans-I/O"],
      ] as const) {
        const r = lint(file, source);
        expect(r.ok, source).toBe(false);
        expect(r.output, source).toContain(why);
      }
    });
    it(`${core}: the same code outside core/ passes lint`, () => {
      const r = lint(file.replace("/core/", "/"), "export const t = Date.now() + Math.random();\n");
      expect(r.ok, r.output).toBe(true);
    });
  }

  for (const pkg of ["serf", "memberlist"] as const) {
    it(`${pkg}: the core type-check sees no Node types (timers, node: modules)`, () => {
      expect(typecheck(pkg, "export const n: number = Math.floor(2.5);\n").ok).toBe(true);
      const timer = typecheck(pkg, "export const h = setTimeout(() => {}, 1);\n");
      expect(timer.ok).toBe(false);
      expect(timer.output).toContain("setTimeout");
      const fs = typecheck(
        pkg,
        'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n',
      );
      expect(fs.ok).toBe(false);
      expect(fs.output).toContain("node:fs");
    });
  }
});
