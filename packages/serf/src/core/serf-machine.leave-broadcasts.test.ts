/**
 * Leave skew (issue 16 §3): Go's `Serf.Leave` waits until its leave intent has been handed out
 * its full retransmit limit (memberlist's TransmitLimitedQueue calls `Finished` then), and
 * `Memberlist.Leave` likewise for its own dead message; only then does the leaver count down
 * LeavePropagateDelay and stop. A leaver that moved on after the first send would shut down
 * with its news heard by one or two nodes. This counts what a serf-ts leaver actually sends.
 */

import type { Transmit } from "@serf-ts/memberlist";
import { retransmitLimit } from "@serf-ts/memberlist/core";
import type { PacketMessage } from "@serf-ts/wire";
import { describe, expect, it } from "vitest";
import { SerfSimCluster, type SerfSimNode } from "../testing/serf-sim.ts";

/** Serf's message type byte of a leave intent (Go `messageLeaveType`). */
const SERF_LEAVE = 0;

class CountingCluster extends SerfSimCluster {
  readonly sent: { at: number; from: string; messages: readonly PacketMessage[] }[] = [];
  protected override send(src: SerfSimNode, t: Transmit): void {
    if (t.kind === "packet") this.sent.push({ at: this.now, from: src.name, messages: t.typed });
    super.send(src, t);
  }
}

describe("graceful leave: the leaver's broadcasts reach their retransmit limit first", () => {
  for (const seed of [3, 4, 5]) {
    it(`seed ${seed}: 4 intent sends, then 4 dead-about-self sends, then LeavePropagateDelay`, () => {
      const c = new CountingCluster({ seed, options: { protocolVersion: 5 } });
      c.addNodes(6);
      for (let i = 1; i < 6; i++) c.join(`node-${i}`, ["node-0"]);
      expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
      const limit = retransmitLimit(4, 6);
      expect(limit).toBe(4);
      const leaver = c.node("node-3");
      const start = c.sent.length;
      c.leave(leaver);
      expect(c.runUntil(() => leaver.m.state === "left", 15_000)).toBeDefined();
      const finishedAt = leaver.events.find((e) => e.event.type === "leave-finished")?.at ?? 0;
      const mine = c.sent.slice(start).filter((p) => p.from === "node-3");
      const intents: number[] = [];
      const deads: number[] = [];
      for (const p of mine) {
        for (const m of p.messages) {
          if (m.type === "user" && m.payload[0] === SERF_LEAVE) intents.push(p.at);
          if (m.type === "dead" && m.node === "node-3") deads.push(p.at);
        }
      }
      // Every intent copy leaves before memberlist's leave starts, all four of them.
      expect(intents.length).toBe(limit);
      expect(deads.length).toBe(limit);
      expect(Math.max(...intents)).toBeLessThanOrEqual(Math.min(...deads));
      // LeavePropagateDelay (1 s) runs after the last dead copy went out.
      expect(finishedAt - Math.max(...deads)).toBeGreaterThanOrEqual(1_000);
    });
  }
});
