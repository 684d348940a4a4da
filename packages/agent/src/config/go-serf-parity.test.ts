/**
 * Cross-checks configuration errors against the real Go `serf` 0.9.4 binary when it is
 * installed (`@serf-ts/testkit`'s `requireGoSerf`: skipped loudly otherwise, an error when
 * `CI=true`). Every case fails before the agent binds anything; as a guard, each run binds to a
 * random loopback address and is killed by pid after a few seconds.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, randomLoopbackIp, requireGoSerf, runGoSerf } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLogLevel } from "../logging/log-level.ts";
import { ConfigError, formatConfigError } from "./config-error.ts";
import { readConfig } from "./read-config.ts";
import {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
} from "./setup-checks.ts";

const hasSerf = requireGoSerf();

/** Runs Go's `serf agent ARGV` in `cwd`; a guard binds it to a random loopback address. */
async function runGo(
  argv: string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const ip = randomLoopbackIp();
  const guard = [`-bind=${ip}:${await freePort(ip, { udp: true })}`, `-rpc-addr=${ip}:7373`];
  const { stdout, stderr, code } = await runGoSerf(["agent", ...guard, ...argv], {
    cwd,
    timeoutMs: 5000,
  });
  return { stdout, stderr, code };
}

/** Our startup checks in Go's order, rendered as Go prints them. */
async function runOurs(argv: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = "";
  try {
    const { config, warnings } = readConfig(argv, { interfaceExists: (n) => n === "lo" });
    for (const warning of warnings) stdout += `==> ${warning}\n`;
    checkLogLevel(config.logLevel);
    await checkBindAddr(config.bindAddr);
    if (config.advertiseAddr !== "") await checkAdvertiseAddr(config.advertiseAddr);
    decodeEncryptKey(config.encryptKey);
    checkProfile(config.profile);
    return { stdout: `${stdout}(started)`, stderr: "" };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (err.showUsage) return { stdout: "", stderr: `${err.message}\n` };
    return { stdout: `${stdout}${formatConfigError(err)}\n`, stderr: "" };
  }
}

/** `@/` stands for the temporary directory holding the config files. */
const CASES: string[][] = [
  ["-x"],
  ["-protocol=abc"],
  ["-protocol=99999999999999999999"],
  ["-retry-max=0x"],
  ["-replay=maybe"],
  ["-node"],
  ["---node=a"],
  ["-=a"],
  ["-tag=foo"],
  ["-tag==v"],
  ["-retry-interval=abc"],
  ["-retry-interval=10"],
  ["-retry-interval=5\u00b5x"],
  ["-retry-interval=99999999999h"],
  ["-broadcast-timeout=1x"],
  ["-event-handler=foo=bar.sh"],
  ["-event-handler=member-join,bogus,user:x=bar.sh"],
  ["-event-handler=USER:x=a.sh"],
  ["-iface=nope0"],
  ["-log-level=foo"],
  ["-profile=foo"],
  ["-encrypt=abc"],
  ["-encrypt=YWJjZA==="],
  ["-encrypt=YQ="],
  ["-bind=127.0.0.1:x"],
  ["-bind=::1"],
  ["-bind=127.0.0.1:70000"],
  ["-bind=[::1"],
  ["-bind=a[b:5"],
  ["-advertise=1.2.3.4:x"],
  ["-config-file=@/missing.json"],
  ["-tag=x", "-config-file=@/missing.json"],
  ["-config-file=@/missing.json", "-retry-interval=x"],
  ["-config-dir=@/conf"],
  ["-config-file=@/unknown.json"],
  ["-config-file=@/types.json"],
  ["-config-file=@/eof.json"],
  ["-config-file=@/empty.json"],
  ["-config-file=@/syntax.json"],
  ["-config-file=@/dash.json"],
  ["-config-file=@/duration.json"],
  ["-config-file=@/array.json"],
  ["-config-file=@/ok.json", "-config-file=@/bad-handler.json"],
  // Warnings are printed before the log level is checked.
  ["-rejoin", "-retry-interval=500ms", "-broadcast-timeout=10ms", "-role=r", "-log-level=foo"],
  ["-config-file=@/dash2.json", "-log-level=nope"],
];

describe.skipIf(!hasSerf)("parity with the Go serf binary", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "serf-agent-parity-"));
    const files: Record<string, string> = {
      "unknown.json": '{"bogus_key": 1, "another": 2}',
      "types.json":
        '{"tags": {"a": 1, "b": true, "c": [1, "x"]}, "protocol": "x", "node_name": 1234567}',
      "eof.json": '{"node_name": "a"',
      "empty.json": "",
      "syntax.json": '{"node_name" "x"}',
      "dash.json": '{"-": "x"}',
      "duration.json": '{"reconnect_timeout": "10x"}',
      "array.json": "[1, 2]",
      "ok.json": '{"node_name": "n", "event_handlers": ["user=a.sh"]}',
      "bad-handler.json": '{"event_handlers": ["bogus=b.sh"]}',
      "dash2.json": '{"-": 500000000}',
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "1.json"), '{"node_name": "a"}');
    writeFileSync(join(dir, "conf", "2.json"), '{"start_join": "x"}');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)("%j", async (...args) => {
    const argv = args.map((a) => a.replace("@/", `${dir}/`));
    const [go, ours] = await Promise.all([runGo(argv, dir), runOurs(argv)]);
    expect(go.code).toBe(1);
    if (ours.stderr !== "") {
      // Flag errors: message on stderr, usage text on stdout.
      expect(go.stderr).toBe(ours.stderr);
      expect(go.stdout.startsWith("==> Usage: serf agent [options]")).toBe(true);
    } else {
      expect(go.stdout).toBe(ours.stdout);
    }
  });
});
