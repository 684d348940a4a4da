/**
 * Encrypted clusters keyed by our `serf keygen`: key rotation (install, use, remove, list)
 * keeps the cluster whole; a node with the removed key is kept out. All-Go (control), all-TS
 * and mixed clusters; the intruders are one of each implementation.
 */

import { stopAll, trackedPids } from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "../src/harness/cluster.ts";
import type { Impl } from "../src/harness/implementations.ts";
import { e2eEnvironment } from "../src/harness/suite.ts";
import {
  intruderRpcJoinFails,
  intruderStartJoinFails,
  KEYS_TIMEOUTS,
  KEYS_VARIANTS,
  keysAction,
  listKeys,
  ourKeygen,
} from "../src/scenarios/keys.ts";

const env = await e2eEnvironment();

afterAll(async () => {
  await stopAll();
  expect(trackedPids()).toEqual([]);
});

for (const variant of KEYS_VARIANTS) {
  describe.skipIf(!env.runnable(variant.impls))(`encryption and keys: ${variant.label}`, () => {
    let cluster: Cluster | undefined;
    let oldKey = "";
    let newKey = "";
    const get = (): Cluster => {
      if (cluster === undefined) throw new Error("cluster did not start");
      return cluster;
    };
    const tsCommand = env.ts.available ? env.ts.command : undefined;
    /** Intruders: our agent in all-TS, Go's in all-Go, the other one of node 0's in mixed. */
    const intruderImpl: Impl = variant.impls.includes("ts") ? "ts" : "go";
    const otherImpl: Impl = variant.impls.includes("go") ? "go" : "ts";

    beforeAll(async () => {
      oldKey = await ourKeygen();
      newKey = await ourKeygen();
      cluster = await env.start({
        impls: variant.impls,
        // LAN profile: key operations are internal queries spread by gossip; with local's
        // RetransmitMult 2 a query can miss a node entirely ("3/4 nodes reported success"),
        // in Go as in ours. LAN's 4 (and its 3.2 s query timeout) make that rare.
        agentOptions: { profile: "lan", encryptKey: oldKey },
      });
      await cluster.waitForConvergence(KEYS_TIMEOUTS.convergeMs);
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it("our keygen gives two distinct 32-byte keys; every node lists OLD on every member", async () => {
      expect(newKey).not.toBe(oldKey);
      const total = get().nodes.length;
      for (const n of get().nodes) {
        expect(Object.fromEntries(await listKeys(n)), `keys -list via ${n.name}`).toEqual({
          [oldKey]: `${total}/${total}`,
        });
      }
    });

    it("install NEW, use NEW, remove OLD: -list via every node shows only NEW", async () => {
      const c = get();
      const total = c.nodes.length;
      const last = c.node(total - 1);
      await keysAction(c.node(1), `-install=${newKey}`, "==> Successfully installed key!");
      expect(Object.fromEntries(await listKeys(c.node(0)))).toEqual({
        [oldKey]: `${total}/${total}`,
        [newKey]: `${total}/${total}`,
      });
      await keysAction(c.node(0), `-use=${newKey}`, "==> Successfully changed primary key!");
      await keysAction(last, `-remove=${oldKey}`, "==> Successfully removed key!");
      for (const n of c.nodes) {
        expect(Object.fromEntries(await listKeys(n)), `keys -list via ${n.name}`).toEqual({
          [newKey]: `${total}/${total}`,
        });
      }
    });

    it("the cluster stays whole after the rotation", async () => {
      const c = get();
      await c.waitForConvergence(KEYS_TIMEOUTS.convergeMs);
      for (const n of c.nodes) {
        const alive = (await n.members()).filter((m) => m.status === "alive").map((m) => m.name);
        expect(alive.sort(), `alive per ${n.name}`).toEqual(c.nodes.map((x) => x.name).sort());
      }
    });

    it(`a ${intruderImpl} node with the removed key cannot -join at start-up`, async () => {
      const log = await intruderStartJoinFails(
        get(),
        { impl: intruderImpl, key: oldKey, name: `intruder-start-${intruderImpl}` },
        tsCommand,
      );
      expect(log).toMatch(/Failed to join/);
    });

    it(`a ${otherImpl} node with the removed key: RPC join fails, nobody ever lists it`, async () => {
      const error = await intruderRpcJoinFails(
        get(),
        { impl: otherImpl, key: oldKey, name: `intruder-rpc-${otherImpl}` },
        tsCommand,
      );
      expect(error).not.toBe("");
    });
  });
}
