import type { HttpMember } from "@serf-ts/wire/http";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent.ts";
import { type AgentConfig, defaultConfig } from "../config/agent-config.ts";
import { listenHost } from "./api-routes.ts";
import { testAddrs } from "../agent-test-config.harness.ts";

const running = new Set<Agent>();
afterEach(async () => {
  await Promise.all([...running].map((a) => a.shutdown()));
  running.clear();
});

async function testConfig(overrides: Partial<AgentConfig> = {}): Promise<AgentConfig> {
  const { ip, bind, rpc } = await testAddrs();
  return {
    ...defaultConfig("node-a"),
    bindAddr: bind,
    rpcAddr: rpc,
    httpAddr: `${ip}:0`,
    profile: "local",
    ...overrides,
  };
}

async function start(config: AgentConfig, log: string[] = []): Promise<Agent> {
  const agent = await Agent.create(config, {
    handlerDrainMs: 0,
    logOutput: {
      write: (line: string) => {
        log.push(line);
        return true;
      },
    },
  });
  running.add(agent);
  return agent;
}

describe("HTTP API on the agent's listener", () => {
  it("lists the agent itself with its formatted address, next to /metrics", async () => {
    const log: string[] = [];
    const config = await testConfig({ tags: { role: "web" } });
    const agent = await start(config, log);
    const base = `http://${agent.httpAddress}`;
    const { members } = (await (await fetch(`${base}/v1/members`)).json()) as {
      members: HttpMember[];
    };
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({
      name: "node-a",
      address: agent.bindAddr,
      status: "alive",
      tags: { role: "web" },
    });
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    const stats = (await (await fetch(`${base}/v1/stats`)).json()) as Record<
      string,
      Record<string, string>
    >;
    expect(stats.agent).toEqual({ name: "node-a" });
    expect(stats.serf?.members).toBe("1");
    expect(log.join("")).not.toMatch(/without rpc_auth/);
  });

  it("answers 401 without the rpc_auth key, and the key opens it", async () => {
    const agent = await start(await testConfig({ rpcAuthKey: "k3y" }));
    const base = `http://${agent.httpAddress}`;
    expect((await fetch(`${base}/v1/members`)).status).toBe(401);
    const res = await fetch(`${base}/v1/members`, { headers: { Authorization: "Bearer k3y" } });
    expect(res.status).toBe(200);
    // /metrics is the metrics listener's business, not the API's.
    expect((await fetch(`${base}/ui/`)).status).not.toBe(401);
  });

  it("sends no CORS headers: a cross-origin preflight gets none, nor does a GET", async () => {
    const agent = await start(await testConfig());
    const base = `http://${agent.httpAddress}`;
    const preflight = await fetch(`${base}/v1/event`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(`${base}/v1/members`, { headers: { Origin: "http://evil.example" } });
    expect(get.status).toBe(200);
    expect([...get.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });

  it("finds the host whose exposure it warns about", () => {
    expect(listenHost("127.0.0.1:7380")).toBe("127.0.0.1");
    expect(listenHost(":7380")).toBe("0.0.0.0");
    expect(listenHost("[::1]:7380")).toBe("::1");
    expect(listenHost("10.1.2.3:0")).toBe("10.1.2.3");
  });
});
