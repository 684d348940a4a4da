/**
 * Hostile filter regexps (issue 11 item 2) live against our agent process, beside a Go agent:
 * query `-tag` filters from any member and `members -tag/-name/-status` are evaluated in linear
 * time (re2js), so the agent keeps answering RPC and stays alive in its peers' view. With a
 * backtracking engine `role=(.*.*)*!` froze an agent for over a minute.
 *
 * Needs the Go `serf` binary: fails under CI=true without it, skipped loudly otherwise.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type GoAgent,
  goSerfMembers,
  requireGoSerf,
  startAgentProcess,
  startGoAgent,
  stopAll,
  withGoCli,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const hasSerf = requireGoSerf();
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

/** Tag values near the 512-byte Meta limit that make backtracking engines explode. */
const TAGS = { role: "x".repeat(220), pad: `${"a".repeat(220)}!` };

/**
 * Bound on one CLI call: far above what an RPC round trip takes on a loaded machine, far below
 * what a backtracking engine spends on these patterns (minutes to centuries).
 */
const CALL_MS = 5000;

describe.skipIf(!hasSerf)("hostile filter regexps against our agent", () => {
  let go: GoAgent;
  let ours: GoAgent;

  beforeAll(async () => {
    go = await startGoAgent({ name: "go-redos", profile: "local", logLevel: "info" });
    ours = withGoCli(
      await startAgentProcess(
        {
          label: "ts",
          file: process.execPath,
          args: ["--conditions=@serf-ts/source", "--import", "tsx", BIN],
        },
        {
          name: "ts-redos",
          profile: "local",
          logLevel: "debug",
          tags: TAGS,
          join: [go.bindAddress],
          startTimeoutMs: 20_000,
        },
        (a) => goSerfMembers(a.rpcAddress, { timeoutMs: 2000 }),
      ),
    );
  }, 40_000);

  afterAll(async () => {
    await stopAll();
  });

  /** `serf query` through `via`: the names that acked. */
  async function ackers(via: GoAgent, filters: readonly string[]): Promise<string[]> {
    const r = await via.run(
      ["query", "-format=json", "-timeout=1s", ...filters.flatMap((f) => ["-tag", f]), "ping"],
      { timeoutMs: CALL_MS },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return (JSON.parse(r.stdout) as { Acks: string[] | null }).Acks ?? [];
  }

  it("query -tag filters from a Go peer and from our own RPC: no ack, agent responsive", async () => {
    // A filter that matches still makes our agent ack: evaluation is real.
    expect(await ackers(go, ["role=^x+$"])).toEqual(["ts-redos"]);
    expect(await ackers(go, ["pad=^a+!$", "role=x{220}"])).toEqual(["ts-redos"]);
    for (const filter of ["role=(.*.*)*!", "pad=(a+)+$", "pad=^(a|a)+$", "role=(x+x+)+y"]) {
      expect(await ackers(go, [filter]), filter).toEqual([]);
      expect(await ackers(ours, [filter]), filter).toEqual([]);
      // Our RPC answers right after.
      expect((await goSerfMembers(ours.rpcAddress, { timeoutMs: CALL_MS })).length).toBe(2);
    }
    // The Go peer never suspected us.
    const seen = await goSerfMembers(go.rpcAddress, { timeoutMs: CALL_MS });
    expect(seen.find((m) => m.name === "ts-redos")?.status).toBe("alive");
    expect(ours.log()).not.toMatch(/Suspect|failed/i);
  }, 60_000);

  it("members -tag/-name/-status with hostile regexps answer at once", async () => {
    const members = async (args: string[]): Promise<string> => {
      const r = await ours.run(["members", ...args], { timeoutMs: CALL_MS });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      return r.stdout;
    };
    // Anchored as ^expr$ like Go: (a+)+$ cannot match a value ending in "!".
    expect(await members(["-tag", "pad=(a+)+$"])).toBe("\n");
    expect(await members(["-tag", "pad=(a+)+!"])).toMatch(/^ts-redos /);
    expect(await members(["-tag", "role=(.*.*)*!"])).toBe("\n");
    expect(await members(["-tag", "role=(x+x+)+y", "-name", "(.*.*)*!"])).toBe("\n");
    expect(await members(["-status", "(a|a)*b", "-name", "(t|t)*s-redos"])).toBe("\n");
    // A bad regexp still gives Go's error (the agent drops the connection).
    const bad = await ours.run(["members", "-name", "(?<n>x)"], { timeoutMs: CALL_MS });
    expect(bad.code).toBe(1);
    expect(ours.log()).toContain(
      "Failed to compile regex: error parsing regexp: invalid or unsupported Perl syntax: `(?<`",
    );
  }, 60_000);
});
