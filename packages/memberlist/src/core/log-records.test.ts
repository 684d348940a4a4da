import { describe, expect, it } from "vitest";
import {
  aliveOf,
  CoreHarness,
  deadOf,
  suspectOf,
  testAddress,
  testIp,
} from "../testing/core-harness.ts";
import type { PingMessage } from "@serf-ts/wire";
import type { PacketTransmit, StreamTransmit } from "./types.ts";

const QUIET = { gossipIntervalMs: 0, pushPullIntervalMs: 0 };

/** self probes b (the only peer): returns the harness, the ping and its stream fallback. */
function probeOnlyPeer() {
  const h = new CoreHarness("self", 1, QUIET);
  h.addPeers({ name: "b", index: 2 });
  const tick = h.advance(1_000);
  const ping = tick.packets.find((p) => p.typed[0]?.type === "ping") as PacketTransmit;
  return { h, ping: ping.typed[0] as PingMessage };
}

describe("memberlist log records (Go 0.2.2 wording and levels)", () => {
  it("a failed probe logs Failed ping (DEBUG), then Suspect X has failed (INFO)", () => {
    const { h } = probeOnlyPeer();
    const phase2 = h.advance(500);
    expect(phase2.logs).toEqual(["[DEBUG] memberlist: Failed ping: b (timeout reached)"]);
    const stream = phase2.transmits.find((t): t is StreamTransmit => t.kind === "stream");
    // A dial error (the node is down) is not logged, as in Go.
    h.machine.handleStreamReply(stream?.exchange ?? -1, { error: "connection refused" }, h.now);
    const end = h.advance(500);
    expect([...h.drain().logs, ...end.logs]).toEqual([
      "[INFO] memberlist: Suspect b has failed, no acks received",
    ]);
    expect(end.events.some((e) => e.type === "suspect")).toBe(true);
  });

  it("a fallback ping that connected and then failed logs Failed fallback ping (ERR)", () => {
    const { h } = probeOnlyPeer();
    const phase2 = h.advance(500);
    const stream = phase2.transmits.find((t): t is StreamTransmit => t.kind === "stream");
    h.machine.handleStreamReply(
      stream?.exchange ?? -1,
      { error: "read tcp: i/o timeout", connected: true },
      h.now,
    );
    expect(h.drain().logs).toEqual([
      "[ERR] memberlist: Failed fallback ping: read tcp: i/o timeout",
    ]);
  });

  it("only the TCP fallback got through: Was able to connect (WARN), no suspicion", () => {
    const { h, ping } = probeOnlyPeer();
    const phase2 = h.advance(500);
    const stream = phase2.transmits.find((t): t is StreamTransmit => t.kind === "stream");
    h.machine.handleStreamReply(
      stream?.exchange ?? -1,
      { type: "ack", seqNo: ping.seqNo, payload: null },
      h.now,
    );
    const end = h.advance(500);
    expect(end.logs).toEqual([
      "[WARN] memberlist: Was able to connect to b but other probes failed, network may be misconfigured",
    ]);
  });

  it("the suspicion timer logs Marking X as failed with its confirmations (INFO)", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 }, { name: "c", index: 3 }, { name: "d", index: 4 });
    h.packet(testAddress(3), suspectOf("b", 1, "c"));
    h.packet(testAddress(4), suspectOf("b", 1, "d"));
    const end = h.advance(60_000);
    // Confirmations of c's suspicion: d's, then our own failed probe of b (nobody acks here).
    expect(end.logs).toContain("[INFO] memberlist: Suspect b has failed, no acks received");
    expect(end.logs.filter((l) => l.includes("Marking b"))).toEqual([
      "[INFO] memberlist: Marking b as failed, suspect timeout reached (2 peer confirmations)",
    ]);
  });

  it("refutations log Refuting a suspect / dead / alive message (WARN)", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 });
    expect(h.packet(testAddress(2), suspectOf("self", 1, "b")).logs).toEqual([
      "[WARN] memberlist: Refuting a suspect message (from: b)",
    ]);
    expect(h.packet(testAddress(2), deadOf("self", 5, "b")).logs).toEqual([
      "[WARN] memberlist: Refuting a dead message (from: b)",
    ]);
    const stale = aliveOf("self", 1, 9, { meta: Uint8Array.of(1, 2), vsn: Uint8Array.of(1, 5, 2) });
    const localVsn = Array.from(h.machine.localNode().vsn).join(" ");
    expect(h.packet(testAddress(2), stale).logs).toEqual([
      `[WARN] memberlist: Refuting an alive message for 'self' (10.0.0.1:7946) meta:([1 2] VS []), vsn:([1 5 2] VS [${localVsn}])`,
    ]);
  });

  it("address conflicts and updates of left nodes use Go's text", () => {
    const h = new CoreHarness("self", 1, QUIET);
    h.addPeers({ name: "b", index: 2 });
    const other = aliveOf("b", 9, 2);
    expect(h.packet(testAddress(9), other).logs).toEqual([
      "[ERR] memberlist: Conflicting address for b. Mine: 10.0.0.2:7946 Theirs: 10.0.0.9:7946 Old state: 0",
    ]);
    h.packet(testAddress(2), deadOf("b", 1, "b")); // b leaves
    expect(h.packet(testAddress(9), aliveOf("b", 9, 3)).logs).toEqual([
      "[INFO] memberlist: Updating address for left or failed node b from 10.0.0.2:7946 to 10.0.0.9:7946",
    ]);
  });

  it("refused alive messages and misaddressed pings (WARN)", () => {
    const h = new CoreHarness("self", 1, QUIET, {
      notifyAlive: (n) => (n.name === "self" ? undefined : "wrong cluster"),
    });
    expect(h.packet(testAddress(2), aliveOf("b", 2, 1)).logs).toEqual([
      "[WARN] memberlist: ignoring alive message for 'b': wrong cluster",
    ]);
    const noVsn = aliveOf("c", 3, 1, { vsn: new Uint8Array(0) });
    expect(h.packet(testAddress(3), noVsn).logs).toEqual([
      "[WARN] memberlist: ignoring alive message for 'c' (10.0.0.3:7946) because Vsn is not present",
    ]);
    const badVsn = aliveOf("d", 4, 1, { vsn: Uint8Array.of(0, 5, 2, 2, 5, 5) });
    expect(h.packet(testAddress(4), badVsn).logs).toEqual([
      "[WARN] memberlist: Ignoring an alive message for 'd' (10.0.0.4:7946) because protocol version(s) are wrong: 0 <= 2 <= 5 should be >0",
    ]);
    const ping: PingMessage = {
      type: "ping",
      seqNo: 7,
      node: "zed",
      sourceAddr: testIp(2),
      sourcePort: 7946,
      sourceNode: "b",
    };
    expect(h.packet(testAddress(2), ping).logs).toEqual([
      `[WARN] memberlist: Got ping for unexpected node 'zed' from=${testAddress(2)}`,
    ]);
  });

  it("a failed periodic push/pull logs Push/Pull with X failed (ERR); a join does not", () => {
    const h = new CoreHarness("self", 1, { gossipIntervalMs: 0, pushPullIntervalMs: 1_000 });
    h.addPeers({ name: "b", index: 2 });
    const run = h.advance(2_000);
    const stream = run.transmits.find(
      (t): t is StreamTransmit => t.kind === "stream" && t.message.type === "push-pull",
    );
    expect(stream).toBeDefined();
    h.machine.handleStreamReply(stream?.exchange ?? -1, { error: "connection refused" }, h.now);
    expect(h.drain().logs).toEqual([
      "[ERR] memberlist: Push/Pull with b failed: connection refused",
    ]);
    const [join] = h.machine.join([testAddress(5)], h.now);
    h.drain();
    h.machine.handleStreamReply(join ?? -1, { error: "connection refused" }, h.now);
    expect(h.drain().logs).toEqual([]);
  });
});
