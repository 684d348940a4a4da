/**
 * What an agent loads at start (issue 17, agent RSS): prom-client and `node:http` only with
 * `-http-addr`. An agent without it must not carry them (prom-client alone is ~13 MB of RSS).
 *
 * The agent executable (`src/bin.ts` through tsx) runs with a preloaded module that, on
 * SIGUSR2, writes which of them the process has loaded: `node:http` from
 * `process.moduleLoadList`, prom-client from the CommonJS module cache.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AgentProcess,
  eventually,
  freePort,
  startAgentProcess,
  stopAll,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");

const PRELOAD = `
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
process.on("SIGUSR2", () => {
  writeFileSync(process.env.LOADED_REPORT, JSON.stringify({
    http: process.moduleLoadList.includes("NativeModule http"),
    promClient: Object.keys(require.cache).some((p) => p.includes("prom-client")),
  }));
});
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-modules-"));
  writeFileSync(join(dir, "preload.mjs"), PRELOAD);
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function loadedBy(name: string, extraArgs: string[]) {
  const report = join(dir, `${name}.json`);
  const agent: AgentProcess = await startAgentProcess(
    {
      label: "ts",
      file: process.execPath,
      args: [
        "--conditions=@serf-ts/source",
        "--import",
        "tsx",
        "--import",
        join(dir, "preload.mjs"),
        BIN,
      ],
      env: { LOADED_REPORT: report },
    },
    { name, profile: "local", logLevel: "info", extraArgs, startTimeoutMs: 30_000 },
    async (a) => {
      if (!a.log().includes("Log data will now stream in")) throw new Error("no banner yet");
    },
  );
  try {
    process.kill(agent.pid, "SIGUSR2");
    let text = "";
    await eventually(
      () => {
        try {
          text = readFileSync(report, "utf8");
        } catch {
          return false;
        }
        return text !== "";
      },
      { timeoutMs: 10_000, intervalMs: 50, describe: "no report from the agent" },
    );
    return JSON.parse(text) as { http: boolean; promClient: boolean };
  } finally {
    await agent.kill();
  }
}

describe("modules an agent loads at start", () => {
  it("without -http-addr: neither prom-client nor node:http", async () => {
    expect(await loadedBy("plain", [])).toEqual({ http: false, promClient: false });
  }, 60_000);

  it("with -http-addr: both (the probe sees them when they are there)", async () => {
    const port = await freePort("127.0.0.1");
    expect(await loadedBy("http", [`-http-addr=127.0.0.1:${port}`])).toEqual({
      http: true,
      promClient: true,
    });
  }, 60_000);
});
