/**
 * TS ↔ Go serf 0.9.4 over mDNS. Go serf's mDNS code binds on all interfaces and its querier
 * joins the group on the default interface (`-iface` only narrows the responder and the send
 * interface), so everything runs inside a network namespace this test creates and deletes:
 * only `lo`, with multicast routes (`224.0.0.0/4` and, because Go also queries `ff02::fb` and
 * gives up when that send fails, `ff00::/8`).
 *
 * - go2: plain Go agent at 127.0.0.2:7946 (no discovery);
 * - TS child: advertises node `ts1` at go2's address and polls;
 * - go1: Go agent at 127.0.0.1:7946 with `-discover`.
 *
 * go1 can only learn go2's address from the TS records, so go2 in go1's member list proves Go
 * decoded and joined what TS advertises; the TS child reporting 127.0.0.1:7946 proves TS reads
 * Go's records.
 */

import { type ChildProcess, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { hostname } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  eventually,
  goSerfAvailability,
  runCommand,
  spawnTracked,
  stopProcess,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MdnsServiceEntry } from "./mdns-discovery.ts";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..", "..");
const childScript = join(here, "testing", "mdns-netns-child.ts");

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

function availability(): { ok: true } | { ok: false; reason: string } {
  const serf = goSerfAvailability();
  if (!serf.available) return { ok: false, reason: serf.reason };
  if (findExecutable("ip") === undefined) return { ok: false, reason: "`ip` was not found" };
  if (findExecutable("timeout") === undefined) return { ok: false, reason: "no `timeout`" };
  if (process.getuid?.() !== 0) return { ok: false, reason: "network namespaces need root" };
  return { ok: true };
}

