import { encodeTags } from "@serf-ts/wire";
import { decodeConflictResponsePayload, encodeConflictResponsePayload } from "@serf-ts/wire/codec";
import { describe, expect, it } from "vitest";
import { AGENT_VSN, aliveFor, SerfHarness, testIp } from "../testing/serf-harness.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";

describe("name conflict resolution (serf.md §9)", () => {
  it("a newcomer reusing a name loses the _serf_conflict vote and shuts down", () => {
    const c = new SerfSimCluster({ seed: 91, options: { protocolVersion: 5 } });
    c.addNodes(3);
    c.join("node-1", ["node-0"]);
    c.join("node-2", ["node-0"]);
    expect(c.runUntil(() => c.converged(), 10_000)).toBeDefined();
    const dup = c.addNode("node-1", { allowDuplicateName: true });
    c.join(dup, ["node-0"]);
    expect(c.runUntil(() => !dup.up, 10_000)).toBeDefined();
    const conflict = dup.eventsOf("name-conflict")[0];
    expect(conflict).toMatchObject({
      node: "node-1",
      existing: "10.0.0.3:7946",
      other: "10.0.0.1:7946",
      local: true,
      resolving: true,
    });
    // The two other nodes answer with the original's address; the original does not answer.
    expect(dup.eventsOf("name-conflict-resolved")).toEqual([
      { type: "name-conflict-resolved", matching: 0, responses: 2, won: false },
    ]);
    expect(dup.eventsOf("shutdown")).toEqual([{ type: "shutdown", reason: "name-conflict" }]);
    // The others only noted it; the original keeps running.
    const seen = c.node("node-0").eventsOf("name-conflict")[0];
    expect(seen).toMatchObject({ node: "node-1", local: false, resolving: false });
    c.runFor(5_000);
    expect(c.node("node-1").up).toBe(true);
    expect(c.statusOf("node-0", "node-1")).toBe("alive");
    expect(c.machine("node-0").member("node-1")?.addr).toEqual(testIp(1));
  });

  it("a node in the majority stays; with resolution disabled nothing is asked", () => {
    const h = new SerfHarness();
    h.packet(2, [aliveFor("node-2", 2)]);
    h.packet(3, [aliveFor("node-3", 3)]);
    // Someone claims our name from 10.0.0.9.
    const ev = h.packet(9, [
      {
        type: "alive",
        incarnation: 5,
        node: "node-1",
        addr: testIp(9),
        port: 7946,
        meta: encodeTags({}),
        vsn: AGENT_VSN,
      },
    ]);
    expect(ev.find((e) => e.type === "name-conflict")).toMatchObject({
      local: true,
      resolving: true,
    });
    const mark = h.transmits.length;
    h.advance(400); // gossip carries the query
    const query = h.sentSerf(mark).find((s) => s.msg.type === "query")?.msg;
    expect(query?.type).toBe("query");
    if (query?.type !== "query") return;
    expect(query.name).toBe("_serf_conflict");
    expect(new TextDecoder().decode(query.payload ?? new Uint8Array())).toBe("node-1");
    const me = h.m.localMember();
    const payload = encodeConflictResponsePayload({
      name: "node-1",
      addr: me.addr,
      port: 7946,
      tags: new Map(),
      status: 1,
      protocolMin: 1,
      protocolMax: 5,
      protocolCur: 2,
      delegateMin: 2,
      delegateMax: 5,
      delegateCur: 5,
    });
    for (const from of ["node-2", "node-3"]) {
      h.serf(2, {
        type: "query-response",
        lTime: query.lTime,
        id: query.id,
        from,
        flags: 0,
        payload,
      });
    }
    const end = h.advance(4_000).filter((e) => e.type === "name-conflict-resolved");
    expect(end).toEqual([{ type: "name-conflict-resolved", matching: 2, responses: 2, won: true }]);
    expect(h.m.state).toBe("alive");

    const off = new SerfHarness({
      options: { protocolVersion: 5, enableNameConflictResolution: false },
    });
    const ev2 = off.packet(9, [aliveFor("node-1", 9, 5)]);
    expect(ev2.find((e) => e.type === "name-conflict")).toMatchObject({
      local: true,
      resolving: false,
    });
    off.advance(5_000);
    expect(off.m.state).toBe("alive");
  });

  it("answers _serf_conflict about others with its Member (nil when unknown), never about itself", () => {
    const h = new SerfHarness({ tags: { role: "x" } });
    h.packet(2, [aliveFor("node-2", 2, 1, { dc: "east" })]);
    const base = {
      type: "query" as const,
      addr: testIp(7),
      port: 7946,
      sourceNode: "node-7",
      filters: null,
      flags: 0,
      relayFactor: 0,
      timeoutNs: 3_000_000_000,
      name: "_serf_conflict",
    };
    const mark = h.transmits.length;
    h.serf(7, { ...base, lTime: 3, id: 1, payload: new TextEncoder().encode("node-2") });
    h.serf(7, { ...base, lTime: 4, id: 2, payload: new TextEncoder().encode("ghost") });
    h.serf(7, { ...base, lTime: 5, id: 3, payload: new TextEncoder().encode("node-1") });
    const responses = h
      .sentSerf(mark)
      .filter((s) => s.msg.type === "query-response")
      .map((s) => s.msg);
    expect(responses).toHaveLength(2);
    const [known, unknown] = responses;
    if (known?.type !== "query-response" || unknown?.type !== "query-response") return;
    const member = decodeConflictResponsePayload(known.payload ?? new Uint8Array());
    expect(member).toMatchObject({ name: "node-2", port: 7946, status: 1, delegateCur: 5 });
    expect(member?.tags).toEqual(new Map([["dc", "east"]]));
    expect(decodeConflictResponsePayload(unknown.payload ?? new Uint8Array())).toBeNull();
  });
});
