import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  canRun,
  eventually,
  findGoSerf,
  freePort,
  goSerfKeygen,
  goSerfMembers,
  isAddressInUse,
  misboundAddress,
  missingFile,
  randomLoopbackIp,
  requireGoSerf,
  runCommand,
  runGoSerf,
  runningPids,
  startGoAgent,
  startGoCluster,
  stopAll,
  trackedPids,
  writeQueryResponder,
} from "./index.ts";

const haveGo = requireGoSerf();

describe("findGoSerf", () => {
  it("skips node_modules/.bin and scripts on PATH (our CLI's `serf` shim is not Go's)", () => {
    const dir = mkdtempSync(join(tmpdir(), "serf-ts-testkit-path-"));
    const saved = { PATH: process.env.PATH, SERF_BIN: process.env.SERF_BIN };
    try {
      const shimDir = join(dir, "node_modules", ".bin");
      const scriptDir = join(dir, "scripts");
      mkdirSync(shimDir, { recursive: true });
      mkdirSync(scriptDir);
      writeFileSync(join(shimDir, "serf"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      writeFileSync(join(scriptDir, "serf"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      delete process.env.SERF_BIN;
      process.env.PATH = [shimDir, scriptDir, saved.PATH ?? ""].join(":");
      const found = findGoSerf();
      expect(found === undefined || !found.startsWith(dir)).toBe(true);
      process.env.SERF_BIN = join(dir, "missing");
      expect(findGoSerf()).toBeUndefined();
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.SERF_BIN === undefined) delete process.env.SERF_BIN;
      else process.env.SERF_BIN = saved.SERF_BIN;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("canRun (a test's missing precondition)", () => {
  const withCi = <T>(value: string | undefined, body: () => T): T => {
    const saved = process.env.CI;
    if (value === undefined) delete process.env.CI;
    else process.env.CI = value;
    try {
      return body();
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  };

  it("runs when nothing is missing, in CI or not", () => {
    expect(withCi("true", () => canRun("x tests", undefined))).toBe(true);
    expect(withCi(undefined, () => canRun("x tests", undefined))).toBe(true);
  });

  it("fails under CI=true instead of skipping", () => {
    const missing = missingFile("/nonexistent/serf-ts/dist/main.js", "build @serf-ts/cli");
    expect(missing).toBe("/nonexistent/serf-ts/dist/main.js is missing: build @serf-ts/cli");
    expect(() => withCi("true", () => canRun("serf-ts CLI tests", missing))).toThrow(
      "SERF-TS CLI TESTS CANNOT RUN IN CI: /nonexistent/serf-ts/dist/main.js is missing",
    );
  });

  it("skips with a loud warning elsewhere", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(withCi(undefined, () => canRun("serf-ts CLI tests", "no CLI"))).toBe(false);
      expect(withCi("false", () => canRun("serf-ts CLI tests", "no CLI"))).toBe(false);
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[0]?.[0])).toContain("SKIPPING serf-ts CLI tests: no CLI");
    } finally {
      warn.mockRestore();
    }
  });

  it("missingFile is undefined for a file that exists", () => {
    expect(missingFile(import.meta.filename, "x")).toBeUndefined();
  });
});

describe("misboundAddress", () => {
  const banner = (bind: string, rpc: string) =>
    `==> Serf agent running!\n  Bind addr: '${bind}'\n  RPC addr: '${rpc}'\n`;
  it("flags an agent that did not bind where it was told", () => {
    expect(misboundAddress(banner("0.0.0.0:7946", "127.0.0.1:7373"), "127.1.2.3:1", "x")).toBe(
      "bound gossip to 0.0.0.0:7946, not 127.1.2.3:1",
    );
    expect(
      misboundAddress(banner("127.1.2.3:1", "127.0.0.1:7373"), "127.1.2.3:1", "127.1.2.3:2"),
    ).toBe("bound RPC to 127.0.0.1:7373, not 127.1.2.3:2");
    expect(
      misboundAddress(banner("127.1.2.3:1", "127.1.2.3:2"), "127.1.2.3:1", "127.1.2.3:2"),
    ).toBe(undefined);
    expect(misboundAddress("==> Starting Serf agent...\n", "a", "b")).toBe(undefined);
  });
});

describe("randomLoopbackIp", () => {
  it("is 127.a.b.c with octets in 1..254", () => {
    for (let i = 0; i < 2000; i++) {
      const parts = randomLoopbackIp().split(".").map(Number);
      expect(parts).toHaveLength(4);
      expect(parts[0]).toBe(127);
      for (const octet of parts.slice(1)) {
        expect(octet).toBeGreaterThanOrEqual(1);
        expect(octet).toBeLessThanOrEqual(254);
      }
    }
  });
});

describe("freePort", () => {
  it("returns a port that can be bound on that IP, never an excluded one", async () => {
    const ip = randomLoopbackIp();
    const port = await freePort(ip, { udp: true });
    const other = await freePort(ip, { exclude: [port] });
    expect(other).not.toBe(port);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ host: ip, port }, resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("recognises 'address in use' in Go and Node messages", () => {
    expect(isAddressInUse("listen tcp 127.0.0.1:7373: bind: address already in use")).toBe(true);
    expect(isAddressInUse("Error: listen EADDRINUSE: address already in use")).toBe(true);
    expect(isAddressInUse("agent: received interrupt")).toBe(false);
  });
});

describe("eventually", () => {
  it("resolves with the first value not undefined/false; errors mean 'not yet'", async () => {
    let n = 0;
    const v = await eventually(
      () => {
        n++;
        if (n === 1) throw new Error("boom");
        return n < 3 ? false : n;
      },
      { intervalMs: 1 },
    );
    expect(v).toBe(3);
  });

  it("rejects after the timeout with describe() and the last error", async () => {
    const started = Date.now();
    await expect(
      eventually(
        () => {
          throw new Error("still broken");
        },
        { timeoutMs: 150, intervalMs: 20, describe: () => "state=x" },
      ),
    ).rejects.toThrow(/within 150 ms \(last error: still broken\): state=x/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("runCommand", () => {
  it("captures output and exit code, and kills by PID on timeout", async () => {
    const ok = await runCommand(process.execPath, ["-e", "console.log('hi'); process.exit(3)"]);
    expect(ok).toEqual({ stdout: "hi\n", stderr: "", code: 3, signal: null });
    const slow = await runCommand(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      timeoutMs: 200,
    });
    expect(slow.signal).toBe("SIGKILL");
    expect(trackedPids()).toEqual([]);
  });
});

describe.skipIf(!haveGo)("Go serf agents", () => {
  afterAll(async () => {
    await stopAll();
    expect(trackedPids()).toEqual([]);
  });

  it("starts one agent on a loopback IP and reads its members", async () => {
    const agent = await startGoAgent({ name: "tk-one", tags: { role: "web" }, profile: "local" });
    expect(agent.ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(agent.kind).toBe("go");
    expect(runningPids()).toContain(agent.pid);
    const members = await agent.members();
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({
      name: "tk-one",
      addr: agent.bindAddress,
      port: agent.bindPort,
      status: "alive",
      tags: { role: "web" },
    });
    expect(await agent.cli(["info", "-format=json"])).toContain('"name": "tk-one"');
    expect(agent.log()).toMatch(/Serf agent starting/);
    await agent.stop();
    expect(agent.exited).toBe(true);
    expect(trackedPids()).not.toContain(agent.pid);
  });

  it("gives up on a taken fixed port after the attempts, with the agent's log", async () => {
    const ip = randomLoopbackIp();
    const port = await freePort(ip);
    // Holds the port; drops whatever connects (serf's readiness probe included).
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen({ host: ip, port }, resolve));
    try {
      // Fixed RPC port that is taken: every attempt fails, the error carries Go's log.
      await expect(
        startGoAgent({ ip, rpcPort: port, attempts: 2, startTimeoutMs: 8000 }),
      ).rejects.toThrow(/did not start: attempt 2: .*address already in use/s);
      expect(runningPids()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("rpc auth, encryption and a query responder in a 2-node cluster", async () => {
    const dir = mkdtempSync(join(tmpdir(), "serf-ts-testkit-"));
    try {
      const key = await goSerfKeygen();
      expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const script = writeQueryResponder(dir, "hi-");
      const [a, b] = await startGoCluster(
        2,
        (i) => ({
          profile: "local",
          encryptKey: key,
          eventHandlers: [`query:greet=${script}`],
          ...(i === 1 ? { rpcAuth: "s3cret" } : {}),
        }),
        { namePrefix: "tk-" },
      );
      if (a === undefined || b === undefined) throw new Error("two agents expected");
      expect([a.name, b.name]).toEqual(["tk-1", "tk-2"]);
      // Without the auth key the first agent refuses; with it, members answer.
      const denied = await runGoSerf(["members", `-rpc-addr=${a.rpcAddress}`]);
      expect(denied.code).not.toBe(0);
      expect((await goSerfMembers(a.rpcAddress, { rpcAuth: "s3cret" })).length).toBe(2);
      const out = await b.cli(["query", "-format=json", "-timeout=3s", "greet"]);
      const responses = (JSON.parse(out) as { Responses: Record<string, string> }).Responses;
      expect(responses).toEqual({ "tk-1": "hi-tk-1", "tk-2": "hi-tk-2" });
      // SIGKILL: the other side eventually marks it failed.
      await b.kill();
      await eventually(
        async () => (await a.members()).find((m) => m.name === "tk-2")?.status === "failed",
        { timeoutMs: 15_000, intervalMs: 250 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
