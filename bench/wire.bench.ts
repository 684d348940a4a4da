// Micro-benchmark of @serf-ts/wire: encode/decode, compress, CRC and seal/open throughput in
// messages per second. Run with `pnpm bench` (a benchmark, not a test: nothing here asserts).
import { randomBytes } from "node:crypto";
import { type AliveMessage, Keyring, type PingMessage } from "@serf-ts/wire";
import {
  crc32,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  lzwCompress,
  lzwDecompress,
  openPacket,
  sealPacket,
} from "@serf-ts/wire/codec";

interface Row {
  readonly name: string;
  readonly bytes: number;
  readonly opsPerSec: number;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns ops/s. */
function measure(fn: () => unknown, ms = 400): number {
  const warmUntil = performance.now() + 50;
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) fn();
    ops += 64;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const ip = new Uint8Array([127, 0, 0, 1]);
const ping: PingMessage = {
  type: "ping",
  seqNo: 12345,
  node: "node-b",
  sourceAddr: ip,
  sourcePort: 7946,
  sourceNode: "node-a",
};
const alive: AliveMessage = {
  type: "alive",
  incarnation: 7,
  node: "web-01.example.internal",
  addr: ip,
  port: 7946,
  meta: new Uint8Array([0xff, 0x81, 0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa3, 0x77, 0x65, 0x62]),
  vsn: new Uint8Array([1, 5, 2, 2, 5, 5]),
};

const pingBytes = encodeMessage(ping);
const aliveBytes = encodeMessage(alive);
const gossip = Array.from({ length: 16 }, () => aliveBytes);
const gossipPacket = encodePacket(gossip, { compress: true, crc: true });
const compressed = lzwCompress(Uint8Array.from(gossip.flatMap((b) => [...b])));
const compressedInput = lzwDecompress(compressed, 1 << 20);
const keyring = Keyring.create([new Uint8Array(randomBytes(32))]);
const sealedGossip = sealPacket(keyring, gossipPacket);

const rows: Row[] = [
  { name: "encode ping", bytes: pingBytes.length, opsPerSec: measure(() => encodeMessage(ping)) },
  {
    name: "decode ping",
    bytes: pingBytes.length,
    opsPerSec: measure(() => decodeMessage(pingBytes)),
  },
  {
    name: "encode alive",
    bytes: aliveBytes.length,
    opsPerSec: measure(() => encodeMessage(alive)),
  },
  {
    name: "decode alive",
    bytes: aliveBytes.length,
    opsPerSec: measure(() => decodeMessage(aliveBytes)),
  },
  {
    name: "encode gossip packet (16 alive, LZW, CRC)",
    bytes: gossipPacket.length,
    opsPerSec: measure(() => encodePacket(gossip, { compress: true, crc: true })),
  },
  {
    name: "decode gossip packet (16 alive, LZW, CRC)",
    bytes: gossipPacket.length,
    opsPerSec: measure(() => decodePacket(gossipPacket)),
  },
  {
    name: "LZW compress",
    bytes: compressedInput.length,
    opsPerSec: measure(() => lzwCompress(compressedInput)),
  },
  {
    name: "LZW decompress",
    bytes: compressed.length,
    opsPerSec: measure(() => lzwDecompress(compressed, 1 << 20)),
  },
  { name: "CRC32", bytes: gossipPacket.length, opsPerSec: measure(() => crc32(gossipPacket)) },
  {
    name: "seal packet (AES-256-GCM v1)",
    bytes: gossipPacket.length,
    opsPerSec: measure(() => sealPacket(keyring, gossipPacket)),
  },
  {
    name: "open packet (AES-256-GCM v1)",
    bytes: sealedGossip.length,
    opsPerSec: measure(() => openPacket(keyring, sealedGossip)),
  },
];

const width = Math.max(...rows.map((r) => r.name.length));
console.log(`@serf-ts/wire micro-benchmark (node ${process.version})`);
console.log(`${"operation".padEnd(width)}  ${"bytes".padStart(6)}  ${"msgs/s".padStart(12)}  MB/s`);
for (const r of rows) {
  const mbps = (r.bytes * r.opsPerSec) / 1e6;
  console.log(
    `${r.name.padEnd(width)}  ${String(r.bytes).padStart(6)}  ${Math.round(r.opsPerSec)
      .toLocaleString("en-US")
      .padStart(12)}  ${mbps.toFixed(1)}`,
  );
}
