/**
 * Raw bytes end to end (issue 11 item 9): Go strings are bytes, so an event name or tag value
 * that is not valid UTF-8 reaches Go's handlers byte for byte (0xFF, not EF BF BD). A Go agent
 * and ours in one cluster run the same handler for the same events; their records must be
 * equal, whichever agent the event and the tags were sent through (RPC decode, gossip encode
 * and decode, handler environment and stdin).
 *
 * Needs the Go `serf` binary: fails under CI=true without it, skipped loudly otherwise.
 */

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  eventually,
  type GoAgent,
  goSerfMembers,
  goSerfPath,
  requireGoSerf,
  runCommand,
  startAgentProcess,
  startGoAgent,
  stopAll,
  withGoCli,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const hasSerf = requireGoSerf();
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

describe.skipIf(!hasSerf)("raw bytes in names, payloads and tags, Go vs ours", () => {
  let dir: string;
  let go: GoAgent;
  let ours: GoAgent;

  /** Runs the Go CLI through sh, so arguments can hold any byte (printf escapes). */
  async function serfSh(agent: GoAgent, args: string): Promise<string> {
    const r = await runCommand(
      "/bin/sh",
      ["-c", `"$0" ${args.replaceAll("@RPC", `-rpc-addr=${agent.rpcAddress}`)}`, goSerfPath()],
      { timeoutMs: 10_000 },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  }

  const records = (file: string): string[] =>
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l !== "")
      : [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-raw-bytes-"));
    const hex = join(dir, "hex.sh");
    // One line per user event: name, SERF_TAG_T, stdin, in hex.
    writeFileSync(
      hex,
      [
        "#!/bin/sh",
        "h() { od -An -tx1 | tr -d ' \\n'; }",
        'line="$(printf %s "$SERF_USER_EVENT" | h) $(printf %s "$SERF_TAG_T" | h) $(h)"',
        'echo "$line" >> "$1"',
        "",
      ].join("\n"),
    );
    chmodSync(hex, 0o755);
    go = await startGoAgent({
      name: "go-raw",
      profile: "local",
      logLevel: "info",
      eventHandlers: [`user=${hex} ${join(dir, "go.out")}`],
    });
    ours = withGoCli(
      await startAgentProcess(
        {
          label: "ts",
          file: process.execPath,
          args: ["--conditions=@serf-ts/source", "--import", "tsx", BIN],
        },
        {
          name: "ts-raw",
          profile: "local",
          logLevel: "info",
          join: [go.bindAddress],
          eventHandlers: [`user=${hex} ${join(dir, "ts.out")}`],
          startTimeoutMs: 20_000,
        },
        (a) => goSerfMembers(a.rpcAddress, { timeoutMs: 2000 }),
      ),
    );
  }, 40_000);

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an event name, payload and tag with 0xFF reach both agents' handlers as 0xFF", async () => {
    // Tags with raw bytes, set through each agent's RPC.
    await serfSh(go, `tags @RPC -set "t=$(printf 'g\\377')"`);
    await serfSh(ours, `tags @RPC -set "t=$(printf 't\\376')"`);
    // Events with raw names and payloads, one through each agent.
    await serfSh(go, `event @RPC "$(printf '\\377via-go')" "$(printf 'p\\377')"`);
    await serfSh(ours, `event @RPC "$(printf '\\376via-ts\\300')" "$(printf '\\300q')"`);
    const goOut = join(dir, "go.out");
    const tsOut = join(dir, "ts.out");
    await eventually(() => records(goOut).length === 2 && records(tsOut).length === 2, {
      timeoutMs: 10_000,
      describe: "both handlers ran twice",
    });
    const sorted = (file: string) => records(file).sort();
    // Each agent sees its own tag; names and payloads are the same bytes everywhere.
    expect(sorted(goOut)).toEqual(["fe7669612d7473c0 67ff c0710a", "ff7669612d676f 67ff 70ff0a"]);
    expect(sorted(tsOut)).toEqual(["fe7669612d7473c0 74fe c0710a", "ff7669612d676f 74fe 70ff0a"]);
    // The tags themselves crossed the wire as bytes: each agent lists the other's raw value.
    const hexOf = async (agent: GoAgent) =>
      (await serfSh(agent, "members @RPC | od -An -tx1")).replace(/\s/g, "");
    expect(await hexOf(go)).toContain(Buffer.from("t=t\xfe", "latin1").toString("hex"));
    expect(await hexOf(ours)).toContain(Buffer.from("t=g\xff", "latin1").toString("hex"));
  }, 60_000);
});
