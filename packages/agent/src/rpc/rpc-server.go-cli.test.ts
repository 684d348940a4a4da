/**
 * The real Go `serf` CLI (Debian serf 0.9.4) against our RPC server with an in-memory agent:
 * every command's output and exit code must be what the CLI prints against a Go agent with
 * the same data (texts from shared/protocol/cli.md).
 *
 * Without the `serf` binary the suite is skipped with a warning, or fails when CI=true
 * (`@serf-ts/testkit`'s `requireGoSerf`; `SERF_BIN` overrides the path).
 */

import {
  goSerfPath,
  randomLoopbackIp,
  requireGoSerf,
  runGoSerf,
  sleep,
  spawnTracked,
  stopAll,
  stopProcess,
} from "@serf-ts/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JoinError } from "./agent-backend.ts";
import { RpcServer } from "./rpc-server.ts";
import { keySuccess, MemoryAgentBackend, memoryMember } from "./testing/memory-backend.ts";

const serfAvailable = requireGoSerf();

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `serf CMD -rpc-addr=… ARGS` without blocking the event loop (the server runs here). */
function serf(cmd: string, addr: string, args: readonly string[] = [], timeoutMs = 10_000) {
  return runSerf([cmd, `-rpc-addr=${addr}`, ...args], timeoutMs);
}

