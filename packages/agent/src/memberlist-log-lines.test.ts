/**
 * memberlist's log lines and serf's forced member lines in a live agent log, side by side with
 * Go serf 0.9.4 (issue 11 item 5). Two 2-node clusters run at once: our agent observing a Go
 * agent named `victim`, and a Go agent observing another Go `victim`. Both victims are
 * SIGKILLed; each observer is the only prober of its victim, so each must log Go's
 * `Suspect victim has failed, no acks received` and `Marking victim as failed, suspect timeout
 * reached (0 peer confirmations)`. `serf force-leave -prune victim` then gives
 * `EventMemberLeave (forced): victim IP` and `EventMemberReap (forced): victim IP`. Timestamps
 * and the victims' IPs are normalised before comparing our lines with Go's.
 *
 * Needs the Go `serf` binary: fails under `CI=true` without it, skips loudly otherwise.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  eventually,
  type GoAgent,
  requireGoSerf,
  startAgentProcess,
  startGoAgent,
  stopAll,
  withGoCli,
} from "@serf-ts/testkit";
import { afterAll, describe, expect, it } from "vitest";

const hasSerf = requireGoSerf();
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

/** The lines this test compares, in Go's wording. */
const WANTED = [
  /\[INFO\] memberlist: Suspect victim has failed, no acks received/,
  /\[INFO\] memberlist: Marking victim as failed, suspect timeout reached \(\d+ peer confirmations\)/,
  /\[INFO\] serf: EventMemberFailed: victim /,
  /\[INFO\] serf: EventMemberLeave \(forced\): victim /,
  /\[INFO\] serf: EventMemberReap \(forced\): victim /,
];

/** The wanted lines of a log, first occurrence each, without timestamp and with `IP` for ip. */
function wantedLines(log: string, victimIp: string): string[] {
  const lines = log.split("\n").map((l) => l.replace(/^.*?(\[[A-Z]+\] )/, "$1"));
  const out: string[] = [];
  for (const re of WANTED) {
    const line = lines.find((l) => re.test(l));
    if (line !== undefined) out.push(line.replaceAll(victimIp, "IP").trimEnd());
  }
  return out;
}

async function launchOurs(): Promise<GoAgent> {
  const agent = await startAgentProcess(
    {
      label: "ts",
      file: process.execPath,
      args: ["--conditions=@serf-ts/source", "--import", "tsx", BIN],
    },
    { name: "observer", profile: "local", logLevel: "info", startTimeoutMs: 20_000 },
    async (a) => {
      if (!a.log().includes("Log data will now stream in")) throw new Error("no banner yet");
    },
  );
  return withGoCli(agent);
}

describe.skipIf(!hasSerf)("memberlist and forced member lines in the agent log (vs Go)", () => {
  afterAll(async () => {
    await stopAll();
  });

  it("a SIGKILLed peer gives Go's suspect/failed lines; force-leave -prune the (forced) lines", async () => {
    const [ours, goObserver] = await Promise.all([
      launchOurs(),
      startGoAgent({ name: "observer", profile: "local", logLevel: "info" }),
    ]);
    const [ourVictim, goVictim] = await Promise.all([
      startGoAgent({ name: "victim", profile: "local", join: [ours.bindAddress] }),
      startGoAgent({ name: "victim", profile: "local", join: [goObserver.bindAddress] }),
    ]);
    const statusOf = async (observer: GoAgent): Promise<string | undefined> =>
      (await observer.members()).find((m) => m.name === "victim")?.status;
    for (const observer of [ours, goObserver]) {
      await eventually(async () => (await statusOf(observer)) === "alive", {
        timeoutMs: 10_000,
        describe: "victim alive",
      });
    }

    await Promise.all([ourVictim.kill(), goVictim.kill()]);
    for (const observer of [ours, goObserver]) {
      // local profile, 2 nodes: probe 1 s + suspicion 3 s; generous for a loaded machine.
      await eventually(async () => (await statusOf(observer)) === "failed", {
        timeoutMs: 20_000,
        describe: `victim failed as seen by ${observer.kind}`,
      });
      expect((await observer.run(["force-leave", "-prune", "victim"])).code).toBe(0);
    }
    const done = (a: GoAgent) => a.log().includes("EventMemberReap (forced): victim");
    await eventually(() => done(ours) && done(goObserver), {
      timeoutMs: 10_000,
      describe: "reap lines",
    });

    const goLines = wantedLines(goObserver.log(), goVictim.ip);
    const ourLines = wantedLines(ours.log(), ourVictim.ip);
    expect(goLines).toEqual([
      "[INFO] memberlist: Suspect victim has failed, no acks received",
      "[INFO] memberlist: Marking victim as failed, suspect timeout reached (0 peer confirmations)",
      "[INFO] serf: EventMemberFailed: victim IP",
      "[INFO] serf: EventMemberLeave (forced): victim IP",
      "[INFO] serf: EventMemberReap (forced): victim IP",
    ]);
    expect(ourLines).toEqual(goLines);
  }, 90_000);
});
