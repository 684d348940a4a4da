/**
 * The RPC flags every agent-facing command has (`-rpc-addr`, `-rpc-auth`, with defaults from
 * `SERF_RPC_ADDR` / `SERF_RPC_AUTH`), the connect step with Go's error line, and tag parsing.
 */

import { DEFAULT_RPC_ADDR, RpcClient } from "@serf-ts/rpc-client";
import { type FlagRef, FlagSet } from "./flags.ts";
import type { CommandContext } from "./ui.ts";

/** Text of an error as Go would print it (`%s` of the error). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A FlagSet whose errors go to stderr and whose usage prints `help` on stdout. */
export function commandFlags(ctx: CommandContext, help: string): FlagSet {
  return new FlagSet(
    (text) => ctx.stderr.write(text),
    () => ctx.ui.output(help),
  );
}

/** The flags of `RPCAddrFlag` / `RPCAuthFlag`. */
export interface RpcFlags {
  readonly addr: FlagRef<string>;
  readonly auth: FlagRef<string>;
}

export function rpcFlags(flags: FlagSet, ctx: CommandContext): RpcFlags {
  const envAddr = ctx.env.SERF_RPC_ADDR ?? "";
  return {
    addr: flags.string("rpc-addr", envAddr === "" ? DEFAULT_RPC_ADDR : envAddr),
    auth: flags.string("rpc-auth", ctx.env.SERF_RPC_AUTH ?? ""),
  };
}

/**
 * Connects (dial + handshake + auth when a key is set); on failure prints
 * `Error connecting to Serf agent: <err>` and returns `null`.
 */
export async function connectAgent(ctx: CommandContext, rpc: RpcFlags): Promise<RpcClient | null> {
  try {
    const auth = rpc.auth.value;
    return await RpcClient.connect(
      auth === "" ? { addr: rpc.addr.value } : { addr: rpc.addr.value, authKey: auth },
    );
  } catch (err) {
    ctx.ui.error(`Error connecting to Serf agent: ${errorText(err)}`);
    return null;
  }
}

/**
 * serf's `UnmarshalTags`: `key=value` pairs (split at the first `=`; the key must not be
 * empty). Returns the map, or the `Invalid tag: '<tag>'` message.
 */
export function unmarshalTags(tags: readonly string[]): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const tag of tags) {
    const eq = tag.indexOf("=");
    if (eq <= 0) return `Invalid tag: '${tag}'`;
    out.set(tag.slice(0, eq), tag.slice(eq + 1));
  }
  return out;
}
