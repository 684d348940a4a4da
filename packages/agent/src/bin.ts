#!/usr/bin/env node
/**
 * `serf-agent [options]`: `serf agent` as a standalone executable (the `serf` CLI of
 * `@serf-ts/cli` dispatches `serf agent` to the same `runAgentCommand`).
 */

// SIGUSR1 is caught before the agent's modules load: without a listener Node starts its
// inspector (a debugger port) on SIGUSR1. The agent then dumps its metrics on it, as Go does.
process.on("SIGUSR1", () => {});

const { runAgentCommand } = await import("./agent-command.ts");

const code = await runAgentCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
});
process.exit(code);
