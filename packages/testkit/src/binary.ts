/**
 * Finding the real Go `serf` binary (Debian serf 0.9.4) and deciding whether tests that need it
 * run: in CI (`CI=true`) a missing binary is an error, elsewhere a loud warning and a skip.
 */

import { accessSync, closeSync, constants as fsConstants, openSync, readSync } from "node:fs";
import { delimiter, join, sep } from "node:path";

/** Whether the Go binary can be used. */
export interface GoSerfAvailability {
  readonly available: boolean;
  readonly path: string | undefined;
  readonly reason: string;
}

/** Whether `path` starts with `#!` (a script, e.g. an npm/pnpm bin shim, not Go's binary). */
function isScript(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString("latin1") === "#!";
  } finally {
    closeSync(fd);
  }
}

/**
 * Finds the Go `serf` executable: env `SERF_BIN` first (taken as is), then `PATH`, then the
 * usual places. PATH entries under `node_modules` and scripts are skipped: inside a pnpm script
 * `node_modules/.bin/serf` is OUR CLI (`@serf-ts/cli`'s bin), not Go's.
 */
export function findGoSerf(): string | undefined {
  const fromEnv = process.env.SERF_BIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    try {
      accessSync(fromEnv, fsConstants.X_OK);
      return fromEnv;
    } catch {
      return undefined;
    }
  }
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && !`${dir}${sep}`.includes(`${sep}node_modules${sep}`)) {
      candidates.push(join(dir, "serf"));
    }
  }
  candidates.push("/usr/bin/serf", "/usr/local/bin/serf");
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (!isScript(candidate)) return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Looks for the binary; neither warns nor throws. */
export function goSerfAvailability(): GoSerfAvailability {
  const path = findGoSerf();
  if (path !== undefined) return { available: true, path, reason: `using ${path}` };
  return {
    available: false,
    path: undefined,
    reason: "the Go `serf` binary was not found (install Debian package `serf` or set SERF_BIN)",
  };
}

/**
 * `true` if tests against Go serf can run. Binary missing: throws when `CI === "true"` (CI must
 * not skip interop silently), otherwise warns loudly and returns `false`, so callers write
 * `describe.skipIf(!requireGoSerf())`.
 */
export function requireGoSerf(): boolean {
  const availability = goSerfAvailability();
  return canRun("Go serf tests", availability.available ? undefined : availability.reason);
}

/** The binary's path; throws with the reason when it is missing. */
export function goSerfPath(): string {
  const path = findGoSerf();
  if (path === undefined) throw new Error(goSerfAvailability().reason);
  return path;
}

/**
 * The general form of `requireGoSerf()` for any other precondition of a test (our built CLI, a
 * system tool, root): `true` when `reason` is `undefined` (it can run). Otherwise throws when
 * `CI === "true"` (CI must not skip silently), else warns loudly and returns `false`, so callers
 * write `describe.skipIf(!canRun("serf-ts CLI tests", missingFile(BIN, "build @serf-ts/cli")))`.
 */
export function canRun(what: string, reason: string | undefined): boolean {
  if (reason === undefined) return true;
  if (process.env.CI === "true")
    throw new Error(`${what.toUpperCase()} CANNOT RUN IN CI: ${reason}`);
  const bar = "!".repeat(78);
  // biome-ignore lint/suspicious/noConsole: a loud skip notice is the point of this helper
  console.warn(`\n${bar}\n!! SKIPPING ${what}: ${reason}\n${bar}\n`);
  return false;
}

/** `undefined` if `path` exists, else why not (`<path> is missing: <hint>`), for `canRun`. */
export function missingFile(path: string, hint: string): string | undefined {
  try {
    accessSync(path, fsConstants.F_OK);
    return undefined;
  } catch {
    return `${path} is missing: ${hint}`;
  }
}
