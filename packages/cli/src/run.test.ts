/**
 * The dispatcher and the in-process `run()` entry, with the fake agent of
 * `@serf-ts/rpc-client/testing` (no Go binary needed).
 */

import { FakeAgent } from "@serf-ts/rpc-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { handlesInterrupt, parseCommandLine, run } from "./run.ts";

function capture() {
  const chunks: string[] = [];
  return {
    sink: {
      write(c: string | Uint8Array) {
        chunks.push(typeof c === "string" ? c : Buffer.from(c).toString());
        return true;
      },
    },
    text: () => chunks.join(""),
  };
}

const agents: FakeAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function membersAgent(): Promise<FakeAgent> {
  const agent = await FakeAgent.start((req, conn) => {
    if (req.command !== "members-filtered") return false;
    conn.reply("members-filtered", req.seq, "", {
      members: [
        {
          name: "n1",
          addr: new Uint8Array([127, 0, 0, 1]),
          port: 7946,
          tags: new Map([["role", "web"]]),
          status: "alive",
          protocolMin: 1,
          protocolMax: 5,
          protocolCur: 2,
          delegateMin: 2,
          delegateMax: 5,
          delegateCur: 5,
        },
      ],
    });
    return true;
  });
  agents.push(agent);
  return agent;
}

describe("parseCommandLine", () => {
  it("follows mitchellh/cli", () => {
    expect(parseCommandLine(["members", "-detailed"])).toEqual({
      subcommand: "members",
      args: ["-detailed"],
      isHelp: false,
      topFlags: [],
    });
    expect(parseCommandLine(["members", "-v"]).subcommand).toBe("version");
    expect(parseCommandLine(["event", "--", "-h"]).isHelp).toBe(false);
    expect(parseCommandLine(["event", "x", "-help"]).isHelp).toBe(true);
    expect(parseCommandLine(["-x", "members"]).topFlags).toEqual(["-x"]);
  });

  it("only monitor, query and reachability take over Ctrl-C", () => {
    expect(handlesInterrupt(["monitor"])).toBe(true);
    expect(handlesInterrupt(["query", "q"])).toBe(true);
    expect(handlesInterrupt(["reachability"])).toBe(true);
    expect(handlesInterrupt(["members"])).toBe(false);
    expect(handlesInterrupt(["monitor", "-h"])).toBe(false);
  });
});

describe("run()", () => {
  it("colours the status column only on a TTY, and not with NO_COLOR", async () => {
    const agent = await membersAgent();
    const plain = capture();
    expect(
      await run(["members", `-rpc-addr=${agent.addr}`], {
        stdout: plain.sink,
        stderr: plain.sink,
        env: {},
      }),
    ).toBe(0);
    expect(plain.text()).toBe("n1  127.0.0.1:7946  alive  role=web\n");
    const tty = capture();
    await run(["members", `-rpc-addr=${agent.addr}`], {
      stdout: tty.sink,
      stderr: tty.sink,
      env: {},
      isTTY: true,
    });
    expect(tty.text()).toBe("n1  127.0.0.1:7946  \u001b[32malive\u001b[0m  role=web\n");
    const noColor = capture();
    await run(["members", `-rpc-addr=${agent.addr}`], {
      stdout: noColor.sink,
      stderr: noColor.sink,
      env: { NO_COLOR: "1" },
      isTTY: true,
    });
    expect(noColor.text()).toBe(plain.text());
  });

  it("takes the address from SERF_RPC_ADDR; the flag wins", async () => {
    const agent = await membersAgent();
    const out = capture();
    expect(
      await run(["members"], {
        stdout: out.sink,
        stderr: out.sink,
        env: { SERF_RPC_ADDR: agent.addr },
      }),
    ).toBe(0);
    const err = capture();
    expect(
      await run(["members", "-rpc-addr=127.0.0.1:1"], {
        stdout: err.sink,
        stderr: err.sink,
        env: { SERF_RPC_ADDR: agent.addr },
      }),
    ).toBe(1);
    expect(err.text()).toBe(
      "Error connecting to Serf agent: dial tcp 127.0.0.1:1: connect: connection refused\n",
    );
  });

  it("an agent that drops the connection reads as `client closed`", async () => {
    const agent = await FakeAgent.start((req, conn) => {
      if (req.command !== "stats") return false;
      conn.destroy();
      return true;
    });
    agents.push(agent);
    const out = capture();
    expect(
      await run(["info", `-rpc-addr=${agent.addr}`], { stdout: out.sink, stderr: out.sink }),
    ).toBe(1);
    expect(out.text()).toBe("Error querying agent: client closed\n");
  });
});
