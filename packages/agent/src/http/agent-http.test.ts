/**
 * The agent's HTTP listener (`http_addr`): off by default, serves `GET /metrics` when set,
 * stops with the agent, and a listen failure is a clear start-up error.
 */

import { randomLoopbackIp } from "@serf-ts/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../agent.ts";
import { AgentError, AgentErrorCode } from "../agent-errors.ts";
import { type AgentConfig, defaultConfig } from "../config/agent-config.ts";
import { sendText } from "./respond.ts";
import { testAddrs } from "../agent-test-config.harness.ts";

const running = new Set<Agent>();
afterEach(async () => {
  await Promise.all([...running].map((a) => a.shutdown()));
  running.clear();
});

async function testConfig(overrides: Partial<AgentConfig> = {}): Promise<AgentConfig> {
  const { bind, rpc } = await testAddrs();
  return {
    ...defaultConfig("node"),
    bindAddr: bind,
    rpcAddr: rpc,
    profile: "local",
    ...overrides,
  };
}

async function start(config: AgentConfig): Promise<Agent> {
  const agent = await Agent.create(config, { handlerDrainMs: 0 });
  running.add(agent);
  return agent;
}

describe("agent HTTP listener", () => {
  it("is off by default", async () => {
    const agent = await start(await testConfig());
    expect(agent.httpAddress).toBeUndefined();
  });

  it("serves GET /metrics in the Prometheus text format, with Node's default metrics", async () => {
    const ip = randomLoopbackIp();
    const agent = await start(await testConfig({ httpAddr: `${ip}:0` }));
    expect(agent.httpAddress).toMatch(new RegExp(`^${ip.replaceAll(".", "\\.")}:\\d+$`));
    const res = await fetch(`http://${agent.httpAddress}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });

  it("takes extra routes on agent.httpRouter, and stops listening at shutdown", async () => {
    const agent = await start(await testConfig({ httpAddr: `${randomLoopbackIp()}:0` }));
    agent.httpRouter.get("/hello", (_req, res) => sendText(res, 200, "hi"));
    const addr = agent.httpAddress as string;
    expect(await (await fetch(`http://${addr}/hello`)).text()).toBe("hi");
    await agent.shutdown();
    await expect(fetch(`http://${addr}/metrics`)).rejects.toThrow();
  });

  it("fails to start with `Error starting HTTP listener: …` when the address is taken", async () => {
    const first = await start(await testConfig({ httpAddr: `${randomLoopbackIp()}:0` }));
    const taken = first.httpAddress as string;
    const config = await testConfig({ httpAddr: taken });
    const err = await Agent.create(config, { handlerDrainMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(AgentErrorCode.HTTP);
    expect((err as AgentError).message).toBe(
      `Error starting HTTP listener: listen tcp ${taken}: bind: address already in use`,
    );
  });
});
