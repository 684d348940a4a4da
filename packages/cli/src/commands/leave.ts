import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf leave

  Causes the agent to gracefully leave the Serf cluster and shutdown.

Options:

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`;

export const leaveCommand: Command = {
  synopsis: "Gracefully leaves the Serf cluster and shuts down",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      await client.leave();
    } catch (err) {
      ctx.ui.error(`Error leaving: ${errorText(err)}`);
      return 1;
    } finally {
      await client.close();
    }
    ctx.ui.output("Graceful leave complete");
    return 0;
  },
};
