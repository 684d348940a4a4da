import { NodeStateCode } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { CoreHarness, GO_VSN, pushStateOf, testAddress } from "../testing/core-harness.ts";
import { pushPullScaleMs } from "./math.ts";
import { verifyProtocol } from "./push-pull.ts";
import type { StreamTransmit } from "./types.ts";

const v = (...b: number[]) => Uint8Array.from(b);
const local = (vsn: Uint8Array, state: number = NodeStateCode.ALIVE) => ({ name: "l", state, vsn });

describe("verifyProtocol (memberlist.md §10.2)", () => {
  it("accepts Go agents (01 05 02 02 05 05)", () => {
    expect(verifyProtocol([pushStateOf("r", 2, 1, 0)], [local(GO_VSN)])).toBeUndefined();
  });
  it("rejects a remote node speaking outside the common range", () => {
    const remote = [pushStateOf("r", 2, 1, 0, { vsn: v(1, 5, 2, 2, 5, 1) })];
    expect(verifyProtocol(remote, [local(GO_VSN)])).toMatch(/delegate protocol version \(1\)/);
    const p = [pushStateOf("r", 2, 1, 0, { vsn: v(3, 5, 3, 2, 5, 5) })];
    expect(verifyProtocol(p, [local(GO_VSN)])).toMatch(/Node 'l' protocol version \(2\)/);
  });
  it("ignores non-alive nodes for the ranges but checks them against the ranges", () => {
    const dead = pushStateOf("r", 2, 1, NodeStateCode.DEAD, { vsn: v(3, 5, 3, 2, 5, 5) });
    // Ranges come from alive nodes only, so PCur 3 is fine ([1, 5]).
    expect(verifyProtocol([dead], [local(GO_VSN)])).toBeUndefined();
    const noVsn = pushStateOf("r", 2, 1, NodeStateCode.DEAD, { vsn: v() });
    expect(verifyProtocol([noVsn], [local(GO_VSN)])).toMatch(/protocol version \(0\)/);
  });
});

describe("push/pull exchanges", () => {
  it("join sends our full state with Join = true and merges the reply", () => {
    const userStates: { state: number[]; join: boolean }[] = [];
    const h = new CoreHarness(
      "self",
      1,
      {},
      {
        localState: (join) => Uint8Array.of(join ? 1 : 0),
        mergeRemoteState: (state, join) => userStates.push({ state: [...state], join }),
      },
    );
    h.drain();
    const [id] = h.machine.join([testAddress(2)], h.now);
    const t = h.drain().transmits[0] as StreamTransmit;
    expect(t).toMatchObject({
      kind: "stream",
      to: testAddress(2),
      exchange: id,
      timeoutMs: 10_000,
    });
    expect(t.message).toMatchObject({ type: "push-pull", join: true, userState: Uint8Array.of(1) });
    if (t.message.type !== "push-pull") throw new Error("expected push-pull");
    expect(t.message.nodes.map((n) => n.name)).toEqual(["self"]);
    const outcome = h.machine.handleStreamReply(
      id ?? -1,
      {
        type: "push-pull",
        join: true,
        nodes: [pushStateOf("b", 2, 3, NodeStateCode.ALIVE)],
        userState: Uint8Array.of(7),
      },
      h.now,
    );
    expect(outcome).toEqual({ exchange: id, kind: "push-pull", ok: true, error: undefined });
    expect(h.machine.nodeIncarnation("b")).toBe(3);
    expect(userStates).toEqual([{ state: [7], join: true }]);
    const events = h.drain().events;
    expect(events).toContainEqual(
      expect.objectContaining({ type: "push-pull", exchange: id, join: true, ok: true }),
    );
  });

  it("reports remote errors, failures and timeouts; ignores late replies", () => {
    const h = new CoreHarness();
    h.drain();
    const [a, b, c] = h.machine.join([testAddress(2), testAddress(3), testAddress(4)], h.now);
    h.drain();
    expect(
      h.machine.handleStreamReply(a ?? -1, { type: "error", error: "boom" }, h.now)?.error,
    ).toBe("remote error: boom");
    expect(h.machine.handleStreamReply(b ?? -1, { error: "refused" }, h.now)?.error).toBe(
      "refused",
    );
    const later = h.advance(10_000);
    expect(later.events).toContainEqual(
      expect.objectContaining({ type: "push-pull", exchange: c, ok: false, error: "timeout" }),
    );
    expect(h.machine.handleStreamReply(c ?? -1, { error: "late" }, h.now)).toBeUndefined();
  });

  it("answers an inbound push/pull with our state (Join copied), then merges it", () => {
    const h = new CoreHarness("self", 1, {}, { localState: () => Uint8Array.of(5) });
    h.addPeers({ name: "b", index: 2 });
    h.packet(testAddress(3), { type: "dead", incarnation: 1, node: "b", from: "x" });
    const reply = h.machine.handleStreamRequest(
      testAddress(9),
      { type: "push-pull", join: true, nodes: [pushStateOf("z", 9, 1, 0)], userState: v() },
      h.now,
    );
    if (reply?.type !== "push-pull") throw new Error("expected push-pull");
    expect(reply.join).toBe(true);
    expect(reply.userState).toEqual(Uint8Array.of(5));
    // Dead entries are included, and the reply was built before merging z.
    expect(reply.nodes.map((n) => [n.name, n.state]).sort()).toEqual([
      ["b", NodeStateCode.DEAD],
      ["self", NodeStateCode.ALIVE],
    ]);
    expect(h.machine.nodeState("z")).toBe(NodeStateCode.ALIVE);
  });

  it("consults the merge delegate on joins only", () => {
    const h = new CoreHarness("self", 1, {}, { notifyMerge: () => "wrong cluster" });
    h.drain();
    const req = (join: boolean) =>
      h.machine.handleStreamRequest(
        testAddress(9),
        { type: "push-pull", join, nodes: [pushStateOf(`z${join}`, 9, 1, 0)], userState: v() },
        h.now,
      );
    req(true);
    expect(h.machine.nodeState("ztrue")).toBeUndefined();
    req(false);
    expect(h.machine.nodeState("zfalse")).toBe(NodeStateCode.ALIVE);
  });

  it("schedules periodic push/pulls after a random stagger, scaled with cluster size", () => {
    const h = new CoreHarness("self", 1, { gossipIntervalMs: 0, probeIntervalMs: 0 });
    h.addPeers({ name: "b", index: 2 });
    let streams: StreamTransmit[] = [];
    let waited = 0;
    while (streams.length === 0 && waited < 60_000) {
      streams = h.advance(100).transmits.filter((t): t is StreamTransmit => t.kind === "stream");
      waited += 100;
    }
    // First one after the stagger (< interval) plus one interval.
    expect(waited).toBeGreaterThan(30_000);
    expect(waited).toBeLessThanOrEqual(60_000);
    expect(streams[0]?.message).toMatchObject({ type: "push-pull", join: false });
    expect(streams[0]?.node).toBe("b");
    // Reply, then the next one comes one interval later.
    h.machine.handleStreamReply(streams[0]?.exchange ?? -1, { error: "x" }, h.now);
    h.drain();
    const repliedAt = h.now;
    expect(h.machine.pollTimeout()).toBe(repliedAt + 30_000);
    expect(pushPullScaleMs(30_000, 40)).toBe(60_000);
  });
});
