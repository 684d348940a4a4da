/**
 * A real browser for the dashboard tests: Debian's `chromium` (`/usr/bin/chromium`, what
 * `.ci/run` installs) driven by `playwright-core` (no browser download), headless, with a
 * fresh profile directory removed on close. Missing chromium skips with a loud warning, and
 * fails under `CI=true`.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.SERF_TS_CHROMIUM ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether chromium can run here; under `CI=true` a missing one throws. */
export function requireChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === "true") {
    throw new Error(`${CHROMIUM_PATH} is missing (CI=true): apt-get install -y chromium`);
  }
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPING dashboard browser tests: ${CHROMIUM_PATH} not found\n${bar}\n`,
  );
  return false;
}

/** A running browser context and the way to close it (profile directory removed). */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches chromium with a fresh user-data-dir. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "serf-ts-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
