/**
 * The `serf` command line, Go's or ours, pointed at one agent's RPC port. Scenarios drive a
 * node with the CLI of its own implementation by default (our CLI against our agent, Go's
 * against Go's), so both CLIs and both RPC servers are exercised; `via` picks one explicitly.
 *
 * Go's CLI stops parsing flags at the first positional argument, so `-rpc-addr` (and
 * `-rpc-auth`) go right after the subcommand, before the caller's arguments.
 */

import { existsSync } from "node:fs";
import { type CommandResult, goSerfPath, runCommand } from "@serf-ts/testkit";
import { cliMainPath, type Impl } from "./implementations.ts";

/** What a CLI call needs to know about its agent. */
export interface CliTarget {
  readonly impl: Impl;
  readonly rpcAddress: string;
  readonly process: { readonly rpcAuth: string | undefined };
}

/** Options of `serfCli`. */
export interface CliOptions {
  /** Which implementation's CLI runs. @default the target's implementation */
  readonly via?: Impl;
  /** @default 15000 */
  readonly timeoutMs?: number;
}

/** `[file, ...prefix]` of the CLI of `impl`. */
export function cliCommand(impl: Impl): { file: string; prefix: string[] } {
  if (impl === "go") return { file: goSerfPath(), prefix: [] };
  const main = cliMainPath();
  if (!existsSync(main)) throw new Error(`${main} is missing: build @serf-ts/cli`);
  return { file: process.execPath, prefix: [main] };
}

/** Runs `serf <sub> -rpc-addr=<target> [-rpc-auth=…] <rest…>`; never rejects on an exit code. */
export function runSerfCli(
  target: CliTarget,
  args: readonly string[],
  options: CliOptions = {},
): Promise<CommandResult> {
  const { file, prefix } = cliCommand(options.via ?? target.impl);
  const auth = target.process.rpcAuth === undefined ? [] : [`-rpc-auth=${target.process.rpcAuth}`];
  const full = [...prefix, ...args.slice(0, 1), `-rpc-addr=${target.rpcAddress}`, ...auth];
  full.push(...args.slice(1));
  return runCommand(file, full, { timeoutMs: options.timeoutMs ?? 15_000 });
}

/** As `runSerfCli`, resolving stdout; rejects with the whole output unless the exit code is 0. */
export async function serfCli(
  target: CliTarget,
  args: readonly string[],
  options: CliOptions = {},
): Promise<string> {
  const r = await runSerfCli(target, args, options);
  if (r.code !== 0) {
    const via = options.via ?? target.impl;
    throw new Error(
      `${via} CLI: serf ${args.join(" ")} (against ${target.impl} agent ${target.rpcAddress}) ` +
        `failed (code ${r.code}, signal ${r.signal}):\n${r.stderr}${r.stdout}`,
    );
  }
  return r.stdout;
}

/** One member as printed by `serf members -format=json`. */
export interface CliMember {
  readonly name: string;
  /** `"ip:port"`. */
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly status: string;
}

/** `serf members -format=json [extra…]` against `target`. */
export async function cliMembers(
  target: CliTarget,
  extra: readonly string[] = [],
  options: CliOptions = {},
): Promise<CliMember[]> {
  const out = await serfCli(target, ["members", "-format=json", ...extra], options);
  const parsed = JSON.parse(out) as { members: CliMember[] | null };
  return parsed.members ?? [];
}