async function runSerf(argv: readonly string[], timeoutMs = 10_000): Promise<Run> {
  const r = await runGoSerf(argv, { timeoutMs });
  if (r.code === null && r.signal === "SIGKILL") {
    throw new Error(`serf ${argv.join(" ")} timed out; stdout so far: ${r.stdout}`);
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A long-running CLI process whose output can be awaited line by line. */
function startSerf(argv: readonly string[]) {
  const child = spawnTracked(goSerfPath(), argv, {
    env: { ...process.env, SERF_RPC_ADDR: "", SERF_RPC_AUTH: "" },
  });
  child.stdout?.setEncoding("utf8");
  let stdout = "";
  const waiters = new Set<() => void>();
  child.stdout?.on("data", (d: string) => {
    stdout += d;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    /** Waits until stdout satisfies `pred`. */
    until(pred: (out: string) => boolean, timeoutMs = 5000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pred(stdout)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; stdout: ${JSON.stringify(stdout)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Both orders of n1's two tags (Go prints map entries in random order). */
const N1_TAGS = "(role=web1,dc=east|dc=east,role=web1)";

function coord(vec0: number, height: number, adjustment = 0) {
  return { vec: [vec0, 0, 0, 0, 0, 0, 0, 0], error: 1.5, adjustment, height };
}

function makeBackend(options: { rpcAuthKey?: string } = {}): MemoryAgentBackend {
  return new MemoryAgentBackend({
    localName: "n1",
    rpcAuthKey: options.rpcAuthKey ?? "",
    defaultQueryTimeoutMs: 400,
    members: [
      memoryMember("n1", [127, 0, 0, 1], { role: "web1", dc: "east" }),
      memoryMember("n2", [127, 0, 0, 2], { role: "web2" }),
      memoryMember("n3", [127, 0, 0, 3], { role: "web3" }, "left"),
    ],
    coordinates: new Map([
      ["n1", coord(0, 0.0001)],
      ["n2", coord(0.001, 0.0001)],
      ["n3", coord(-0.002, 0.00005, 0.0001)],
    ]),
    stats: new Map([
      ["agent", new Map([["name", "n1"]])],
      [
        "runtime",
        new Map([
          ["os", "linux"],
          ["arch", "amd64"],
          ["version", "node-v20"],
        ]),
      ],
      [
        "serf",
        new Map([
          ["members", "3"],
          ["failed", "0"],
          ["left", "1"],
          ["encrypted", "false"],
        ]),
      ],
      [
        "tags",
        new Map([
          ["role", "web1"],
          ["dc", "east"],
        ]),
      ],
      ["event_handlers", new Map([["*:", "./handler.sh"]])],
    ]),
  });
}

describe.skipIf(!serfAvailable)("Go serf CLI against our RPC server", () => {
  let backend: MemoryAgentBackend;
  let server: RpcServer;
  let addr: string;
  const logs: string[] = [];

  beforeEach(async () => {
    backend = makeBackend();
    logs.length = 0;
    server = new RpcServer({
      backend,
      logger: {
        debug: (m) => logs.push(`[DEBUG] ${m}`),
        info: (m) => logs.push(`[INFO] ${m}`),
        warn: (m) => logs.push(`[WARN] ${m}`),
        error: (m) => logs.push(`[ERR] ${m}`),
      },
    });
    addr = await server.listen(`${randomLoopbackIp()}:0`);
  });

  afterEach(async () => {
    await server.close();
    await stopAll();
  });

  /** After a CLI run every connection and stream of it is released. */
  async function expectReleased(): Promise<void> {
    for (let i = 0; i < 100 && server.connectionCount > 0; i++) await sleep(10);
    expect(server.connectionCount).toBe(0);
    expect(server.streamCount).toBe(0);
    expect(backend.eventSubscriberCount).toBe(0);
    expect(backend.logSubscriberCount).toBe(0);
  }

  it("members: text, -detailed, filters, no match, bad regexp", async () => {
    let r = await serf("members", addr);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^n1  127\\.0\\.0\\.1:7946  alive  ${N1_TAGS}\\n` +
          "n2  127\\.0\\.0\\.2:7946  alive  role=web2\\n" +
          "n3  127\\.0\\.0\\.3:7946  left   role=web3\\n$",
      ),
    );
    r = await serf("members", addr, ["-detailed"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[1]).toBe(
      "n2  127.0.0.2:7946  alive  role=web2          Protocol Version: 5  Available Protocol Range: [2, 5]",
    );

    r = await serf("members", addr, ["-status=alive", "-tag", "role=web[12]"]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(
      new RegExp(
        `^n1  127\\.0\\.0\\.1:7946  alive  ${N1_TAGS}\\nn2  127\\.0\\.0\\.2:7946  alive  role=web2\\n$`,
      ),
    );
    r = await serf("members", addr, ["-name", "n[23]"]);
    expect(r.stdout).toBe(
      "n2  127.0.0.2:7946  alive  role=web2\nn3  127.0.0.3:7946  left   role=web3\n",
    );
    // Missing tags match as "": every member has no "zone" tag.
    r = await serf("members", addr, ["-tag", "zone=", "-name", "n2"]);
    expect(r.stdout).toBe("n2  127.0.0.2:7946  alive  role=web2\n");
    r = await serf("members", addr, ["-status=failed"]);
    expect(r).toEqual({ code: 0, stdout: "\n", stderr: "" });
    r = await serf("members", addr, ["-name", "("]);
    expect(r).toEqual({ code: 1, stdout: "Error retrieving members: client closed\n", stderr: "" });
    await expectReleased();
    expect(
      logs.some((l) => l.startsWith("[ERR] Failed to evaluate request: Failed to compile regex")),
    ).toBe(true);
    expect(logs.filter((l) => l.startsWith("[INFO] Accepted client: ")).length).toBe(7);
  });

  it("members -format=json", async () => {
    let r = await serf("members", addr, ["-format=json", "-name", "n[12]"]);
    expect(r.code).toBe(0);
    const member = (name: string, ip: string, tags: string, status: string) =>
      `    {\n      "name": "${name}",\n      "addr": "${ip}:7946",\n      "port": 7946,\n` +
      `      "tags": ${tags},\n      "status": "${status}",\n      "protocol": {\n` +
      `        "max": 5,\n        "min": 2,\n        "version": 5\n      }\n    }`;
    expect(r.stdout).toBe(
      `{\n  "members": [\n${member(
        "n1",
        "127.0.0.1",
        '{\n        "dc": "east",\n        "role": "web1"\n      }',
        "alive",
      )},\n${member("n2", "127.0.0.2", '{\n        "role": "web2"\n      }', "alive")}\n  ]\n}\n`,
    );
    r = await serf("members", addr, ["-format=json", "-status=failed"]);
    expect(r).toEqual({ code: 0, stdout: '{\n  "members": null\n}\n', stderr: "" });
  });

  it("join: success, -replay, failure with the multierror text", async () => {
    let r = await serf("join", addr, ["127.0.0.1:7946", "127.0.0.2"]);
    expect(r).toEqual({
      code: 0,
      stdout: "Successfully joined cluster by contacting 2 nodes.\n",
      stderr: "",
    });
    r = await serf("join", addr, ["-replay", "127.0.0.9"]);
    expect(r.code).toBe(0);
    expect(backend.calls.filter((c) => c[0] === "join")).toEqual([
      ["join", ["127.0.0.1:7946", "127.0.0.2"], false],
      ["join", ["127.0.0.9"], true],
    ]);
    backend.joinHandler = async () => {
      throw new Error(
        "1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp 127.0.0.1:1: connect: connection refused\n\n",
      );
    };
    r = await serf("join", addr, ["127.0.0.1:1"]);
    expect(r).toEqual({
      code: 1,
      stdout:
        "Error joining the cluster: 1 error occurred:\n\t* Failed to join 127.0.0.1: dial tcp " +
        "127.0.0.1:1: connect: connection refused\n\n\n",
      stderr: "",
    });
    // A count together with an error: Go's client returns the error.
    backend.joinHandler = async () => {
      throw new JoinError("failed to broadcast join intent", 1);
    };
    r = await serf("join", addr, ["127.0.0.2"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error joining the cluster: failed to broadcast join intent\n",
      stderr: "",
    });
    await expectReleased();
  });

  it("event: payload, no payload, -coalesce=false, size limit", async () => {
    let r = await serf("event", addr, ["deploy", "v1.2.3"]);
    expect(r).toEqual({
      code: 0,
      stdout: "Event 'deploy' dispatched! Coalescing enabled: true\n",
      stderr: "",
    });
    r = await serf("event", addr, ["-coalesce=false", "restart"]);
    expect(r.stdout).toBe("Event 'restart' dispatched! Coalescing enabled: false\n");
    r = await serf("event", addr, ["big", "x".repeat(600)]);
    expect(r).toEqual({
      code: 1,
      stdout:
        "Error sending event: user event exceeds configured limit of 512 bytes before encoding\n",
      stderr: "",
    });
    expect(backend.calls.filter((c) => c[0] === "userEvent").slice(0, 2)).toEqual([
      ["userEvent", "deploy", utf8("v1.2.3"), true],
      ["userEvent", "restart", null, false],
    ]);
  });

  it("query: acks and responses in arrival order, then the totals", async () => {
    backend.onQuery = (q) => {
      const steps: Array<() => void> = [
        () => q.ack("n1"),
        () => q.respond("n1", utf8("resp-from-n1\n")),
        () => q.ack("n2"),
        () => q.respond("n2", utf8("resp-from-n2")),
      ];
      steps.forEach((step, i) => {
        setTimeout(step, 30 * (i + 1));
      });
    };
    const start = Date.now();
    const r = await serf("query", addr, ["-timeout=400ms", "hello", "payload"]);
    expect(r).toEqual({
      code: 0,
      stdout:
        "Query 'hello' dispatched\nAck from 'n1'\nResponse from 'n1': resp-from-n1\n" +
        "Ack from 'n2'\nResponse from 'n2': resp-from-n2\nTotal Acks: 2\nTotal Responses: 2\n",
      stderr: "",
    });
    expect(Date.now() - start).toBeGreaterThanOrEqual(390);
    expect(backend.queries[0]?.params).toEqual({
      filterNodes: [],
      filterTags: new Map(),
      requestAck: true,
      relayFactor: 0,
      timeoutMs: 400,
      name: "hello",
      payload: utf8("payload"),
    });
    await expectReleased();
    expect(backend.openQueryCount).toBe(0);
  });

  it("query: -no-ack -format=json, filters, reserved names, no responses", async () => {
    backend.onQuery = (q) => {
      setTimeout(() => q.respond("n1", utf8("to-stdout\nto-stderr\n")), 20);
    };
    let r = await serf("query", addr, [
      "-no-ack",
      "-format=json",
      "-node=n1",
      "-tag",
      "role=web.*",
      "-relay-factor=2",
      "-timeout=250ms",
      "hello",
    ]);
    expect(r).toEqual({
      code: 0,
      stdout:
        '{\n  "Acks": null,\n  "Responses": {\n    "n1": "to-stdout\\nto-stderr\\n"\n  }\n}\n',
      stderr: "",
    });
    expect(backend.queries[0]?.params).toMatchObject({
      filterNodes: ["n1"],
      filterTags: new Map([["role", "web.*"]]),
      requestAck: false,
      relayFactor: 2,
      payload: null,
    });
    backend.onQuery = undefined;
    r = await serf("query", addr, ["-timeout=200ms", "nobody-answers"]);
    expect(r.stdout).toBe("Query 'nobody-answers' dispatched\nTotal Acks: 0\nTotal Responses: 0\n");
    r = await serf("query", addr, ["_serf_custom"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error sending query: Queries cannot contain the '_serf_' prefix\n",
      stderr: "",
    });
    await expectReleased();
  });

  it("reachability: members + _serf_ping acks", async () => {
    backend.onQuery = (q) => {
      setTimeout(() => q.ack("n1"), 10);
      setTimeout(() => q.ack("n2"), 20);
    };
    const r = await serf("reachability", addr, ["-verbose"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Total members: 3, live members: 2\nStarting reachability test\.\.\.\n\tAck from 'n1'\n\tAck from 'n2'\nQuery time: 0\.\d\d sec, time to last response: 0\.\d\d sec\nSuccessfully contacted all live nodes\n$/,
    );
    expect(backend.queries[0]?.params).toMatchObject({ name: "_serf_ping", payload: null });
  });

  it("tags -set / -delete", async () => {
    const r = await serf("tags", addr, ["-set", "role=db", "-set", "zone=z1", "-delete", "dc"]);
    expect(r).toEqual({ code: 0, stdout: "Successfully updated agent tags\n", stderr: "" });
    expect(backend.calls.filter((c) => c[0] === "setTags")).toEqual([
      [
        "setTags",
        new Map([
          ["role", "db"],
          ["zone", "z1"],
        ]),
        ["dc"],
      ],
    ]);
    const big = await serf("tags", addr, ["-set", `k=${"v".repeat(600)}`]);
    expect(big).toEqual({
      code: 1,
      stdout: "Error setting tags: Encoded length of tags exceeds limit of 512 bytes\n",
      stderr: "",
    });
  });

  it("keys: -list on a plain cluster, -list / -install / -use / -remove on an encrypted one", async () => {
    let r = await serf("keys", addr, ["-list"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n");
    // The per-node lines come in Go map order.
    expect([lines[0], ...lines.slice(4)]).toEqual([
      "==> Asking all members for installed keys...",
      "",
      "Failed to gather member keys: 3/3 nodes reported failure",
      "",
    ]);
    expect(lines.slice(1, 4).sort()).toEqual([
      "failed:  n1  Keyring is empty (encryption not enabled)",
      "failed:  n2  Keyring is empty (encryption not enabled)",
      "failed:  n3  Keyring is empty (encryption not enabled)",
    ]);
    const KEY = "T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=";
    backend.keyHandler = async (op, key) => {
      if (op === "list") return keySuccess(2, new Map([[KEY, 2]]));
      if (key === "notbase64!!") {
        return { ...keySuccess(0), error: "illegal base64 data at input byte 9" };
      }
      if (op === "remove") {
        return {
          keys: new Map([[KEY, 2]]), // sent as nil whatever the backend says
          messages: new Map([["n1", "Removing the primary key is not allowed"]]),
          numErr: 1,
          numNodes: 2,
          numResp: 2,
          error: "1/2 nodes reported failure",
        };
      }
      return keySuccess(2);
    };
    r = await serf("keys", addr, ["-list"]);
    expect(r).toEqual({
      code: 0,
      stdout:
        "==> Asking all members for installed keys...\n==> Keys gathered, listing cluster keys...\n\n" +
        `${KEY}  [2/2]\n`,
      stderr: "",
    });
    r = await serf("keys", addr, [`-install=${KEY}`]);
    expect(r).toEqual({
      code: 0,
      stdout: "==> Installing key on all members...\n==> Successfully installed key!\n",
      stderr: "",
    });
    r = await serf("keys", addr, [`-use=${KEY}`]);
    expect(r.stdout).toBe(
      "==> Changing primary key on all members...\n==> Successfully changed primary key!\n",
    );
    r = await serf("keys", addr, [`-remove=${KEY}`]);
    expect(r).toEqual({
      code: 1,
      stdout:
        "==> Removing key on all members...\n" +
        "failed:  n1  Removing the primary key is not allowed\n\n" +
        "Error removing key: 1/2 nodes reported failure\n",
      stderr: "",
    });
    r = await serf("keys", addr, ["-install=notbase64!!"]);
    expect(r).toEqual({
      code: 1,
      stdout:
        "==> Installing key on all members...\n\nError installing key: illegal base64 data at input byte 9\n",
      stderr: "",
    });
    expect(backend.calls.filter((c) => c[0] !== "members").map((c) => c[0])).toEqual([
      "listKeys",
      "listKeys",
      "installKey",
      "useKey",
      "removeKey",
      "installKey",
    ]);
  });

  it("info: text and json", async () => {
    let r = await serf("info", addr);
    expect(r).toEqual({
      code: 0,
      stdout:
        "agent:\n\tname = n1\nevent_handlers:\n\t*: = ./handler.sh\nruntime:\n\tarch = amd64\n" +
        "\tos = linux\n\tversion = node-v20\nserf:\n\tencrypted = false\n\tfailed = 0\n" +
        "\tleft = 1\n\tmembers = 3\ntags:\n\tdc = east\n\trole = web1\n",
      stderr: "",
    });
    r = await serf("info", addr, ["-format=json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      agent: { name: "n1" },
      event_handlers: { "*:": "./handler.sh" },
      runtime: { arch: "amd64", os: "linux", version: "node-v20" },
      serf: { encrypted: "false", failed: "0", left: "1", members: "3" },
      tags: { dc: "east", role: "web1" },
    });
    expect(r.stdout.startsWith('{\n  "agent": {\n    "name": "n1"\n  },\n')).toBe(true);
  });

  it("rtt: one node (the agent is the other), two nodes, unknown node", async () => {
    let r = await serf("rtt", addr, ["n2"]);
    // |0.001 - 0| + 0.0001 + 0.0001 = 1.2 ms
    expect(r).toEqual({ code: 0, stdout: "Estimated n2 <-> n1 rtt: 1.200 ms\n", stderr: "" });
    r = await serf("rtt", addr, ["n2", "n3"]);
    // |0.001 + 0.002| + 0.0001 + 0.00005 + 0.0001 (adjustment) = 3.25 ms
    expect(r.stdout).toBe("Estimated n2 <-> n3 rtt: 3.250 ms\n");
    r = await serf("rtt", addr, ["nobody"]);
    expect(r).toEqual({
      code: 1,
      stdout: 'Could not find a coordinate for node "nobody"\n',
      stderr: "",
    });
  });

  it("force-leave prints nothing, -prune", async () => {
    let r = await serf("force-leave", addr, ["n3"]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    r = await serf("force-leave", addr, ["-prune", "no-such-node"]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    backend.forceLeaveHandler = async () => {
      throw new Error("timed out broadcasting node removal");
    };
    r = await serf("force-leave", addr, ["n2"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error force leaving: timed out broadcasting node removal\n",
      stderr: "",
    });
    expect(backend.calls.filter((c) => c[0] === "forceLeave")).toEqual([
      ["forceLeave", "n3", false],
      ["forceLeave", "no-such-node", true],
      ["forceLeave", "n2", false],
    ]);
  });

  it("monitor: replays the ring at the level, streams logs and events, cleans up on kill", async () => {
    backend.logLine("[DEBUG] memberlist: hidden at INFO");
    backend.logLine("[INFO] agent: Serf agent starting");
    backend.logLine("[WARN] agent: a warning\n\twith a second line");
    const mon = startSerf(["monitor", `-rpc-addr=${addr}`]);
    // The whole second line, newline included: the CLI's output may arrive in two reads.
    await mon.until((out) => out.includes("with a second line\n"));
    expect(mon.stdout).toBe(
      "2026/11/24 11:19:56 [INFO] agent: Serf agent starting\n" +
        "2026/11/24 11:19:56 [WARN] agent: a warning\n\twith a second line\n",
    );
    // Our own accept line reaches the monitor when the agent logger feeds the ring.
    backend.logLine("[INFO] agent.ipc: Accepted client: 127.0.0.1:1234", "2026/11/24 11:20:00");
    backend.emit({ type: "user", name: "deploy", payload: utf8("ab"), lTime: 134, coalesce: true });
    // Ten lines: three replayed, the accept line, "Event Info:" and five fields.
    await mon.until((out) => out.split("\n").length > 10);
    const tail = mon.stdout.split("\n").slice(3);
    expect(tail[0]).toBe("2026/11/24 11:20:00 [INFO] agent.ipc: Accepted client: 127.0.0.1:1234");
    expect(tail[1]).toBe("Event Info:");
    expect(new Set(tail.slice(2, 7))).toEqual(
      new Set([
        '\tEvent: "user"',
        "\tLTime: 0x86",
        '\tName: "deploy"',
        "\tPayload: []byte{0x61, 0x62}",
        "\tCoalesce: true",
      ]),
    );
    expect(server.streamCount).toBe(2);
    await stopProcess(mon.child, "SIGINT");
    expect(await mon.exited).toBe(0);
    await expectReleased();
  });

  it("monitor: bad level; remote side ending the monitor", async () => {
    const r = await serf("monitor", addr, ["-log-level=bogus"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error starting monitor: Unknown log level: BOGUS\n",
      stderr: "",
    });
    backend.logLine("[ERR] agent: something broke");
    const mon = startSerf(["monitor", "-log-level=err", `-rpc-addr=${addr}`]);
    await mon.until((out) => out.includes("something broke"));
    await server.close();
    expect(await mon.exited).toBe(1);
    expect(mon.stdout).toBe(
      "2026/11/24 11:19:56 [ERR] agent: something broke\n\n" +
        "Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.\n",
    );
  });

  it("leave: replies after the leave, then the agent shuts down and closes every connection", async () => {
    const mon = startSerf(["monitor", `-rpc-addr=${addr}`]);
    backend.logLine("[INFO] agent: ready");
    await mon.until((out) => out.includes("ready"));
    backend.leaveHandler = () => sleep(100);
    const r = await serf("leave", addr);
    expect(r).toEqual({ code: 0, stdout: "Graceful leave complete\n", stderr: "" });
    // The monitor saw the agent's own member-leave, then the connection closed.
    expect(await mon.exited).toBe(1);
    expect(mon.stdout).toContain('\tEvent: "member-leave"');
    expect(mon.stdout).toContain("Remote side ended the monitor!");
    await server.leaveDone;
    expect(backend.calls.filter((c) => c[0] === "leave" || c[0] === "shutdown")).toEqual([
      ["leave"],
      ["shutdown"],
    ]);
    expect(server.connectionCount).toBe(0);
    const after = await serf("members", addr);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(
      /^Error connecting to Serf agent: dial tcp [\d.]+:\d+: connect: connection refused\n$/,
    );
    expect(logs).toContain("[INFO] Graceful leave triggered");
  });

  it("leave failure is reported, and the agent still shuts down", async () => {
    backend.leaveHandler = async () => {
      throw new Error("Leave already in progress");
    };
    const r = await serf("leave", addr);
    expect(r).toEqual({
      code: 1,
      stdout: "Error leaving: Leave already in progress\n",
      stderr: "",
    });
    await server.leaveDone;
    expect(backend.shutdownCount).toBe(1);
    expect(logs).toContain("[ERR] leave failed: Leave already in progress");
  });
});

describe.skipIf(!serfAvailable)("Go serf CLI with -rpc-auth", () => {
  let server: RpcServer;
  let addr: string;

  beforeEach(async () => {
    server = new RpcServer({ backend: makeBackend({ rpcAuthKey: "s3cret" }) });
    addr = await server.listen(`${randomLoopbackIp()}:0`);
  });
  afterEach(async () => {
    await server.close();
  });

  it("a wrong key refuses every command and nothing reaches the agent", async () => {
    const backend = makeBackend({ rpcAuthKey: "s3cret" });
    const guarded = new RpcServer({ backend });
    const at = await guarded.listen(`${randomLoopbackIp()}:0`);
    try {
      const commands: string[][] = [
        ["members"],
        ["members", "-detailed"],
        ["event", "deploy", "v1"],
        ["join", "127.0.0.9"],
        ["force-leave", "n2"],
        ["tags", "-set", "role=evil"],
        ["query", "-timeout=1s", "ping"],
        ["keys", "-list"],
        ["keys", "-install", "AAAAAAAAAAAAAAAAAAAAAA=="],
        ["keys", "-use", "AAAAAAAAAAAAAAAAAAAAAA=="],
        ["keys", "-remove", "AAAAAAAAAAAAAAAAAAAAAA=="],
        ["info"],
        ["rtt", "n1", "n2"],
        ["reachability"],
        ["monitor"],
        ["leave"],
      ];
      for (const key of ["wrong", "S3CRET", "s3cret "]) {
        for (const [cmd, ...rest] of commands) {
          const r = await serf(cmd as string, at, [`-rpc-auth=${key}`, ...rest]);
          expect([cmd, ...rest, r.code]).toEqual([cmd, ...rest, 1]);
          expect(r.stdout).toContain("Invalid authentication token");
        }
      }
      expect(backend.calls).toEqual([]);
      expect(backend.eventSubscriberCount).toBe(0);
      expect(backend.logSubscriberCount).toBe(0);
    } finally {
      await guarded.close();
    }
  });

  it("right key works, wrong key is a connection error, no key is refused per command", async () => {
    let r = await serf("members", addr, ["-rpc-auth=s3cret", "-name", "n2"]);
    expect(r).toEqual({ code: 0, stdout: "n2  127.0.0.2:7946  alive  role=web2\n", stderr: "" });
    r = await serf("members", addr, ["-rpc-auth=wrong"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error connecting to Serf agent: Invalid authentication token\n",
      stderr: "",
    });
    r = await serf("members", addr);
    expect(r).toEqual({
      code: 1,
      stdout: "Error retrieving members: Authentication required\n",
      stderr: "",
    });
    r = await serf("event", addr, ["deploy", "x"]);
    expect(r).toEqual({
      code: 1,
      stdout: "Error sending event: Authentication required\n",
      stderr: "",
    });
    r = await serf("monitor", addr);
    expect(r).toEqual({
      code: 1,
      stdout: "Error starting stream: Authentication required\n",
      stderr: "",
    });
    r = await serf("keys", addr, ["-list"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "==> Asking all members for installed keys...\n\nFailed to gather member keys: Authentication required\n",
    );
    r = await runSerf(["info", `-rpc-addr=${addr}`, "-rpc-auth", "s3cret"]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("agent:\n\tname = n1\n")).toBe(true);
    for (let i = 0; i < 100 && server.connectionCount > 0; i++) await sleep(10);
    expect(server.connectionCount).toBe(0);
  });
});
