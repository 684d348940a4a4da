import { utf8 } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf event [options] name payload

  Dispatches a custom event across the Serf cluster.

Options:

  -coalesce=true/false      Whether this event can be coalesced. This means
                            that repeated events of the same name within a
                            short period of time are ignored, except the last
                            one received. Default is true.
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`;

export const eventCommand: Command = {
  synopsis: "Send a custom event through the Serf cluster",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const coalesce = flags.bool("coalesce", true);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const rest = flags.args();
    const name = rest[0];
    if (name === undefined) {
      ctx.ui.error("An event name must be specified.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    if (rest.length > 2) {
      ctx.ui.error("Too many command line arguments. Only a name and payload must be specified.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    const payloadText = rest[1];
    const payload = payloadText === undefined ? null : utf8(payloadText);

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      await client.userEvent(name, payload, coalesce.value);
    } catch (err) {
      ctx.ui.error(`Error sending event: ${errorText(err)}`);
      return 1;
    } finally {
      await client.close();
    }
    ctx.ui.output(`Event '${name}' dispatched! Coalescing enabled: ${coalesce.value}`);
    return 0;
  },
};
