/**
 * Helpers to drive one `SerfMachine` by hand in unit tests: build it, feed it memberlist
 * messages and serf messages, drain its outputs. No timers, no network.
 */

import { seededRandom, type Transmit } from "@serf-ts/memberlist/core";
import {
  type AliveMessage,
  type DeadMessage,
  decodeSerfMessage,
  encodeSerfMessage,
  encodeTags,
  type PacketMessage,
  type SerfMessage,
} from "@serf-ts/wire";
import { SerfMachine, type SerfMachineHooks } from "../core/serf-machine.ts";
import type { SerfEvent } from "../core/events.ts";
import { resolveSerfOptions, type SerfOptions } from "../options.ts";
import type { SnapshotState } from "../core/snapshot/snapshot-replay.ts";

/** The advertised IP of test node `i`: 10.0.0.i. */
export function testIp(i: number): Uint8Array {
  return Uint8Array.of(10, 0, (i >> 8) & 255, i & 255);
}

/** `"10.0.0.i:7946"`. */
export function testAddress(i: number): string {
  return `10.0.${(i >> 8) & 255}.${i & 255}:7946`;
}

/** The Vsn of a Go serf 0.9.4 agent (protocol 5). */
export const AGENT_VSN = Uint8Array.of(1, 5, 2, 2, 5, 5);

/** A memberlist alive for test node `i` carrying serf tags. */
export function aliveFor(
  name: string,
  i: number,
  incarnation = 1,
  tags: Readonly<Record<string, string>> = {},
): AliveMessage {
  return {
    type: "alive",
    incarnation,
    node: name,
    addr: testIp(i),
    port: 7946,
    meta: encodeTags(tags),
    vsn: AGENT_VSN,
  };
}

/** A memberlist dead message (`from === node` is a graceful leave). */
export function deadFor(name: string, incarnation: number, from: string): DeadMessage {
  return { type: "dead", incarnation, node: name, from };
}

/** A serf message wrapped as a memberlist user message. */
export function serfPart(msg: SerfMessage): PacketMessage {
  return { type: "user", payload: encodeSerfMessage(msg) };
}

/** One machine plus drain helpers. */
export class SerfHarness {
  readonly m: SerfMachine;
  now: number;
  /** Every event drained so far. */
  readonly events: SerfEvent[] = [];
  /** Every transmit drained so far. */
  readonly transmits: Transmit[] = [];

  constructor(
    opts: {
      name?: string;
      index?: number;
      options?: SerfOptions;
      tags?: Readonly<Record<string, string>>;
      hooks?: SerfMachineHooks;
      snapshot?: SnapshotState;
      seed?: number;
      now?: number;
    } = {},
  ) {
    this.now = opts.now ?? 0;
    const i = opts.index ?? 1;
    this.m = new SerfMachine(
      resolveSerfOptions(opts.options ?? { protocolVersion: 5 }),
      { name: opts.name ?? `node-${i}`, addr: testIp(i), port: 7946, tags: opts.tags ?? {} },
      seededRandom(opts.seed ?? 1),
      this.now,
      opts.snapshot,
      opts.hooks ?? {},
    );
    this.drain();
  }

  /** Drains events and transmits; returns the new events. */
  drain(): SerfEvent[] {
    const fresh: SerfEvent[] = [];
    for (;;) {
      const e = this.m.pollEvent();
      if (e === undefined) break;
      fresh.push(e);
      this.events.push(e);
    }
    for (;;) {
      const t = this.m.pollTransmit();
      if (t === undefined) break;
      this.transmits.push(t);
    }
    return fresh;
  }

  /** Feeds one datagram from test node `i`; returns the new events. */
  packet(fromIndex: number, messages: readonly PacketMessage[]): SerfEvent[] {
    this.m.handlePacket(testAddress(fromIndex), messages, this.now);
    return this.drain();
  }

  /** Feeds serf messages (one datagram) from test node `i`. */
  serf(fromIndex: number, ...msgs: SerfMessage[]): SerfEvent[] {
    return this.packet(fromIndex, msgs.map(serfPart));
  }

  /** Advances time and runs due deadlines. */
  advance(ms: number): SerfEvent[] {
    this.now += ms;
    this.m.handleTimeout(this.now);
    return this.drain();
  }

  /** Serf messages found in user parts of packet transmits since `from` (index). */
  sentSerf(from = 0): { to: string; msg: SerfMessage }[] {
    const out: { to: string; msg: SerfMessage }[] = [];
    for (const t of this.transmits.slice(from)) {
      if (t.kind !== "packet") continue;
      for (const p of t.typed) {
        if (p.type === "user") out.push({ to: t.to, msg: decodeSerfMessage(p.payload) });
      }
    }
    return out;
  }
}
