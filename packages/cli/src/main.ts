#!/usr/bin/env node
// The `serf` binary: runs the command line against the process streams.
import { handlesInterrupt, run } from "./run.ts";

const argv = process.argv.slice(2);

// A reader that went away (`serf members | head -1`): Go dies of SIGPIPE there, silently, and
// the shell reports 128 + 13. Node ignores SIGPIPE and would print an unhandled EPIPE instead.
const EXIT_BROKEN_PIPE = 141;
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT_BROKEN_PIPE);
    throw err;
  });
}
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
