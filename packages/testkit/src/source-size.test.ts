/**
 * Repo layout rule (ARCHITECTURE.md): no non-test source file is over 900 lines. A file that
 * grows past it is split along its seams (new files beside it), not allowed to keep growing.
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const MAX_LINES = 900;
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const TEST = /\.test\.(ts|tsx|mts)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".turbo", "coverage", "reports"]);

/** Non-test source files under `root` with more than `max` lines, as `path: lines`. */
function oversizedSources(root: string, max: number): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(join(dir, entry.name));
      } else if (entry.isFile() && SOURCE.test(entry.name) && !TEST.test(entry.name)) {
        const path = join(dir, entry.name);
        const text = readFileSync(path, "utf8");
        const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
        if (lines > max) found.push(`${relative(root, path)}: ${lines}`);
      }
    }
  };
  walk(root);
  return found.sort();
}

const tmp = mkdtempSync(join(tmpdir(), "source-size-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("source file size", () => {
  it(`no non-test source file in the repo is over ${MAX_LINES} lines`, () => {
    expect(oversizedSources(REPO, MAX_LINES)).toEqual([]);
  });

  it("reports a source over the limit, not a test file, node_modules or dist", () => {
    const lines = (n: number): string => "export {};\n".repeat(n);
    mkdirSync(join(tmp, "pkg", "src"), { recursive: true });
    mkdirSync(join(tmp, "pkg", "dist"), { recursive: true });
    mkdirSync(join(tmp, "node_modules", "dep"), { recursive: true });
    writeFileSync(join(tmp, "pkg", "src", "big.ts"), lines(MAX_LINES + 1));
    writeFileSync(join(tmp, "pkg", "src", "limit.ts"), lines(MAX_LINES));
    writeFileSync(join(tmp, "pkg", "src", "big.test.ts"), lines(MAX_LINES + 1));
    writeFileSync(join(tmp, "pkg", "dist", "big.js"), lines(MAX_LINES + 1));
    writeFileSync(join(tmp, "node_modules", "dep", "big.js"), lines(MAX_LINES + 1));
    expect(oversizedSources(tmp, MAX_LINES)).toEqual([`pkg/src/big.ts: ${MAX_LINES + 1}`]);
  });
});
