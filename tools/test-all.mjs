#!/usr/bin/env node
/**
 * `pnpm test` after the build and lint, three lanes started together: every package's typecheck
 * and tests through turbo (concurrency 2) but e2e; the e2e suite (its typecheck, then its
 * tests: about 7 minutes, mostly waiting on gossip timers); and the fault-injection suite
 * (`fault/tests`, about 4-5 minutes, waiting in network namespaces). Queued behind the other
 * tasks, e2e and the fault suite would each add their whole duration.
 *
 * Each line of the e2e and fault suites' output is prefixed with `e2e: ` or `fault: `. The exit
 * code is non-zero when any lane fails; SIGINT/SIGTERM are passed on to every child (by PID).
 */

import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const children = new Set();

function prefixLines(stream, out, prefix) {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on("end", () => {
    if (pending !== "") out.write(`${prefix}${pending}\n`);
  });
}

function run(label, command, args, cwd, prefix, env = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: prefix === undefined ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    if (prefix !== undefined) {
      prefixLines(child.stdout, process.stdout, prefix);
      prefixLines(child.stderr, process.stderr, prefix);
    }
    let settled = false;
    const done = (code) => {
      if (settled) return;
      settled = true;
      children.delete(child);
      const s = ((Date.now() - started) / 1000).toFixed(0);
      process.stdout.write(`test-all: ${label} ${code === 0 ? "passed" : "FAILED"} after ${s} s\n`);
      resolve(code === 0);
    };
    child.on("error", (err) => {
      process.stderr.write(`test-all: ${label}: ${err.message}\n`);
      done(1);
    });
    // "close": after the output streams ended, so the verdict is the last line.
    child.on("close", (code, signal) => done(signal === null ? code : 1));
  });
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of children) {
      if (child.pid !== undefined) process.kill(child.pid, signal);
    }
  });
}

// The workspace's own binaries (never a download through npx).
const bin = (name) => join(root, "node_modules", ".bin", name);
const e2eDir = join(root, "e2e");
const results = await Promise.all([
  run(
    "packages (turbo typecheck test, e2e apart)",
    bin("turbo"),
    [
      "run",
      "typecheck",
      "test",
      "--concurrency=2",
      "--continue",
      "--filter=!@serf-ts/e2e",
      // Built already: without --only, turbo re-runs (or restores from cache) every build,
      // rewriting dist/ under the e2e lane's agents.
      "--only",
    ],
    root,
    undefined,
  ),
  // e2e is the longest chain (about 7 min, mostly waiting on gossip timers): from the start, not
  // queued behind every package's typecheck and tests as a turbo task (that made CI 13-14 min).
  (async () => {
    const typed = await run(
      "e2e typecheck",
      bin("tsc"),
      ["-p", "tsconfig.test.json"],
      e2eDir,
      "e2e: ",
    );
    const tested = await run("e2e", bin("vitest"), ["run"], e2eDir, "e2e: ");
    return typed && tested;
  })(),
  // Its own results file: the fault package's helper tests (through turbo) write the default one.
  run("fault suite", bin("vitest"), ["run", "tests"], join(root, "fault"), "fault: ", {
    SERF_TS_VITEST_RESULTS: ".vitest-results.fault-suite.json",
  }),
]);
process.exit(results.every(Boolean) ? 0 : 1);
