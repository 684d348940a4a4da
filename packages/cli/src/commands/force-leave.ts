import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf force-leave [options] name

  Forces a member of a Serf cluster to enter the "left" state. Note
  that if the member is still actually alive, it will eventually rejoin
  the cluster. This command is most useful for cleaning out "failed" nodes
  that are never coming back. If you do not force leave a failed node,
  Serf will attempt to reconnect to those failed nodes for some period of
  time before eventually reaping them.

Options:

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.
  -prune                    Remove agent forcibly from list of members`;

export const forceLeaveCommand: Command = {
  synopsis: 'Forces a member of the cluster to enter the "left" state',
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const prune = flags.bool("prune", false);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const nodes = flags.args();
    const node = nodes[0];
    if (nodes.length !== 1 || node === undefined) {
      ctx.ui.error("A node name must be specified to force leave.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      await client.forceLeave(node, { prune: prune.value });
      return 0;
    } catch (err) {
      ctx.ui.error(`Error force leaving: ${errorText(err)}`);
      return 1;
    } finally {
      await client.close();
    }
  },
};
