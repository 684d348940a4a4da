/**
 * The two agent implementations an e2e cluster can mix, both started with Go serf's flags:
 *
 * - `go`: the real Go `serf agent` (Debian serf 0.9.4), found by `@serf-ts/testkit`.
 * - `ts`: our agent. Candidates, first that works wins:
 *   1. `node packages/cli/dist/main.js agent …` (the built CLI; `agent` is being wired now),
 *   2. `node --conditions=@serf-ts/source --import tsx packages/agent/src/bin.ts …` (the
 *      agent's standalone `serf-agent [options]` entry, if that file exists).
 *
 * "Works" is decided by trying it: `detectTsAgent()` starts one agent with each candidate on a
 * loopback address and keeps the first whose RPC port answers a handshake and `members`. The
 * result is cached per test process. `SERF_TS_E2E_REQUIRE_TS=1` or `CI=true` turns "no working
 * TS agent" into an error instead of a skip; `SERF_TS_E2E_TS=0` skips the TS and mixed runs
 * outright (an error too under `CI=true`: CI never skips them).
 */

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RpcClient } from "@serf-ts/rpc-client";
import {
  type AgentCommand,
  type AgentProcess,
  goSerfPath,
  randomSuffix,
  startAgentProcess,
} from "@serf-ts/testkit";

/** Which implementation runs a node. */
export type Impl = "go" | "ts";

/** The repository root (this file is `e2e/src/harness/implementations.ts`). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The built CLI entry of `@serf-ts/cli` (its `bin`). */
export function cliMainPath(): string {
  const pkg = createRequire(import.meta.url).resolve("@serf-ts/cli/package.json");
  return join(dirname(pkg), "dist", "main.js");
}

/** The agent's own entry point, used while the CLI's `agent` subcommand is not wired. */
export const AGENT_BIN_SOURCE = join(REPO_ROOT, "packages", "agent", "src", "bin.ts");

/** The Go agent command. Throws if the binary is missing (guard with `requireGoSerf()`). */
export function goAgentCommand(): AgentCommand {
  return { label: "go", file: goSerfPath(), args: ["agent"] };
}

/** Candidate commands for our agent, in order of preference, with why a candidate is absent. */
export function tsAgentCandidates(): { command?: AgentCommand; description: string }[] {
  const main = cliMainPath();
  return [
    existsSync(main)
      ? {
          command: { label: "ts", file: process.execPath, args: [main, "agent"] },
          description: `node ${main} agent`,
        }
      : { description: `${main} (missing: build @serf-ts/cli)` },
    existsSync(AGENT_BIN_SOURCE)
      ? {
          command: {
            label: "ts",
            file: process.execPath,
            // `serf-agent [options]`: no `agent` subcommand.
            args: ["--conditions=@serf-ts/source", "--import", "tsx", AGENT_BIN_SOURCE],
          },
          description: `node --import tsx ${AGENT_BIN_SOURCE}`,
        }
      : { description: `${AGENT_BIN_SOURCE} (missing)` },
  ];
}

/**
 * Resolves once the agent's RPC port completes a handshake (and auth) and answers `members`;
 * rejects otherwise. Used as the readiness probe for both implementations.
 */
export async function rpcReady(agent: AgentProcess): Promise<void> {
  const client = await RpcClient.connect({
    addr: agent.rpcAddress,
    timeoutMs: 1000,
    requestTimeoutMs: 2000,
    ...(agent.rpcAuth === undefined ? {} : { authKey: agent.rpcAuth }),
  });
  try {
    await client.members();
  } finally {
    await client.close();
  }
}

/** Whether our agent can run, and how. */
export type TsAgentStatus =
  | { readonly available: true; readonly command: AgentCommand; readonly description: string }
  | { readonly available: false; readonly reason: string };

let detection: Promise<TsAgentStatus> | undefined;

function shorten(text: string, max = 700): string {
  const oneBlock = text.trim();
  return oneBlock.length <= max ? oneBlock : `${oneBlock.slice(0, max)}…`;
}

async function detect(): Promise<TsAgentStatus> {
  const failures: string[] = [];
  for (const candidate of tsAgentCandidates()) {
    if (candidate.command === undefined) {
      failures.push(`- ${candidate.description}`);
      continue;
    }
    try {
      const probe = await startAgentProcess(
        candidate.command,
        {
          name: `ts-probe-${randomSuffix()}`,
          profile: "local",
          logLevel: "info",
          startTimeoutMs: 10_000,
          attempts: 2,
        },
        rpcReady,
      );
      await probe.kill();
      return { available: true, command: candidate.command, description: candidate.description };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failures.push(`- ${candidate.description}: ${shorten(message)}`);
    }
  }
  return { available: false, reason: `no working serf-ts agent command:\n${failures.join("\n")}` };
}

/**
 * Finds a working command for our agent (cached). With `SERF_TS_E2E_REQUIRE_TS=1` or `CI=true`
 * a missing one throws; otherwise the caller skips the TS and mixed runs and says why.
 */
export async function detectTsAgent(): Promise<TsAgentStatus> {
  let status: TsAgentStatus = { available: false, reason: "disabled by SERF_TS_E2E_TS=0" };
  if (process.env.SERF_TS_E2E_TS !== "0") {
    detection ??= detect();
    status = await detection;
  }
  if (!status.available) {
    if (process.env.SERF_TS_E2E_REQUIRE_TS === "1") {
      throw new Error(`SERF_TS_E2E_REQUIRE_TS=1 but ${status.reason}`);
    }
    if (process.env.CI === "true")
      throw new Error(`E2E TS AGENTS CANNOT RUN IN CI: ${status.reason}`);
  }
  return status;
}
