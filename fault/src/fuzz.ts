/**
 * Garbage for an agent's ports: random bytes and mutations (bit flips, truncation, growth,
 * overwritten length bytes) of well-formed memberlist and RPC messages. Seeded, so a failure
 * can be replayed.
 */

import { createSocket } from "node:dgram";
import { connect } from "node:net";

/** mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = (s: string) => [...new TextEncoder().encode(s)];
const str = (s: string) => [0xa0 | s.length, ...enc(s)];

/** A memberlist ping (type 0): `{SeqNo, Node}`. */
const PING = [0x00, 0x82, ...str("SeqNo"), 0xce, 0, 0, 0, 7, ...str("Node"), ...str("fuzz")];
/** A compound (type 7) of two pings. */
const COMPOUND = [0x07, 2, 0, PING.length, 0, PING.length, ...PING, ...PING];
/** A serf user message (memberlist user type 8) carrying a user event (serf type 5). */
const USER_EVENT = [
  0x08,
  0x05,
  0x84,
  ...str("LTime"),
  0x01,
  ...str("Name"),
  ...str("fuzz"),
  ...str("Payload"),
  0xc4,
  2,
  1,
  2,
  ...str("CC"),
  0xc2,
];
/** An indirect ping request (type 1) and an alive (type 4), shortened. */
const ALIVE = [
  0x04,
  0x83,
  ...str("Incarnation"),
  0x01,
  ...str("Node"),
  ...str("x"),
  ...str("Addr"),
  0xc4,
  4,
  10,
  0,
  0,
  1,
];
/** Push/pull header on a stream (type 6). */
const PUSH_PULL = [
  0x06,
  0x83,
  ...str("Nodes"),
  0x01,
  ...str("UserStateLen"),
  0x00,
  ...str("Join"),
  0xc3,
];
/** An RPC request header plus a handshake body. */
const RPC_HANDSHAKE = [
  0x82,
  ...str("Command"),
  ...str("handshake"),
  ...str("Seq"),
  0x00,
  0x81,
  ...str("Version"),
  0x01,
];

const PACKET_SEEDS = [PING, COMPOUND, USER_EVENT, ALIVE];
const STREAM_SEEDS = [PUSH_PULL, PING, USER_EVENT];
const RPC_SEEDS = [RPC_HANDSHAKE];

function mutate(seed: readonly number[], random: () => number): Uint8Array {
  const bytes = [...seed];
  const op = Math.floor(random() * 5);
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(random() * Math.max(1, bytes.length));
    switch (op) {
      case 0: // flip a bit
        bytes[at] = ((bytes[at] ?? 0) ^ (1 << Math.floor(random() * 8))) & 0xff;
        break;
      case 1: // truncate
        bytes.length = at;
        break;
      case 2: // grow with random bytes
        for (let k = Math.floor(random() * 64); k > 0; k--) bytes.push(Math.floor(random() * 256));
        break;
      case 3: // length or count bytes set to 0 or 0xff (the 32-bit msgpack headers are left
        // out: Go 0.9.4 allocates what they announce, measured at 1.7 GiB for one agent)
        bytes[at] = [0xff, 0x00][Math.floor(random() * 2)] as number;
        break;
      default: // random byte
        bytes[at] = Math.floor(random() * 256);
    }
  }
  return Uint8Array.from(bytes);
}

function garbage(random: () => number, max: number): Uint8Array {
  const out = new Uint8Array(1 + Math.floor(random() * max));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

export interface FuzzTarget {
  readonly ip: string;
  readonly gossipPort: number;
  readonly rpcPort: number;
}

export interface FuzzStats {
  udpPackets: number;
  tcpStreams: number;
  rpcStreams: number;
}

function stream(host: string, port: number, data: Uint8Array, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(2000, done);
    socket.on("error", done);
    socket.on("close", () => resolve());
    socket.on("connect", () => {
      socket.write(data);
      setTimeout(done, holdMs);
    });
  });
}

/**
 * Sends for `durationMs`: every 10 ms one UDP packet to each target's gossip port (half random,
 * half mutated); every 200 ms one TCP stream to its gossip port and every 500 ms one to its RPC
 * port, each writing mutated or random bytes and holding the connection up to 300 ms.
 */
export async function fuzz(
  targets: readonly FuzzTarget[],
  durationMs: number,
  seed: number,
): Promise<FuzzStats> {
  const random = seededRandom(seed);
  const stats: FuzzStats = { udpPackets: 0, tcpStreams: 0, rpcStreams: 0 };
  const socket = createSocket("udp4");
  socket.on("error", () => {});
  const deadline = Date.now() + durationMs;
  const streams: Promise<void>[] = [];
  let tick = 0;
  try {
    while (Date.now() < deadline) {
      for (const t of targets) {
        const packet =
          random() < 0.5 ? garbage(random, 1400) : mutate(pick(PACKET_SEEDS, random), random);
        socket.send(packet, t.gossipPort, t.ip);
        stats.udpPackets++;
        if (tick % 20 === 0) {
          const data =
            random() < 0.5 ? garbage(random, 4096) : mutate(pick(STREAM_SEEDS, random), random);
          streams.push(stream(t.ip, t.gossipPort, data, Math.floor(random() * 300)));
          stats.tcpStreams++;
        }
        if (tick % 50 === 0) {
          const data =
            random() < 0.5 ? garbage(random, 4096) : mutate(pick(RPC_SEEDS, random), random);
          streams.push(stream(t.ip, t.rpcPort, data, Math.floor(random() * 300)));
          stats.rpcStreams++;
        }
      }
      tick++;
      await new Promise((r) => setTimeout(r, 10));
      if (streams.length > 200) await Promise.all(streams.splice(0));
    }
    await Promise.all(streams);
  } finally {
    socket.close();
  }
  return stats;
}
