import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf join [options] address ...

  Tells a running Serf agent (with "serf agent") to join the cluster
  by specifying at least one existing member.

Options:

  -replay                   Replay past user events.
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`;

export const joinCommand: Command = {
  synopsis: "Tell Serf agent to join cluster",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const replay = flags.bool("replay", false);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const addrs = flags.args();
    if (addrs.length === 0) {
      ctx.ui.error("At least one address to join must be specified.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      const n = await client.join(addrs, { replay: replay.value });
      ctx.ui.output(`Successfully joined cluster by contacting ${n} nodes.`);
      return 0;
    } catch (err) {
      ctx.ui.error(`Error joining the cluster: ${errorText(err)}`);
      return 1;
    } finally {
      await client.close();
    }
  },
};