function cannotRun(reason: string): void {
  if (process.env.CI === "true") throw new Error(`GO SERF mDNS TESTS CANNOT RUN IN CI: ${reason}`);
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPING Go serf mDNS tests: ${reason}\n${"!".repeat(78)}\n`,
  );
}

const avail = availability();
if (!avail.ok) cannotRun(avail.reason);

const SERF = goSerfAvailability().path ?? "serf";
const NS = `serf-mdns-${randomBytes(4).toString("hex")}`;
const CLUSTER = `c${randomBytes(3).toString("hex")}`;
/** Upper bound on every process we start (seconds), in case cleanup never runs. */
const PROCESS_LIFETIME_S = "90";

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly out: string[];
  exited: boolean;
}

const procs: Proc[] = [];
let nsCreated = false;
let nsError: string | undefined;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

function deleteNamespace(): void {
  if (!nsCreated) return;
  nsCreated = false;
  try {
    ip("netns", "del", NS);
  } catch {
    // already gone
  }
}

function spawnInNs(name: string, args: readonly string[], env?: NodeJS.ProcessEnv): Proc {
  const child = spawnTracked(
    "ip",
    ["netns", "exec", NS, "timeout", "-k", "2", PROCESS_LIFETIME_S, ...args],
    { cwd: packageDir, env: env ?? process.env },
  );
  const proc: Proc = { name, child, out: [], exited: false };
  let partial = "";
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString("utf8");
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    proc.out.push(...lines);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.on("exit", () => {
    proc.exited = true;
  });
  procs.push(proc);
  return proc;
}

/** SIGTERM by pid, SIGKILL after 5 s. */
async function stopProc(proc: Proc): Promise<void> {
  await stopProcess(proc.child, "SIGTERM", 5_000);
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  await eventually(cond, {
    timeoutMs: ms,
    intervalMs: 200,
    describe: () => {
      const dump = procs.map((p) => `--- ${p.name}\n${p.out.join("\n")}`).join("\n");
      return `timed out waiting for ${what}\n${dump}`;
    },
  });
}

function childEvents(proc: Proc): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of proc.out) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not ours
    }
  }
  return events;
}

async function membersOf(rpcAddr: string): Promise<string> {
  const r = await runCommand("ip", ["netns", "exec", NS, SERF, "members", `-rpc-addr=${rpcAddr}`], {
    timeoutMs: 5_000,
  });
  return r.code === 0 ? r.stdout : "";
}

// Processes are killed by pid at exit by @serf-ts/testkit; the namespace is ours to delete.
process.once("exit", () => {
  deleteNamespace();
});

describe.skipIf(!avail.ok)("mDNS discovery with Go serf 0.9.4 (inside a network namespace)", () => {
  beforeAll(() => {
    try {
      ip("netns", "add", NS);
      nsCreated = true;
      ip("netns", "exec", NS, "ip", "link", "set", "lo", "up", "multicast", "on");
      ip("netns", "exec", NS, "ip", "route", "add", "224.0.0.0/4", "dev", "lo");
      ip(
        "netns",
        "exec",
        NS,
        "ip",
        "-6",
        "route",
        "add",
        "ff00::/8",
        "dev",
        "lo",
        "table",
        "local",
      );
    } catch (err) {
      nsError = `could not set up network namespace ${NS}: ${String(err)}`;
      deleteNamespace();
    }
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProc(p)));
    deleteNamespace();
  }, 20_000);

  it("Go joins the peer TS advertises, and TS discovers the Go agent", async (ctx) => {
    if (nsError !== undefined) {
      cannotRun(nsError);
      ctx.skip();
      return;
    }
    const go2 = spawnInNs("go2", [
      SERF,
      "agent",
      "-node=go2",
      "-bind=127.0.0.2:7946",
      "-rpc-addr=127.0.0.2:7373",
    ]);
    const ts = spawnInNs("ts1", [process.execPath, "--import", "tsx", childScript], {
      ...process.env,
      MDNS_CHILD_CONFIG: JSON.stringify({
        cluster: CLUSTER,
        nodeName: "ts1",
        advertiseIp: "127.0.0.2",
        advertisePort: 7946,
        pollIntervalMs: 500,
      }),
    });
    await waitFor(
      () => childEvents(ts).some((e) => e.event === "ready" || e.event === "fatal") || ts.exited,
      20_000,
      "the TS child to start advertising",
    );
    expect(childEvents(ts).find((e) => e.event === "fatal")).toBeUndefined();
    await waitFor(() => go2.out.some((l) => l.includes("Serf agent running")), 10_000, "go2");

    const go1 = spawnInNs("go1", [
      SERF,
      "agent",
      "-node=go1",
      "-bind=127.0.0.1:7946",
      "-rpc-addr=127.0.0.1:7373",
      `-discover=${CLUSTER}`,
    ]);

    // Go -> TS: go1's first poll (at start) must find ts1's records and join go2's address.
    let members = "";
    await waitFor(
      async () => {
        members = await membersOf("127.0.0.1:7373");
        return /^go2\s+127\.0\.0\.2:7946\s+alive/m.test(members);
      },
      20_000,
      "go1 to join the address advertised by TS",
    );
    expect(members).toMatch(/^go1\s+127\.0\.0\.1:7946\s+alive/m);
    await waitFor(
      () => go1.out.some((l) => l.includes("[INFO] agent.mdns: Joined")),
      5_000,
      "go1's mDNS join log",
    );
    expect(go1.out.join("\n")).toContain("127.0.0.2:7946");
    expect(go1.out.join("\n")).not.toContain("[ERR] agent.mdns");

    // TS -> Go: the TS poller reports go1 (and never itself).
    await waitFor(
      () =>
        childEvents(ts).some(
          (e) => e.event === "peers" && (e.addrs as string[]).includes("127.0.0.1:7946"),
        ),
      20_000,
      "the TS child to discover go1",
    );
    const tsLogs = (): string[] => childEvents(ts).map((e) => String(e.line ?? ""));
    await waitFor(() => tsLogs().includes("[INFO] Joined 1 hosts"), 5_000, "the TS join log");
    const peers = childEvents(ts)
      .filter((e) => e.event === "peers")
      .flatMap((e) => e.addrs as string[]);
    expect(peers).toEqual(["127.0.0.1:7946"]);
    const logs = tsLogs();
    expect(logs.filter((l) => l.startsWith("[ERR]"))).toEqual([]);

    // Go's records as TS decodes them.
    const entries = childEvents(ts)
      .filter((e) => e.event === "entry")
      .map((e) => e.entry as MdnsServiceEntry);
    expect(entries).toContainEqual({
      name: `go1._serf_${CLUSTER}._tcp.local.`,
      host: `${hostname()}.`,
      addrV4: "127.0.0.1",
      addr: "127.0.0.1",
      port: 7946,
      info: `Serf '${CLUSTER}' cluster`,
      infoFields: [`Serf '${CLUSTER}' cluster`],
    });
    expect(entries.map((e) => e.name)).toContain(`ts1._serf_${CLUSTER}._tcp.local.`);
  }, 60_000);
});
