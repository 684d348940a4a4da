import { AGENT_HELP, AGENT_SYNOPSIS } from "@serf-ts/agent/help";
import type { Command } from "../ui.ts";

/**
 * `serf agent`: runs a serf-ts agent until it is interrupted (see @serf-ts/agent). The agent is
 * imported only when this command runs, so the other commands start without loading it (in the
 * bundled binary it is a chunk of its own).
 */
export const agentCommand: Command = {
  synopsis: AGENT_SYNOPSIS,
  help: AGENT_HELP,
  // The agent handles SIGINT/SIGTERM/SIGHUP itself (graceful leave, reload).
  handlesInterrupt: true,
  async run(args, ctx) {
    const { runAgentCommand } = await import("@serf-ts/agent/command");
    return runAgentCommand(args, {
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      env: ctx.env,
      signals: ctx.agentSignals,
    });
  },
};
