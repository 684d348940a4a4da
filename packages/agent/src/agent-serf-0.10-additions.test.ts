/**
 * The Serf 0.9.5–0.10.2 agent settings we add on top of 0.9.4, tested by their effect:
 * `validate_node_names` (0.9.5) and `-mdns-iface` / `-mdns-disable-ipv4` / `-mdns-disable-ipv6`
 * with the `mdns` config block (0.10.2). mDNS stays on loopback (TTL 1, random port).
 */

import { randomInt } from "node:crypto";
import { type NetworkInterfaceInfo, networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { Agent, type AgentOptions } from "./agent.ts";
import type { AgentConfig } from "./config/agent-config.ts";
import { decodeConfig } from "./config/decode-config.ts";
import { readConfig } from "./config/read-config.ts";
import { loopbackMdnsSocketOptions } from "./discovery/mdns-common.ts";
import { testConfig as sharedTestConfig } from "./agent-test-config.harness.ts";

const running = new Set<Agent>();
afterEach(async () => {
  await Promise.all([...running].map((a) => a.shutdown()));
  running.clear();
});

function testConfig(overrides: Partial<AgentConfig> = {}): Promise<AgentConfig> {
  return sharedTestConfig("node", overrides);
}

async function start(config: AgentConfig, options: AgentOptions = {}): Promise<Agent> {
  const agent = await Agent.create(config, {
    logOutput: { write: () => true },
    ui: { output: () => {}, info: () => {}, error: () => {} },
    ...options,
  });
  running.add(agent);
  return agent;
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("validate_node_names (Serf 0.9.5)", () => {
  it("refuses a bad node name with Go's message when on, accepts it when off", async () => {
    expect(decodeConfig(Buffer.from('{"validate_node_names": true}')).validateNodeNames).toBe(true);
    await expect(
      Agent.create(await testConfig({ nodeName: "web_1", validateNodeNames: true }), {
        rpc: false,
      }),
    ).rejects.toThrow(
      "Failed to start the Serf agent: Error creating Serf: Node name contains invalid " +
        "characters web_1 , Valid characters include all alpha-numerics and dashes and '.' ",
    );
    await expect(
      Agent.create(await testConfig({ nodeName: "a".repeat(129), validateNodeNames: true }), {
        rpc: false,
      }),
    ).rejects.toThrow("Node name is 129 characters. Valid length is between 1 and 128 characters");
    const ok = await start(await testConfig({ nodeName: "web_1" }), { rpc: false });
    expect(ok.members()[0]?.name).toBe("web_1");
    const valid = await start(
      await testConfig({ nodeName: "web-1.dc1", validateNodeNames: true }),
      {
        rpc: false,
      },
    );
    expect(valid.members()[0]?.name).toBe("web-1.dc1");
  });
});

describe("mdns settings (Serf 0.10.2)", () => {
  it("flags and the mdns block give the same settings; Go's checks and messages", () => {
    const fromFlags = readConfig(["-discover=c", "-mdns-iface=lo", "-mdns-disable-ipv6"]).config;
    expect(fromFlags).toMatchObject({
      mdnsInterface: "lo",
      mdnsDisableIPv4: false,
      mdnsDisableIPv6: true,
    });
    const block = decodeConfig(
      Buffer.from('{"mdns": {"interface": "lo", "disable_ipv4": true, "disable_ipv6": false}}'),
    );
    expect(block).toMatchObject({ mdnsInterface: "lo", mdnsDisableIPv4: true });
    expect(() => decodeConfig(Buffer.from('{"mdns": {"iface": "lo"}}'))).toThrow(
      "1 error(s) decoding:\n\n* 'mdns' has invalid keys: iface",
    );
    expect(() => decodeConfig(Buffer.from('{"mdns": {"disable_ipv4": "yes"}}'))).toThrow(
      "'mdns.disable_ipv4' expected type 'bool'",
    );
    expect(() => readConfig(["-mdns-iface=lo"])).toThrow(
      "mDNS interface specified without enabling mDNS discovery",
    );
    expect(() => readConfig(["-discover=c", "-mdns-iface=nope0"])).toThrow(
      "Invalid mDNS network interface: route ip+net: no such network interface",
    );
    expect(() =>
      readConfig(["-discover=c", "-mdns-iface=lo", "-mdns-disable-ipv4", "-mdns-disable-ipv6"]),
    ).toThrow("Invalid mDNS configuration: both IPv4 and IPv6 are disabled");
    // As in Go, the families are only checked together with an mDNS interface.
    expect(
      readConfig(["-discover=c", "-mdns-disable-ipv4", "-mdns-disable-ipv6"]).config
        .mdnsDisableIPv4,
    ).toBe(true);
  });

  it("-mdns-iface picks the multicast interface (here lo) when -iface is not set", async () => {
    const cluster = `c${randomInt(1_000_000)}`;
    const port = randomInt(20_000, 60_000);
    const onLoopback = { ...loopbackMdnsSocketOptions(port), pollIntervalMs: 300 };
    // b's socket options name no interface: only its mdns-iface can put its queries on lo.
    const { multicastInterface: _unused, ...noInterface } = onLoopback;
    const a = await start(await testConfig({ nodeName: "a", discover: cluster }), {
      rpc: false,
      mdns: onLoopback,
    });
    const b = await start(
      await testConfig({ nodeName: "b", discover: cluster, mdnsInterface: "lo" }),
      {
        rpc: false,
        mdns: noInterface,
      },
    );
    await waitFor(
      "the mDNS join",
      () => a.members().length === 2 && b.members().length === 2,
      10_000,
    );
    // An mdns-iface whose address this host lacks: the multicast interface cannot be used.
    const lo = networkInterfaces().lo ?? [];
    const fake = () => ({
      lo,
      fake0: [{ ...(lo[0] as NetworkInterfaceInfo), address: "198.51.100.7", internal: false }],
    });
    await expect(
      start(await testConfig({ nodeName: "c", discover: cluster, mdnsInterface: "fake0" }), {
        rpc: false,
        mdns: noInterface,
        networkInterfaces: fake,
      }),
    ).rejects.toThrow(/^Error starting mDNS listener: .*addMembership/);
  });

  it("-mdns-disable-ipv4: no IPv4 queries (this node only answers, as Go's responder)", async () => {
    const run = async (disableA: boolean, disableB: boolean) => {
      const cluster = `c${randomInt(1_000_000)}`;
      const mdns = { ...loopbackMdnsSocketOptions(randomInt(20_000, 60_000)), pollIntervalMs: 300 };
      const a = await start(
        await testConfig({ nodeName: "a", discover: cluster, mdnsDisableIPv4: disableA }),
        { rpc: false, mdns },
      );
      const b = await start(
        await testConfig({ nodeName: "b", discover: cluster, mdnsDisableIPv4: disableB }),
        { rpc: false, mdns },
      );
      return { a, b };
    };
    // b queries, a (IPv4 queries disabled) still answers: they join.
    const started = Date.now();
    const one = await run(true, false);
    await waitFor("the mDNS join", () => one.a.members().length === 2, 10_000);
    const joinMs = Date.now() - started;
    // Nobody queries: no join, even after several poll intervals and 3× the join above.
    const two = await run(true, true);
    await sleep(Math.max(2_000, 3 * joinMs));
    expect(two.a.members()).toHaveLength(1);
    expect(two.b.members()).toHaveLength(1);
  }, 30_000);
});
