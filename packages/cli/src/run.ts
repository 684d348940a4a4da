/**
 * The `serf` dispatcher, as Go serf's `main` + `mitchellh/cli` behave: `-v`/`--version`
 * anywhere selects `version`; `-h`/`-help`/`--help` (before `--`) prints help on stderr; an
 * unknown or missing command prints the command list on stderr with exit 127; flags before the
 * command are refused.
 */

import { COMMANDS } from "./commands/index.ts";
import { goCompare } from "./go-format.ts";
import { type CliIO, type Command, type CommandContext, Ui } from "./ui.ts";

/** The top-level help (`cli.BasicHelpFunc("serf")`), ending with a newline. */
export function topLevelHelp(commands: ReadonlyMap<string, Command> = COMMANDS): string {
  const names = [...commands.keys()].sort(goCompare);
  const width = Math.max(...names.map((n) => n.length));
  let out = "Usage: serf [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n";
  for (const name of names) {
    out += `    ${name.padEnd(width)}    ${commands.get(name)?.synopsis ?? ""}\n`;
  }
  return out;
}

/** How the command line is split (mitchellh/cli `processArgs`). */
export interface ParsedCommandLine {
  readonly subcommand: string;
  readonly args: readonly string[];
  readonly isHelp: boolean;
  readonly topFlags: readonly string[];
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let args = [...argv];
  if (args.some((a) => a === "-v" || a === "--version")) args = ["version", ...args];
  let isHelp = false;
  let subcommand = "";
  let rest: string[] = [];
  const topFlags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg === "-h" || arg === "-help" || arg === "--help") {
      isHelp = true;
      continue;
    }
    if (subcommand === "") {
      if (arg === "-v" || arg === "-version" || arg === "--version") continue;
      if (arg.startsWith("-")) topFlags.push(arg);
      else if (arg !== "") {
        subcommand = arg;
        rest = args.slice(i + 1);
      }
    }
  }
  return { subcommand, args: rest, isHelp, topFlags };
}

/** The command `argv` would run, if it handles Ctrl-C itself (for `main.ts`). */
export function handlesInterrupt(argv: readonly string[]): boolean {
  const { subcommand, isHelp } = parseCommandLine(argv);
  return !isHelp && COMMANDS.get(subcommand)?.handlesInterrupt === true;
}

/**
 * Runs `serf` with `argv` (without the program name) and resolves with the exit code. All
 * output goes to `io`; nothing here touches `process`.
 */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const line = parseCommandLine(argv);
  const command = COMMANDS.get(line.subcommand);
  if (line.isHelp && line.subcommand === "") {
    io.stderr.write(`${topLevelHelp()}\n`);
    return 0;
  }
  if (command === undefined) {
    io.stderr.write(`${topLevelHelp()}\n`);
    return 127;
  }
  if (line.isHelp) {
    io.stderr.write(`${command.help}\n`);
    return 0;
  }
  if (line.topFlags.length > 0) {
    io.stderr.write(
      "Invalid flags before the subcommand. If these flags are for\n" +
        "the subcommand, please put them after the subcommand.\n\n",
    );
    io.stderr.write(`${command.help}\n`);
    return 1;
  }
  const ctx: CommandContext = {
    ui: new Ui(io.stdout),
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env ?? process.env,
    signal: io.signal ?? new AbortController().signal,
    agentSignals: io.agentSignals ?? process,
    isTTY: io.isTTY ?? false,
  };
  return command.run(line.args, ctx);
}
