import type { AgentSignalSource } from "@serf-ts/agent";

/**
 * What a command sees: output streams, environment, interrupts, and a `Ui` that mirrors
 * `mitchellh/cli`'s `BasicUi` without an error writer: output, info and error all go to stdout,
 * each message followed by a newline.
 */

import { goStringToBytes, hasRawBytes } from "@serf-ts/wire/codec";
import { utf8 } from "./go-format.ts";

/** Where text goes (`process.stdout`, or a buffer in tests). */
export interface OutputSink {
  write(chunk: string | Uint8Array): unknown;
}

/** Inputs of `run()`. */
export interface CliIO {
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  /** Environment (`SERF_RPC_ADDR`, `SERF_RPC_AUTH`, `NO_COLOR`). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted on Ctrl-C (SIGINT). Only `monitor`, `query` and `reachability` react to it, as in
   * Go serf; `main.ts` installs the SIGINT handler only for them.
   */
  readonly signal?: AbortSignal;
  /** stdout is a terminal: `members` colours the status column. @default false */
  readonly isTTY?: boolean;
  /**
   * Where `serf agent` takes SIGINT/SIGTERM/SIGHUP from (`process` in the binary; a fake in
   * tests). @default process
   */
  readonly agentSignals?: AgentSignalSource;
}

/** `BasicUi{Writer: os.Stdout}`: every message on stdout, plus a newline. */
export class Ui {
  private readonly out: OutputSink;

  constructor(out: OutputSink) {
    this.out = out;
  }

  output(message: string | Uint8Array): void {
    if (typeof message === "string" && hasRawBytes(message)) {
      // Raw bytes of a Go string (a name or tag from the agent): print them as Go does.
      this.out.write(goStringToBytes(`${message}\n`));
    } else if (typeof message === "string") {
      this.out.write(`${message}\n`);
    } else {
      const bytes = new Uint8Array(message.length + 1);
      bytes.set(message);
      bytes[message.length] = 0x0a;
      this.out.write(bytes);
    }
  }

  info(message: string | Uint8Array): void {
    this.output(message);
  }

  error(message: string | Uint8Array): void {
    this.output(message);
  }
}

/** A Ui that prefixes non-empty info messages (`cli.PrefixedUi` as `serf keys` uses it). */
export class PrefixedUi extends Ui {
  private readonly infoPrefix: string;

  constructor(out: OutputSink, infoPrefix: string) {
    super(out);
    this.infoPrefix = infoPrefix;
  }

  override info(message: string | Uint8Array): void {
    if (typeof message === "string" && message !== "") this.output(`${this.infoPrefix}${message}`);
    else this.output(message);
  }
}

/** The context handed to each command. */
export interface CommandContext {
  readonly ui: Ui;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  readonly isTTY: boolean;
  readonly agentSignals: AgentSignalSource;
}

/** One `serf` subcommand. */
export interface Command {
  /** One line for the top-level help. */
  readonly synopsis: string;
  /** `serf <cmd> -h` text (Go's `Help()`, already trimmed). */
  readonly help: string;
  /** Reacts to Ctrl-C itself (Go's `ShutdownCh`); otherwise SIGINT terminates the process. */
  readonly handlesInterrupt?: boolean;
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}

/** Concatenates text and raw bytes into one byte string (Go strings are bytes). */
export function concatBytes(...parts: readonly (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === "string" ? utf8(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
