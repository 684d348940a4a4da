#!/usr/bin/env node
// The `serf` binary: runs the command line against the process streams.
import { handlesInterrupt, run } from "./run.ts";

const argv = process.argv.slice(2);
const controller = new AbortController();
if (handlesInterrupt(argv)) {
  // monitor, query and reachability react to Ctrl-C themselves (Go's ShutdownCh); any other
  // command is terminated by it as usual.
  process.on("SIGINT", () => controller.abort(new Error("interrupted")));
}

run(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
  isTTY: process.stdout.isTTY === true,
  agentSignals: process,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `Error executing CLI: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
