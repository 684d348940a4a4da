import { generateKey } from "@serf-ts/keygen";
import { errorText } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf keygen

  Generates a new encryption key that can be used to configure the
  agent to encrypt traffic. The output of this command is already
  in the proper format that the agent expects.`;

export const keygenCommand: Command = {
  synopsis: "Generates a new encryption key",
  help: HELP,
  async run(_args, ctx) {
    let key: string;
    try {
      key = generateKey();
    } catch (err) {
      ctx.ui.error(`Error reading random data: ${errorText(err)}`);
      return 1;
    }
    ctx.ui.output(key);
    return 0;
  },
};
