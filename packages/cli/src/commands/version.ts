import { readFileSync } from "node:fs";
import type { Command } from "../ui.ts";

/** Newest and oldest serf (delegate) protocol versions spoken (as Go serf 0.9.4). */
export const SERF_PROTOCOL_MAX = 5;
export const SERF_PROTOCOL_MIN = 2;

/** Inlined by the bundler of the `serf` binary (`scripts/bundle.mjs`); undefined otherwise. */
declare const __SERF_TS_CLI_VERSION__: string | undefined;

/**
 * This package's version: inlined in the bundled binary, otherwise read from `package.json`
 * (next to `src/` and `dist/`).
 */
export function cliVersion(): string {
  if (typeof __SERF_TS_CLI_VERSION__ === "string") return __SERF_TS_CLI_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export const versionCommand: Command = {
  synopsis: "Prints the Serf version",
  help: "",
  async run(_args, ctx) {
    ctx.ui.output(cliVersion());
    ctx.ui.output(
      `Agent Protocol: ${SERF_PROTOCOL_MAX} (Understands back to: ${SERF_PROTOCOL_MIN})`,
    );
    return 0;
  },
};
