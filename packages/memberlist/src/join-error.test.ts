/**
 * What a user of `@serf-ts/memberlist` sees when a join fails, and the names the package
 * exports for `NodeInfo.state` (and its re-exported `Keyring`), without importing
 * `@serf-ts/wire` themselves.
 */

import { afterEach, describe, expect, it } from "vitest";
import {
  JoinError,
  Keyring,
  Memberlist,
  NODE_STATE_NAMES,
  NodeStateCode,
  nodeStateName,
} from "./index.ts";
import { MemoryNetwork } from "./testing/memory-network.ts";

describe("JoinError and the node state names", () => {
  const nodes: Memberlist[] = [];
  const network = new MemoryNetwork();
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.shutdown()));
  });

  async function start(name: string): Promise<Memberlist> {
    const ml = await Memberlist.create({
      options: { name, profile: "test" },
      transport: network.createTransport(),
    });
    nodes.push(ml);
    return ml;
  }

  it("says `Failed to join <address>: <cause>` once per seed, never `Failed to join: Failed to join`", async () => {
    const a = await start("a");
    const err = await a.join(["10.200.200.200:7946"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JoinError);
    const { message, errors } = err as JoinError;
    expect(errors).toHaveLength(1);
    expect(message).toBe(errors[0]);
    expect(message).toMatch(/^Failed to join 10\.200\.200\.200:7946: \S/);
    expect(message).not.toContain("Failed to join: Failed to join");
  });

  it("says what failed when the node is shut down or no seed is given", async () => {
    const a = await start("a");
    const none = (await a.join([]).catch((e: unknown) => e)) as JoinError;
    expect(none.message).toBe("Failed to join: no seeds given");
    await a.shutdown();
    const down = (await a.join(["10.200.200.200:7946"]).catch((e: unknown) => e)) as JoinError;
    expect(down).toBeInstanceOf(JoinError);
    expect(down.message).toBe("Failed to join: memberlist is shut down");
  });

  it("names every state a member can be in", async () => {
    expect(NODE_STATE_NAMES).toEqual(["alive", "suspect", "dead", "left"]);
    expect(Object.values(NodeStateCode).map(nodeStateName)).toEqual(NODE_STATE_NAMES);
    expect(nodeStateName(9)).toBe("unknown");
    const a = await start("a");
    expect(a.members().map((m) => `${m.name} ${nodeStateName(m.state)}`)).toEqual(["a alive"]);
  });

  it("re-exports Keyring, usable as `keyring`", () => {
    const keyring = Keyring.create([new Uint8Array(32).fill(1)]);
    expect(keyring.keys()).toHaveLength(1);
  });
});
