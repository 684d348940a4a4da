/**
 * What our CLI SENDS (issue 11 item 10): the golden tests compare printed output, which stays
 * the same when a flag is dropped (`members -status`) or mis-sent (`event -coalesce=false` as
 * `coalesce=true`). Here the Go `serf` CLI and ours run the same command lines against one
 * recording fake agent, and the decoded requests (command and every body field, after the
 * handshake) must be equal. Go's CLI is the oracle; explicit expectations pin the important
 * fields, so the test also fails if both were wrong the same way.
 *
 * Needs the Go `serf` binary: fails under CI=true without it, skipped loudly otherwise.
 */

import { FakeAgent, type FakeRequest } from "@serf-ts/rpc-client/testing";
import { requireGoSerf, runGoSerf } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./run.ts";

const haveGo = requireGoSerf();
const KEY = "AAAAAAAAAAAAAAAAAAAAAA==";

/** Answers every command the CLI commands below send, like a quiet one-node agent. */
function startRecordingAgent(): Promise<FakeAgent> {
  return FakeAgent.start((req, conn) => {
    const { command, seq } = req;
    switch (command) {
      case "members":
      case "members-filtered":
        conn.reply(command, seq, "", { members: [] });
        return true;
      case "event":
      case "force-leave":
      case "tags":
      case "leave":
        conn.reply(command, seq, "");
        return true;
      case "join":
        conn.reply("join", seq, "", { num: 1 });
        return true;
      case "install-key":
      case "use-key":
      case "remove-key":
      case "list-keys":
        conn.reply(command, seq, "", {
          keys: command === "list-keys" ? new Map([[KEY, 1]]) : null,
          messages: new Map(),
          numErr: 0,
          numNodes: 1,
          numResp: 1,
        });
        return true;
      case "query":
        conn.reply("query", seq, "");
        conn.record("query", seq, { type: "done", from: "", payload: null });
        return true;
      case "get-coordinate":
        conn.reply("get-coordinate", seq, "", {
          ok: true,
          coord: { vec: [0, 0, 0, 0, 0, 0, 0, 0], error: 1.5, adjustment: 0, height: 1e-5 },
        });
        return true;
      default:
        return false;
    }
  });
}

/** The requests one command line sent, without the handshake. */
function sent(agent: FakeAgent): { command: string; body: unknown }[] {
  return agent.connections
    .flatMap((c) => c.requests)
    .filter((r: FakeRequest) => r.command !== "handshake")
    .map((r) => ({ command: r.command, body: r.body }));
}

describe.skipIf(!haveGo)("CLI requests: ours equal Go's", () => {
  let agent: FakeAgent;

  beforeAll(async () => {
    agent = await startRecordingAgent();
  });
  afterAll(async () => {
    await agent.close();
  });

  async function viaGo(argv: readonly string[]) {
    agent.connections.length = 0;
    const [cmd, ...rest] = argv;
    const r = await runGoSerf([cmd as string, `-rpc-addr=${agent.addr}`, ...rest], {
      timeoutMs: 10_000,
    });
    return { code: r.code, requests: sent(agent) };
  }

  async function viaOurs(argv: readonly string[]) {
    agent.connections.length = 0;
    const [cmd, ...rest] = argv;
    const sink = { write: () => true };
    const code = await run([cmd as string, `-rpc-addr=${agent.addr}`, ...rest], {
      stdout: sink,
      stderr: sink,
      env: {},
    });
    return { code, requests: sent(agent) };
  }

  const cases: [argv: string[], pinned: { command: string; body?: unknown }[]][] = [
    [
      ["members"],
      [{ command: "members-filtered", body: { tags: new Map(), status: "", name: "" } }],
    ],
    [
      ["members", "-status=alive", "-name=n[12]", "-tag", "role=web", "-tag", "dc=east"],
      [
        {
          command: "members-filtered",
          body: {
            tags: new Map([
              ["role", "web"],
              ["dc", "east"],
            ]),
            status: "alive",
            name: "n[12]",
          },
        },
      ],
    ],
    [
      ["members", "-role=db", "-status=failed"],
      [
        {
          command: "members-filtered",
          body: { tags: new Map([["role", "db"]]), status: "failed", name: "" },
        },
      ],
    ],
    [
      ["event", "-coalesce=false", "deploy", "v1"],
      [
        {
          command: "event",
          body: { name: "deploy", payload: new TextEncoder().encode("v1"), coalesce: false },
        },
      ],
    ],
    [
      ["event", "deploy"],
      [{ command: "event", body: { name: "deploy", payload: new Uint8Array(0), coalesce: true } }],
    ],
    [
      ["join", "-replay", "127.0.0.9", "127.0.0.8:7000"],
      [{ command: "join", body: { existing: ["127.0.0.9", "127.0.0.8:7000"], replay: true } }],
    ],
    [
      ["join", "127.0.0.9"],
      [{ command: "join", body: { existing: ["127.0.0.9"], replay: false } }],
    ],
    [
      ["force-leave", "-prune", "n2"],
      [{ command: "force-leave", body: { node: "n2", prune: true } }],
    ],
    [["force-leave", "n2"], [{ command: "force-leave", body: { node: "n2", prune: false } }]],
    [
      ["tags", "-set", "a=1", "-set", "b=2", "-delete", "c"],
      [
        {
          command: "tags",
          body: {
            tags: new Map([
              ["a", "1"],
              ["b", "2"],
            ]),
            deleteTags: ["c"],
          },
        },
      ],
    ],
    [["keys", "-install", KEY], [{ command: "install-key", body: { key: KEY } }]],
    [["keys", "-use", KEY], [{ command: "use-key", body: { key: KEY } }]],
    [["keys", "-remove", KEY], [{ command: "remove-key", body: { key: KEY } }]],
    [["keys", "-list"], [{ command: "list-keys", body: undefined }]],
    [
      [
        "query",
        "-no-ack",
        "-node=n1",
        "-node=n2",
        "-tag",
        "role=web",
        "-relay-factor=2",
        "-timeout=3s",
        "ping",
        "pl",
      ],
      [
        {
          command: "query",
          body: {
            filterNodes: ["n1", "n2"],
            filterTags: new Map([["role", "web"]]),
            requestAck: false,
            relayFactor: 2,
            timeoutMs: 3000,
            name: "ping",
            payload: new TextEncoder().encode("pl"),
          },
        },
      ],
    ],
    [
      ["rtt", "n1", "n2"],
      [{ command: "get-coordinate" }, { command: "get-coordinate" }],
    ],
    [["leave"], [{ command: "leave", body: undefined }]],
  ];

  it.each(cases)("%j", async (argv, pinned) => {
    const go = await viaGo(argv);
    const ours = await viaOurs(argv);
    expect(ours).toEqual(go);
    expect(ours.requests).toMatchObject(pinned);
    expect(ours.requests).toHaveLength(pinned.length);
  });
});
