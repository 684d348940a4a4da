import { commandFlags, connectAgent, errorText, rpcFlags, unmarshalTags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf tags [options] ...

  Modifies tags on a running Serf agent.

Options:

  -rpc-addr=127.0.0.1:7373  RPC Address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.
  -set key=value            Creates or modifies the value of a tag
  -delete key               Removes a tag, if present`;

export const tagsCommand: Command = {
  synopsis: "Modify tags of a running Serf agent",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const set = flags.list("set");
    const del = flags.list("delete");
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    if (set.value.length === 0 && del.value.length === 0) {
      ctx.ui.output(HELP);
      return 1;
    }
    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      // Go parses the pairs only after connecting.
      const tags = unmarshalTags(set.value);
      if (typeof tags === "string") {
        ctx.ui.error(`Error: ${tags}`);
        return 1;
      }
      try {
        await client.tags({ set: tags, delete: del.value });
      } catch (err) {
        ctx.ui.error(`Error setting tags: ${errorText(err)}`);
        return 1;
      }
      ctx.ui.output("Successfully updated agent tags");
      return 0;
    } finally {
      await client.close();
    }
  },
};
