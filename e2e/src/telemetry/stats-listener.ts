/**
 * A statsd (UDP) and statsite (TCP) listener for tests: records every `key:value|type` line an
 * agent sends, on a loopback address of its own.
 */

import { createSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { randomLoopbackIp } from "@serf-ts/testkit";

/** One received line. */
export interface StatsLine {
  readonly key: string;
  readonly value: number;
  readonly type: string;
  /** The line as received. */
  readonly raw: string;
}

/** A running listener. */
export interface StatsListener {
  /** `ip:port` to put in `statsd_addr` / `statsite_addr`. */
  readonly address: string;
  /** Lines received so far. */
  readonly lines: StatsLine[];
  /** Distinct keys received so far. */
  keys(): Set<string>;
  close(): Promise<void>;
}

function parse(text: string, into: StatsLine[]): void {
  for (const raw of text.split("\n")) {
    const m = /^(.+):([^:|]+)\|([a-z]+)$/.exec(raw);
    if (m === null) continue;
    into.push({ key: m[1] as string, value: Number(m[2]), type: m[3] as string, raw });
  }
}

/** A UDP listener (statsd). */
export async function startStatsdListener(): Promise<StatsListener> {
  const ip = randomLoopbackIp();
  const socket = createSocket("udp4");
  const lines: StatsLine[] = [];
  socket.on("message", (msg) => parse(msg.toString("utf8"), lines));
  await new Promise<void>((resolve) => socket.bind(0, ip, () => resolve()));
  return {
    address: `${ip}:${socket.address().port}`,
    lines,
    keys: () => new Set(lines.map((l) => l.key)),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A TCP listener (statsite). */
export async function startStatsiteListener(): Promise<StatsListener> {
  const ip = randomLoopbackIp();
  const lines: StatsLine[] = [];
  const conns = new Set<Socket>();
  const server: Server = createServer((conn) => {
    conns.add(conn);
    conn.on("close", () => conns.delete(conn));
    let buf = "";
    conn.on("data", (d) => {
      buf += d.toString("utf8");
      const end = buf.lastIndexOf("\n");
      if (end < 0) return;
      parse(buf.slice(0, end), lines);
      buf = buf.slice(end + 1);
    });
    conn.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, ip, () => resolve()));
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : 0;
  return {
    address: `${ip}:${port}`,
    lines,
    keys: () => new Set(lines.map((l) => l.key)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of conns) c.destroy();
      }),
  };
}
