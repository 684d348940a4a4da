import { SERF_PROTOCOL_VERSION_MAX, SERF_PROTOCOL_VERSION_MIN } from "@serf-ts/serf";
import { PACKAGE_VERSION } from "../package-version.ts";
import type { Command } from "../ui.ts";

/** This package's version (`package.json`'s, inlined at build time by `package-version.ts`). */
export function cliVersion(): string {
  return PACKAGE_VERSION;
}

/**
 * What `serf version` (and `-v`/`--version`) prints, as Go serf 0.9.4 does: the version, then
 * the serf protocol range (serf's `ProtocolVersionMax`/`ProtocolVersionMin`), one per line.
 */
export function versionLines(): [string, string] {
  return [
    cliVersion(),
    `Agent Protocol: ${SERF_PROTOCOL_VERSION_MAX} (Understands back to: ${SERF_PROTOCOL_VERSION_MIN})`,
  ];
}

export const versionCommand: Command = {
  synopsis: "Prints the Serf version",
  help: "",
  async run(_args, ctx) {
    for (const line of versionLines()) ctx.ui.output(line);
    return 0;
  },
};
