/**
 * Answers to stale news (a serf-ts addition to Go memberlist 0.2.2; messages and encodings are
 * the ones Go sends and accepts, only two extra packets are sent):
 *
 * 1. **A stale accusation about us.** After we refuted a suspicion (incarnation `i` → `i + 1`),
 *    a node that missed every copy of our refuting alive keeps us suspect at `i` until its
 *    suspicion times out and it declares us dead: with 10% loss and 8 nodes about one
 *    refutation in a hundred is missed by some node (all seven gossipers pick other targets or
 *    lose the packet). Go ignores a suspect/dead about itself with an older incarnation, yet
 *    the accuser keeps sending exactly that (its probes of a suspect carry the accusation). We
 *    answer it with our current alive, sent straight to the accuser: that is the refutation
 *    it missed; our incarnation and health score are untouched.
 * 2. **An indirect ping for a node we know is dead.** A requester that probes a node we already
 *    declared dead (or saw leave) missed our dead broadcast (with half the cluster partitioned
 *    away, most gossip goes to the unreachable side: at 8 nodes, 4+4, a node missed every copy
 *    in about one partition of six and waited out its 24 s suspicion). Besides relaying the
 *    ping as usual, we send the requester our dead message; its incarnation rules decide, as
 *    for gossip (a newer alive at the requester wins).
 */

import type { AliveMessage, DeadMessage } from "@serf-ts/wire";
import { type CoreContext, DEAD, LEFT, type MemberRecord } from "./context.ts";
import type { MemberTable } from "./members.ts";

/** Remembered accusers (bounded: cleared when full). */
const MAX_TRACKED = 1024;

export class StaleNewsAnswers {
  private readonly ctx: CoreContext;
  private readonly table: MemberTable;
  /** Accuser name → when we last answered it (at most once per probe timeout). */
  private readonly answeredAt = new Map<string, number>();

  constructor(ctx: CoreContext, table: MemberTable) {
    this.ctx = ctx;
    this.table = table;
  }

  /**
   * A suspect or dead message about us with an incarnation older than ours arrived from
   * `accuser`'s view: send it our current alive.
   */
  staleAccusation(accuser: string): void {
    const ctx = this.ctx;
    if (accuser === ctx.selfName || this.table.left) return;
    const to = this.table.get(accuser);
    if (to === undefined || to.state === DEAD || to.state === LEFT) return;
    const now = ctx.now();
    const last = this.answeredAt.get(accuser);
    if (last !== undefined && now - last < ctx.options.probeTimeoutMs) return;
    if (this.answeredAt.size >= MAX_TRACKED) this.answeredAt.clear();
    this.answeredAt.set(accuser, now);
    const me = this.table.self();
    const alive: AliveMessage = {
      type: "alive",
      incarnation: me.incarnation,
      node: me.name,
      addr: me.addr,
      port: me.port,
      meta: me.meta,
      vsn: me.vsn,
    };
    ctx.sendMessage(to.address, to.name, alive);
  }

  /**
   * An indirect ping asks about `target`, which we hold dead or left: tell the requester
   * (`requesterAddress`, `requesterNode`).
   */
  indirectPingForDown(
    target: MemberRecord | undefined,
    requesterAddress: string,
    requesterNode: string | undefined,
  ): void {
    if (target === undefined || (target.state !== DEAD && target.state !== LEFT)) return;
    const dead: DeadMessage = {
      type: "dead",
      incarnation: target.incarnation,
      node: target.name,
      // A left node declared itself dead (From = Node); a failed one is declared by us.
      from: target.state === LEFT ? target.name : this.ctx.selfName,
    };
    this.ctx.sendMessage(requesterAddress, requesterNode, dead);
  }
}
