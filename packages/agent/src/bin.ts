#!/usr/bin/env node
/**
 * `serf-agent [options]`: `serf agent` as a standalone executable (the `serf` CLI of
 * `@serf-ts/cli` dispatches `serf agent` to the same `runAgentCommand`).
 */

import { runAgentCommand } from "./agent-command.ts";

const code = await runAgentCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: process,
});
process.exit(code);
