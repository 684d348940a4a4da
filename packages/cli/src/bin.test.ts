/**
 * The built binary (`node dist/main.js`): the same golden comparisons as golden.test.ts for a
 * few commands, Ctrl-C handling (only the real process has SIGINT), and the bundle standing
 * alone. Builds the package first (`tsc -b`, then the bundle of `scripts/bundle.mjs` that
 * `dist/main.js` becomes). The packed tarballs, installed with npm, are tested by packed.test.ts.
 */

import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type GoAgent,
  requireGoSerf,
  runCommand,
  startGoCluster,
  stopAll,
  writeQueryResponder,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliVersion } from "./commands/version.ts";
import {
  BIN,
  baseEnv,
  infoText,
  membersText,
  normalize,
  PACKAGE_DIR,
  runBin,
  runGo,
  sortLines,
} from "./golden.harness.ts";

const haveGo = requireGoSerf();

/** A build/pack/install step (tracked, killed by PID on timeout); rejects unless it exits 0. */
async function exec(file: string, args: readonly string[], cwd: string, timeoutMs = 120_000) {
  const r = await runCommand(file, args, { cwd, timeoutMs });
  if (r.code !== 0) {
    throw new Error(
      `${file} ${args.join(" ")}: code ${r.code}, signal ${r.signal}\n${r.stderr}${r.stdout}`,
    );
  }
  return r.stdout;
}

describe.skipIf(!haveGo)("the built `serf` binary", () => {
  let dir = "";
  let cluster: GoAgent[] = [];
  const a = (): string => `-rpc-addr=${cluster[0]?.rpcAddress}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-cli-bin-"));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const [, agents] = await Promise.all([
      exec(process.execPath, [tsc, "-b", PACKAGE_DIR], PACKAGE_DIR).then(() =>
        exec(process.execPath, [join(PACKAGE_DIR, "scripts", "bundle.mjs")], PACKAGE_DIR),
      ),
      startGoCluster(2, () => ({
        profile: "local",
        eventHandlers: [`query:greet=${writeQueryResponder(dir)}`],
      })),
    ]);
    cluster = agents;
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints what Go prints", async () => {
    const cases: [string[], (t: string) => string][] = [
      [["members", a()], membersText],
      [["members", "-format=json", a()], sortLines],
      [["info", a()], infoText],
      [["query", "-timeout=2s", a(), "greet"], sortLines],
      [["members", "-rpc-addr=127.0.0.1:1"], (t) => t],
      [["join", a()], (t) => t],
      [["--help"], (t) => t],
      [["bogus"], (t) => t],
    ];
    for (const [args, f] of cases) {
      const go = await runGo(args);
      const ours = await runBin(args);
      expect(normalize(ours, f), `serf ${args.join(" ")}`).toEqual(normalize(go, f));
    }
    const version = await runBin(["version"]);
    expect(version.stdout).toMatch(
      /^\d+\.\d+\.\d+\S*\nAgent Protocol: 5 \(Understands back to: 2\)\n$/,
    );
  });

  it("is one self-contained file: the RPC commands run without the agent bundle or any package", async () => {
    // dist/main.js alone, away from node_modules and from dist/serf-agent.js: a command that
    // talks to an agent, `version` and `agent -h` must not import anything but Node built-ins.
    const alone = join(dir, "alone");
    mkdirSync(alone, { recursive: true });
    copyFileSync(BIN, join(alone, "main.mjs"));
    const runAlone = (args: string[]) =>
      runCommand(process.execPath, [join(alone, "main.mjs"), ...args], {
        env: baseEnv(),
        timeoutMs: 30_000,
      });
    const members = normalize(await runAlone(["members", a()]), membersText);
    const go = normalize(await runGo(["members", a()]), membersText);
    expect(members).toEqual(go);
    const version = await runAlone(["version"]);
    expect([version.stdout, version.stderr]).toEqual([
      `${cliVersion()}\nAgent Protocol: 5 (Understands back to: 2)\n`,
      "",
    ]);
    const help = await runAlone(["agent", "-h"]);
    expect(help.stderr).toMatch(/^Usage: serf agent \[options\]\n/);
  });

  it("a closed stdout (`serf members | head -1`) ends it quietly, as Go's SIGPIPE", async () => {
    const child = spawn(process.execPath, [BIN, "members", a()], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader goes away before the process has even loaded: its first write gets EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const [code] = (await once(child, "close")) as [number | null];
    expect(stderr).toBe("");
    expect(code).toBe(141);
  });

  it("Ctrl-C: monitor exits 0, query and reachability exit 1, as Go", async () => {
    const cases: [string[], (t: string) => string][] = [
      [["monitor", a()], () => ""],
      [["query", "-timeout=30s", a(), "slow"], sortLines],
      [["reachability", a()], (t) => t],
    ];
    for (const [args, f] of cases) {
      const [go, ours] = await Promise.all([
        runGo(args, { interruptAfterMs: 800 }),
        runBin(args, { interruptAfterMs: 800 }),
      ]);
      expect(normalize(ours, f), `serf ${args.join(" ")}`).toEqual(normalize(go, f));
    }
  });
});
