/**
 * Joining with the wrong encryption key (issue 11 item 6): the joiner's error must read as
 * against a Go node, `Failed to join <ip>: No installed keys could decrypt the message`, not
 * `EOF`, whichever implementation receives the join or sends it. The node that cannot open
 * the push/pull answers with an errResp under its own key (Go memberlist `handleConn`), which
 * the joiner in turn cannot open. Go joining Go is the oracle.
 *
 * Needs the Go `serf` binary: fails under CI=true without it, skipped loudly otherwise.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AgentOptions,
  type GoAgent,
  goSerfKeygen,
  goSerfMembers,
  requireGoSerf,
  startAgentProcess,
  startGoAgent,
  stopAll,
  withGoCli,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const hasSerf = requireGoSerf();
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

async function startOurs(options: AgentOptions): Promise<GoAgent> {
  return withGoCli(
    await startAgentProcess(
      {
        label: "ts",
        file: process.execPath,
        args: ["--conditions=@serf-ts/source", "--import", "tsx", BIN],
      },
      { profile: "local", logLevel: "info", startTimeoutMs: 20_000, ...options },
      (a) => goSerfMembers(a.rpcAddress, { timeoutMs: 2000 }),
    ),
  );
}

describe.skipIf(!hasSerf)("join with the wrong key", () => {
  let goK1: GoAgent;
  let goK2: GoAgent;
  let tsK1: GoAgent;
  let tsK2: GoAgent;

  beforeAll(async () => {
    const [k1, k2] = [await goSerfKeygen(), await goSerfKeygen()];
    [goK1, goK2, tsK1, tsK2] = await Promise.all([
      startGoAgent({ name: "go-k1", profile: "local", logLevel: "info", encryptKey: k1 }),
      startGoAgent({ name: "go-k2", profile: "local", logLevel: "info", encryptKey: k2 }),
      startOurs({ name: "ts-k1", encryptKey: k1 }),
      startOurs({ name: "ts-k2", encryptKey: k2 }),
    ]);
  }, 40_000);

  afterAll(async () => {
    await stopAll();
  });

  /** `serf join` through `joiner` to `target`, with the target's IP replaced by `<ip>`. */
  async function joinError(joiner: GoAgent, target: GoAgent) {
    const r = await joiner.run(["join", target.bindAddress], { timeoutMs: 15_000 });
    return { code: r.code, stdout: r.stdout.replaceAll(target.ip, "<ip>") };
  }

  it("fails with Go's text whichever side is serf-ts", async () => {
    const expected = {
      code: 1,
      stdout:
        "Error joining the cluster: 1 error occurred:\n" +
        "\t* Failed to join <ip>: No installed keys could decrypt the message\n\n\n",
    };
    expect(await joinError(goK2, goK1)).toEqual(expected); // the oracle
    expect(await joinError(goK2, tsK1)).toEqual(expected);
    expect(await joinError(tsK2, tsK1)).toEqual(expected);
    expect(await joinError(tsK2, goK1)).toEqual(expected);
    // Nobody joined anybody.
    for (const a of [goK1, goK2, tsK1, tsK2]) expect((await a.members()).length).toBe(1);
    // The receiving serf-ts node logged the failure.
    expect(tsK1.log()).toContain("No installed keys could decrypt the message");
  }, 60_000);
});
