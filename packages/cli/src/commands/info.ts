import type { StatsResponse } from "@serf-ts/rpc-client";
import { goCompare, goJson } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf info [options]

\tProvides debugging information for operators

Options:

  -format                  If provided, output is returned in the specified
                           format. Valid formats are 'json', and 'text' (default)

  -rpc-addr=127.0.0.1:7373 RPC address of the Serf agent.

  -rpc-auth=""             RPC auth token of the Serf agent.`;

/**
 * The output of `serf info` for `stats`: sections and keys sorted, `section:` then
 * `\tkey = value` lines (text), or the pretty-printed map (json); trimmed like Go's
 * `formatOutput`. Returns `{ error }` for an unknown format.
 */
export function formatStats(
  stats: StatsResponse,
  format: string,
): { readonly output: string } | { readonly error: string } {
  if (format === "json") return { output: goJson(stats).trim() };
  if (format !== "text") return { error: `Invalid output format "${format}"` };
  let out = "";
  for (const section of [...stats.keys()].sort(goCompare)) {
    out += `${section}:\n`;
    const entries = stats.get(section) ?? new Map<string, string>();
    for (const key of [...entries.keys()].sort(goCompare)) {
      out += `\t${key} = ${entries.get(key)}\n`;
    }
  }
  return { output: out.trim() };
}

export const infoCommand: Command = {
  synopsis: "Provides debugging information for operators",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const format = flags.string("format", "text");
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      let stats: StatsResponse;
      try {
        stats = await client.stats();
      } catch (err) {
        ctx.ui.error(`Error querying agent: ${errorText(err)}`);
        return 1;
      }
      const result = formatStats(stats, format.value);
      if ("error" in result) {
        ctx.ui.error(`Encoding error: ${result.error}`);
        return 1;
      }
      ctx.ui.output(result.output);
      return 0;
    } finally {
      await client.close();
    }
  },
};
