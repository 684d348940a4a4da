/**
 * `serf version` prints the package version from ONE place: `src/package-version.ts`, written
 * from package.json by the build (so a bundled CLI never reads package.json at run time).
 */

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliVersion, versionLines } from "./commands/version.ts";
import { runOurs } from "./golden.harness.ts";
import { PACKAGE_VERSION } from "./package-version.ts";

const PACKAGE_DIR = new URL("..", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", PACKAGE_DIR), "utf8"));
const scratch = mkdtempSync(join(tmpdir(), "serf-ts-cli-version-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the CLI's version", () => {
  it("is package.json's version, inlined", () => {
    expect(PACKAGE_VERSION).toBe(manifest.version);
    expect(cliVersion()).toBe(manifest.version);
  });

  it("is rewritten by the build script when package.json changes", () => {
    mkdirSync(join(scratch, "scripts"));
    mkdirSync(join(scratch, "src"));
    copyFileSync(
      new URL("scripts/write-package-version.mjs", PACKAGE_DIR),
      join(scratch, "scripts", "write-package-version.mjs"),
    );
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ version: "7.8.9-rc.1" }));
    execFileSync(process.execPath, [join(scratch, "scripts", "write-package-version.mjs")]);
    const written = readFileSync(join(scratch, "src", "package-version.ts"), "utf8");
    expect(written).toContain('export const PACKAGE_VERSION = "7.8.9-rc.1";');
    // The committed file is exactly what the script writes for the current version.
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ version: manifest.version }));
    execFileSync(process.execPath, [join(scratch, "scripts", "write-package-version.mjs")]);
    expect(readFileSync(join(scratch, "src", "package-version.ts"), "utf8")).toBe(
      readFileSync(new URL("src/package-version.ts", PACKAGE_DIR), "utf8"),
    );
  });

  it("`serf version` and `-v` print it and Go's protocol line", async () => {
    const expected = `${manifest.version}\nAgent Protocol: 5 (Understands back to: 2)\n`;
    expect(`${versionLines().join("\n")}\n`).toBe(expected);
    for (const args of [["version"], ["-v"], ["members", "--version"]]) {
      const r = await runOurs(args);
      expect([r.code, r.stdout, r.stderr], args.join(" ")).toEqual([0, expected, ""]);
    }
  });
});
