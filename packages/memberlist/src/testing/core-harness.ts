/**
 * Small helpers to drive one `SwimMachine` by hand in unit tests: build it, feed it messages,
 * drain its outputs. No timers, no network.
 */

import type {
  AliveMessage,
  DeadMessage,
  PacketMessage,
  PushNodeState,
  SuspectMessage,
} from "@serf-ts/wire";
import { seededRandom } from "../core/random.ts";
import { SwimMachine } from "../core/swim-machine.ts";
import type { CoreDelegates, MemberlistEvent, PacketTransmit, Transmit } from "../core/types.ts";
import { type MemberlistOptions, resolveOptions } from "../options.ts";

/** The advertised IP of test node `i`: 10.0.0.i. */
export function testIp(i: number): Uint8Array {
  return Uint8Array.of(10, 0, (i >> 8) & 255, i & 255);
}

/** `"10.0.0.i:7946"`. */
export function testAddress(i: number, port = 7946): string {
  return `10.0.${(i >> 8) & 255}.${i & 255}:${port}`;
}

/** The default Vsn of the Go serf 0.9.4 agent. */
export const GO_VSN = Uint8Array.of(1, 5, 2, 2, 5, 5);

/** An alive message for test node `i`. */
export function aliveOf(
  name: string,
  i: number,
  incarnation: number,
  extra: Partial<AliveMessage> = {},
): AliveMessage {
  return {
    type: "alive",
    incarnation,
    node: name,
    addr: testIp(i),
    port: 7946,
    meta: new Uint8Array(0),
    vsn: GO_VSN,
    ...extra,
  };
}

export function suspectOf(node: string, incarnation: number, from: string): SuspectMessage {
  return { type: "suspect", incarnation, node, from };
}

export function deadOf(node: string, incarnation: number, from: string): DeadMessage {
  return { type: "dead", incarnation, node, from };
}

/** A push/pull entry for test node `i`. */
export function pushStateOf(
  name: string,
  i: number,
  incarnation: number,
  state: PushNodeState["state"],
  extra: Partial<PushNodeState> = {},
): PushNodeState {
  return {
    name,
    addr: testIp(i),
    port: 7946,
    meta: new Uint8Array(0),
    incarnation,
    state,
    vsn: GO_VSN,
    ...extra,
  };
}

/** Drained outputs of a machine. */
export interface Drained {
  readonly transmits: Transmit[];
  readonly packets: PacketTransmit[];
  /** Every event but the log records. */
  readonly events: MemberlistEvent[];
  /** The `log` events, as `[LEVEL] memberlist: message` lines. */
  readonly logs: string[];
}

/** Splits log records off the events. */
function splitLogs(all: MemberlistEvent[]): { events: MemberlistEvent[]; logs: string[] } {
  const events: MemberlistEvent[] = [];
  const logs: string[] = [];
  for (const e of all) {
    if (e.type === "log") logs.push(`[${e.level}] memberlist: ${e.message}`);
    else events.push(e);
  }
  return { events, logs };
}

/** A machine under test with a clock and helpers. */
export class CoreHarness {
  readonly machine: SwimMachine;
  now: number;

  constructor(
    name = "self",
    index = 1,
    options: MemberlistOptions = {},
    delegates: CoreDelegates = {},
    seed = 1,
    start = 0,
  ) {
    this.now = start;
    this.machine = new SwimMachine(
      resolveOptions(options),
      { name, addr: testIp(index), port: 7946 },
      seededRandom(seed),
      start,
      delegates,
    );
  }

  /** Drains every output. */
  drain(): Drained {
    const transmits: Transmit[] = [];
    const events: MemberlistEvent[] = [];
    for (let t = this.machine.pollTransmit(); t !== undefined; t = this.machine.pollTransmit()) {
      transmits.push(t);
    }
    for (let e = this.machine.pollEvent(); e !== undefined; e = this.machine.pollEvent()) {
      events.push(e);
    }
    const packets = transmits.filter((t): t is PacketTransmit => t.kind === "packet");
    return { transmits, packets, ...splitLogs(events) };
  }

  /** Feeds one datagram's messages at the current time. */
  packet(from: string, ...messages: PacketMessage[]): Drained {
    this.machine.handlePacket(from, messages, this.now);
    return this.drain();
  }

  /** Moves time forward, firing every deadline on the way (in order). */
  advance(ms: number): Drained {
    const end = this.now + ms;
    const transmits: Transmit[] = [];
    const events: MemberlistEvent[] = [];
    const logs: string[] = [];
    for (;;) {
      const next = this.machine.pollTimeout();
      if (next === undefined || next > end) break;
      this.now = Math.max(this.now, next);
      this.machine.handleTimeout(this.now);
      const d = this.drain();
      transmits.push(...d.transmits);
      events.push(...d.events);
      logs.push(...d.logs);
    }
    this.now = end;
    const packets = transmits.filter((t): t is PacketTransmit => t.kind === "packet");
    return { transmits, packets, events, logs };
  }

  /** Adds known peers by feeding alive messages (drains the outputs). */
  addPeers(...peers: { name: string; index: number; incarnation?: number; vsn?: Uint8Array }[]) {
    for (const p of peers) {
      this.packet(
        testAddress(p.index),
        aliveOf(p.name, p.index, p.incarnation ?? 1, p.vsn === undefined ? {} : { vsn: p.vsn }),
      );
    }
    this.drain();
  }
}
