/**
 * Test support (not shipped): an agent configuration on a random loopback address whose gossip
 * (TCP + UDP) and RPC ports were free a moment ago (testkit's `freePort`), with the `local`
 * profile. Shared by the agent tests that start real agents.
 */

import { freePort, randomLoopbackIp } from "@serf-ts/testkit";
import { type AgentConfig, defaultConfig } from "./config/agent-config.ts";

/** A loopback IP with a free gossip port (`bind`, TCP and UDP) and a free RPC port (`rpc`). */
export async function testAddrs(): Promise<{ ip: string; bind: string; rpc: string }> {
  const ip = randomLoopbackIp();
  const bindPort = await freePort(ip, { udp: true });
  const rpcPort = await freePort(ip, { exclude: [bindPort] });
  return { ip, bind: `${ip}:${bindPort}`, rpc: `${ip}:${rpcPort}` };
}

/** `defaultConfig(name)` on `testAddrs()`, profile `local`, then `overrides`. */
export async function testConfig(
  name: string,
  overrides: Partial<AgentConfig> = {},
): Promise<AgentConfig> {
  const { bind, rpc } = await testAddrs();
  return { ...defaultConfig(name), bindAddr: bind, rpcAddr: rpc, profile: "local", ...overrides };
}
