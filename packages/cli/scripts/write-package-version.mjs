#!/usr/bin/env node
// Writes src/package-version.ts from package.json's "version" (run by `build` and `prepack`), so
// that `serf version` needs no package.json at run time (the CLI may be bundled into one file).
// Rewrites the file only when the version changed; `package-version.test.ts` checks the two agree.
import { readFileSync, writeFileSync } from "node:fs";

const packageJson = new URL("../package.json", import.meta.url);
const target = new URL("../src/package-version.ts", import.meta.url);
const { version } = JSON.parse(readFileSync(packageJson, "utf8"));
if (typeof version !== "string" || version === "") {
  throw new Error(`${packageJson.pathname}: no "version"`);
}
const text = [
  "// Generated from package.json by scripts/write-package-version.mjs (build, prepack): do not edit.",
  "",
  "/** The version of `@serf-ts/cli`, as `serf version` prints it. */",
  `export const PACKAGE_VERSION = ${JSON.stringify(version)};`,
  "",
].join("\n");
let current = "";
try {
  current = readFileSync(target, "utf8");
} catch {}
if (current !== text) writeFileSync(target, text);
