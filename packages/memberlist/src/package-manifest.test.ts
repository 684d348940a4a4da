/**
 * What `npm i @serf-ts/memberlist` pulls into someone else's app: no test runner. The published
 * files (everything under src/ but tests, and so dist/) must not import one, and the manifest
 * must not declare one as a peer (npm stops with ERESOLVE when the app's vitest is older).
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const TEST_RUNNERS = ["vitest", "jest", "@jest/globals", "mocha", "node:test"];

function publishedSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => join(dir, f));
}

describe("@serf-ts/memberlist's published files", () => {
  it("declare no peer dependencies", () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8"));
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.peerDependenciesMeta).toBeUndefined();
  });

  it("import no test runner, including the ./testing helpers", () => {
    const offenders: string[] = [];
    const files = publishedSources(join(PACKAGE_DIR, "src"));
    expect(files.some((f) => f.endsWith("transport-compliance.ts"))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? "";
        if (TEST_RUNNERS.includes(spec)) offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
