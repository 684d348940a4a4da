#!/usr/bin/env node
// Lists every failed test of the last `pnpm test` at the end of the log, however long the log.
//
// Under CI=true each vitest project also writes `.vitest-results.json` beside its config
// (vitest.shared.ts). A CI log is long and its tail is what people read first, while a package's
// failures are printed when that package ends, often minutes before the last one. So:
//   node tools/ci/failed-tests.mjs --clean    removes the previous run's result files
//   node tools/ci/failed-tests.mjs --report   prints the failed tests with their first error
//                                              lines and per-package counts, then exits 1
// `pnpm test` runs `--report` only when the test run failed.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** `.vitest-results.json`, and `.vitest-results.<run>.json` for a second run in one directory. */
const isResultFile = (name) => /^\.vitest-results(\.[\w-]+)?\.json$/.test(name);
const MESSAGE_LINES = 25;

/** Every directory that holds a vitest project: the packages, e2e and fault. */
function projectDirs() {
  const dirs = [join(root, "e2e"), join(root, "fault")];
  for (const name of readdirSync(join(root, "packages"))) dirs.push(join(root, "packages", name));
  return dirs.filter((d) => existsSync(join(d, "vitest.config.ts")));
}

function resultFiles(dir) {
  return readdirSync(dir)
    .filter(isResultFile)
    .map((name) => join(dir, name));
}

function clean() {
  for (const dir of projectDirs())
    for (const file of resultFiles(dir)) rmSync(file, { force: true });
}

function report() {
  const out = ["", "==== failed tests (tools/ci/failed-tests.mjs) ===="];
  let failed = 0;
  for (const dir of projectDirs()) {
    const files = resultFiles(dir);
    if (files.length === 0) {
      out.push(
        `${relative(root, dir)}: no results (its tests did not finish, or failed before testing)`,
      );
    }
    for (const file of files) failed += reportFile(relative(root, file), out);
  }
  out.push(`==== ${failed} failed test(s) listed; the full output is above ====`);
  process.stdout.write(`${out.join("\n")}\n`);
  process.exit(1);
}

/** Appends one results file's failures to `out`; returns how many tests failed. */
function reportFile(name, out) {
  let results;
  try {
    results = JSON.parse(readFileSync(join(root, name), "utf8"));
  } catch (err) {
    out.push(`${name}: unreadable results (${err.message})`);
    return 0;
  }
  out.push(
    `${name}: ${results.numFailedTests} failed, ${results.numPassedTests} passed, ` +
      `${results.numPendingTests} skipped`,
  );
  let failed = 0;
  for (const suite of results.testResults ?? []) {
    const failures = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
    if (failures.length === 0 && suite.status === "failed") {
      failed++;
      out.push(
        `  FAIL ${relative(root, suite.name)} (the file failed: ${firstLines(suite.message)})`,
      );
    }
    for (const t of failures) {
      failed++;
      out.push(
        `  FAIL ${relative(root, suite.name)} > ${t.fullName} (${Math.round(t.duration ?? 0)} ms)`,
      );
      for (const m of t.failureMessages ?? []) out.push(indent(firstLines(m)));
    }
  }
  return failed;
}

function firstLines(text) {
  const lines = String(text ?? "").split("\n");
  const kept = lines.slice(0, MESSAGE_LINES).join("\n");
  return lines.length > MESSAGE_LINES
    ? `${kept}\n… (${lines.length - MESSAGE_LINES} more lines)`
    : kept;
}

function indent(text) {
  return text
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n");
}

const mode = process.argv[2];
if (mode === "--clean") clean();
else if (mode === "--report") report();
else {
  process.stderr.write("usage: failed-tests.mjs --clean | --report\n");
  process.exit(2);
}
