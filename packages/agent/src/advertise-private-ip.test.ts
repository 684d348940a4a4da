/**
 * The address advertised with `-bind=0.0.0.0` (issue 11 item 7), side by side with Go serf
 * 0.9.4, inside network namespaces this test creates and deletes:
 *
 * - `pub`: a public address on `pub0` (holding the default route) and a private one on
 *   `priv0`: our agent and Go's both advertise the private address (Go's `serf members`, after
 *   one joined the other, lists both at `10.77.0.2`);
 * - `nopriv`: only the public address: both refuse to start with Go's
 *   `No private IP address found, and explicit IP not provided`.
 *
 * Needs root, `ip` and the Go `serf` binary: under `CI=true` their absence fails the test,
 * elsewhere it is skipped loudly.
 */

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  eventually,
  goSerfAvailability,
  runCommand,
  spawnTracked,
  stopProcess,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = join(REPO_ROOT, "packages/agent/src/bin.ts");
const OURS = [process.execPath, "--conditions=@serf-ts/source", "--import", "tsx", BIN];

function availability(): string | undefined {
  const serf = goSerfAvailability();
  if (!serf.available) return serf.reason;
  if (process.getuid?.() !== 0) return "network namespaces need root";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "`ip` (iproute2) was not found";
  }
  return undefined;
}

const unavailable = availability();
if (unavailable !== undefined) {
  if (process.env.CI === "true") {
    throw new Error(`ADVERTISE-ADDRESS TESTS CANNOT RUN IN CI: ${unavailable}`);
  }
  console.warn(`\n!! SKIPPING advertise-address namespace tests: ${unavailable}\n`);
}

const SERF = goSerfAvailability().path ?? "serf";
const SUFFIX = randomBytes(3).toString("hex");
const NS_PUB = `serf-adv-${SUFFIX}`;
const NS_NOPRIV = `serf-nopriv-${SUFFIX}`;
const PUBLIC_IP = "93.184.216.34";
const PRIVATE_IP = "10.77.0.2";
const created: string[] = [];

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

function makeNamespace(name: string, withPrivate: boolean): void {
  ip("netns", "add", name);
  created.push(name);
  const inNs = (...args: string[]) => ip("netns", "exec", name, "ip", ...args);
  inNs("link", "set", "lo", "up");
  // veth pairs (no dummy module needed); both ends up, so the address side is "running".
  const link = (dev: string, address: string) => {
    inNs("link", "add", dev, "type", "veth", "peer", "name", `${dev}p`);
    inNs("addr", "add", `${address}/24`, "dev", dev);
    inNs("link", "set", `${dev}p`, "up");
    inNs("link", "set", dev, "up");
  };
  link("pub0", PUBLIC_IP);
  inNs("route", "add", "default", "dev", "pub0");
  if (withPrivate) link("priv0", PRIVATE_IP);
}

function deleteNamespaces(): void {
  for (const name of created.splice(0)) {
    try {
      ip("netns", "del", name);
    } catch {
      // already gone
    }
  }
}

process.once("exit", deleteNamespaces);

/** Runs a command inside `ns`, bounded by `timeout` (also if this test dies). */
function inNamespace(ns: string, argv: readonly string[], seconds: number) {
  return runCommand("ip", ["netns", "exec", ns, "timeout", "-k", "2", String(seconds), ...argv], {
    timeoutMs: (seconds + 5) * 1000,
    cwd: REPO_ROOT,
  });
}

/** `serf agent` flags binding 0.0.0.0 (the default bind address) with a loopback RPC port. */
function agentArgs(name: string, port: number, rpcPort: number, extra: string[] = []): string[] {
  return [
    `-node=${name}`,
    `-bind=0.0.0.0:${port}`,
    `-rpc-addr=127.0.0.1:${rpcPort}`,
    "-profile=local",
    ...extra,
  ];
}

describe.skipIf(unavailable !== undefined)("advertise address with -bind=0.0.0.0 (vs Go)", () => {
  beforeAll(() => {
    makeNamespace(NS_PUB, true);
    makeNamespace(NS_NOPRIV, false);
  });

  afterAll(() => {
    deleteNamespaces();
  });

  it("both advertise the private address, not the public one on the default interface", async () => {
    // `ip netns exec` execs `timeout`, which bounds the agent's life and forwards our SIGTERM.
    let output = "";
    const start = (argv: readonly string[]) => {
      const child = spawnTracked(
        "ip",
        ["netns", "exec", NS_PUB, "timeout", "-k", "2", "40", ...argv],
        { cwd: REPO_ROOT },
      );
      child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
      return child;
    };
    const members = async (rpcPort: number): Promise<string> => {
      const r = await inNamespace(NS_PUB, [SERF, "members", `-rpc-addr=127.0.0.1:${rpcPort}`], 5);
      return r.stdout;
    };
    const ours = start([...OURS, ...agentArgs("ts", 7946, 7373)]);
    let go: ReturnType<typeof start> | undefined;
    let seen = "";
    try {
      // Go joins ours (through the private address) once ours answers.
      await eventually(async () => (await members(7373)).includes("ts "), {
        timeoutMs: 20_000,
        intervalMs: 300,
        describe: () => `our agent did not start:\n${output}`,
      });
      go = start([SERF, "agent", ...agentArgs("go", 7947, 7374, [`-join=${PRIVATE_IP}:7946`])]);
      await eventually(
        async () => {
          seen = await members(7374);
          return seen.includes("ts ") && seen.includes("go ");
        },
        { timeoutMs: 30_000, intervalMs: 300, describe: () => `members: ${seen}\n${output}` },
      );
      expect(seen).toMatch(new RegExp(`^ts\\s+${PRIVATE_IP}:7946\\s+alive`, "m"));
      expect(seen).toMatch(new RegExp(`^go\\s+${PRIVATE_IP}:7947\\s+alive`, "m"));
      expect(seen).not.toContain(PUBLIC_IP);
    } finally {
      await stopProcess(ours, "SIGTERM", 5000);
      if (go !== undefined) await stopProcess(go, "SIGTERM", 5000);
    }
  }, 60_000);

  it("without a private address both refuse to start with Go's message", async () => {
    const [ours, go] = await Promise.all([
      inNamespace(NS_NOPRIV, [...OURS, ...agentArgs("ts", 7946, 7373)], 30),
      inNamespace(NS_NOPRIV, [SERF, "agent", ...agentArgs("go", 7947, 7374)], 30),
    ]);
    const failure = (out: string) =>
      out
        .split("\n")
        .map((l) => l.replace(/^==> /, ""))
        .find((l) => l.startsWith("Failed to start the Serf agent"));
    const expected =
      "Failed to start the Serf agent: Error creating Serf: Failed to create memberlist: " +
      "Failed to get final advertise address: No private IP address found, and explicit IP not provided";
    expect(failure(go.stdout + go.stderr)).toBe(expected);
    expect(go.code).toBe(1);
    expect(failure(ours.stdout + ours.stderr)).toBe(expected);
    expect(ours.code).toBe(1);
  }, 60_000);
});
