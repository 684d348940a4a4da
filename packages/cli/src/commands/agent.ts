import type { Command } from "../ui.ts";

const HELP = `Usage: serf agent [options]

  Starts the Serf agent and runs until an interrupt is received. The
  agent represents a single node in a cluster.

  Not available in this build of @serf-ts/cli yet: the agent comes with
  the @serf-ts/agent package.`;

/**
 * Placeholder dispatcher entry: `serf agent` belongs to `@serf-ts/agent` and is not wired in
 * yet. It says so and fails; it does not pretend to run an agent.
 */
export const agentCommand: Command = {
  synopsis: "Runs a Serf agent",
  help: HELP,
  async run(_args, ctx) {
    ctx.stderr.write(
      "Error: `serf agent` is not available in this build of @serf-ts/cli yet " +
        "(the agent is provided by @serf-ts/agent, which is not wired in).\n",
    );
    return 1;
  },
};
