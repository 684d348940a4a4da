import { AGENT_HELP, AGENT_SYNOPSIS, runAgentCommand } from "@serf-ts/agent";
import type { Command } from "../ui.ts";

/** `serf agent`: runs a serf-ts agent until it is interrupted (see @serf-ts/agent). */
export const agentCommand: Command = {
  synopsis: AGENT_SYNOPSIS,
  help: AGENT_HELP,
  // The agent handles SIGINT/SIGTERM/SIGHUP itself (graceful leave, reload).
  handlesInterrupt: true,
  run(args, ctx) {
    return runAgentCommand(args, {
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      env: ctx.env,
      signals: ctx.agentSignals,
    });
  },
};
