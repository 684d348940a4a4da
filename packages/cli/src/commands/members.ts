import type { Member } from "@serf-ts/rpc-client";
import { formatTcpAddr } from "@serf-ts/wire";
import { columnize, type GoJsonValue, goJson } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags, unmarshalTags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf members [options]

  Outputs the members of a running Serf agent.

Options:

  -detailed                 Additional information such as protocol versions
                            will be shown (only affects text output format).

  -format                   If provided, output is returned in the specified
                            format. Valid formats are 'json', and 'text' (default)

  -name=<regexp>            If provided, only members matching the regexp are
                            returned. The regexp is anchored at the start and end,
                            and must be a full match.

  -role=<regexp>            If provided, output is filtered to only nodes matching
                            the regular expression for role
                            '-role' is deprecated in favor of '-tag role=foo'.
                            The regexp is anchored at the start and end, and must be
                            a full match.

  -status=<regexp>          If provided, output is filtered to only nodes matching
                            the regular expression for status

  -tag <key>=<regexp>       If provided, output is filtered to only nodes with the
                            tag <key> with value matching the regular expression.
                            tag can be specified multiple times to filter on
                            multiple keys. The regexp is anchored at the start and end,
                            and must be a full match.

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.

  -rpc-auth=""              RPC auth token of the Serf agent.`;

/** Options of `formatMembers`. */
export interface MembersFormatOptions {
  /** `text` or `json`; anything else is an error. */
  readonly format: string;
  /** Adds the serf protocol columns (text only). */
  readonly detailed?: boolean;
  /** Colour the status column with ANSI codes (text only; for terminals). */
  readonly color?: boolean;
}

const STATUS_COLORS: Readonly<Record<string, string>> = {
  alive: "\u001b[32m",
  leaving: "\u001b[33m",
  left: "\u001b[33m",
  failed: "\u001b[31m",
};

function tagPairs(tags: ReadonlyMap<string, string>): string {
  return [...tags].map(([k, v]) => `${k}=${v}`).join(",");
}

/**
 * The output of `serf members` for `members` (in the agent's order): the text table or the
 * JSON document, already trimmed as Go's `formatOutput` does. Returns `{ error }` with
 * `Invalid output format "x"` for an unknown format.
 */
export function formatMembers(
  members: readonly Member[],
  options: MembersFormatOptions,
): { readonly output: string } | { readonly error: string } {
  if (options.format === "json") {
    const list: GoJsonValue = members.map((m) => ({
      name: m.name,
      addr: formatTcpAddr(m.addr, m.port),
      port: m.port,
      tags: m.tags,
      status: m.status,
      protocol: new Map([
        ["min", m.delegateMin],
        ["max", m.delegateMax],
        ["version", m.delegateCur],
      ]),
    }));
    return { output: goJson({ members: members.length === 0 ? null : list }).trim() };
  }
  if (options.format !== "text") return { error: `Invalid output format "${options.format}"` };
  const lines = members.map((m) => {
    let line = `${m.name}|${formatTcpAddr(m.addr, m.port)}|${m.status}|${tagPairs(m.tags)}`;
    if (options.detailed === true) {
      line += `|Protocol Version: ${m.delegateCur}|Available Protocol Range: [${m.delegateMin}, ${m.delegateMax}]`;
    }
    return line;
  });
  const table = columnize(
    lines,
    options.color === true
      ? (_line, column, text) => {
          const color = column === 2 ? STATUS_COLORS[text] : undefined;
          return color === undefined ? text : `${color}${text}\u001b[0m`;
        }
      : undefined,
  );
  return { output: table.trim() };
}

export const membersCommand: Command = {
  synopsis: "Lists the members of a Serf cluster",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const detailed = flags.bool("detailed", false);
    const role = flags.string("role", "");
    const status = flags.string("status", "");
    const format = flags.string("format", "text");
    const tagArgs = flags.list("tag");
    const name = flags.string("name", "");
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    if (role.value !== "") {
      ctx.ui.output("Deprecation warning: 'Role' has been replaced with 'Tags'");
      tagArgs.value.push(`role=${role.value}`);
    }
    const tags = unmarshalTags(tagArgs.value);
    if (typeof tags === "string") {
      ctx.ui.error(`Error: ${tags}`);
      return 1;
    }

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      let members: Member[];
      try {
        members = await client.membersFiltered({ tags, status: status.value, name: name.value });
      } catch (err) {
        ctx.ui.error(`Error retrieving members: ${errorText(err)}`);
        return 1;
      }
      const noColor = (ctx.env.NO_COLOR ?? "") !== "";
      const result = formatMembers(members, {
        format: format.value,
        detailed: detailed.value,
        color: ctx.isTTY && !noColor,
      });
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
