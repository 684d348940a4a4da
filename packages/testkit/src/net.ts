/**
 * Loopback addresses and ports for test processes: a random `127.a.b.c` per agent (so parallel
 * suites rarely share an IP) and ports checked free on that IP just before use. The check is a
 * hint, not a reservation: callers still retry when the process reports the address in use.
 */

import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** A random loopback IP `127.a.b.c` with every octet in 1..254 (never `.0` or `.255`). */
export function randomLoopbackIp(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.${octet()}.${octet()}.${octet()}`;
}

/** A short random lowercase suffix for node names. */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, "0");
}

/** Text a process prints when it cannot bind (Go: `bind: address already in use`; Node). */
const ADDRESS_IN_USE = /address already in use|EADDRINUSE|bind: address/i;

/** Whether a log or error text says that an address was taken. */
export function isAddressInUse(text: string): boolean {
  return ADDRESS_IN_USE.test(text);
}

function tcpPort(ip: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ host: ip, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

function udpFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: ip, port, exclusive: true }, () => {
      socket.close(() => resolve(true));
    });
  });
}

/** Options of `freePort`. */
export interface FreePortOptions {
  /** Also require the UDP port to be free (gossip uses both). @default false */
  readonly udp?: boolean;
  /** Ports that must not be returned (e.g. the one just picked for the other listener). */
  readonly exclude?: readonly number[];
  /** Tries before giving up. @default 20 */
  readonly attempts?: number;
}

/**
 * A port that is free right now on `ip` (TCP, and UDP too with `udp: true`), chosen by the OS.
 * Rejects after `attempts` tries.
 */
export async function freePort(ip: string, options: FreePortOptions = {}): Promise<number> {
  const attempts = options.attempts ?? 20;
  for (let i = 0; i < attempts; i++) {
    const port = await tcpPort(ip, 0);
    if (port === undefined) {
      throw new Error(`cannot bind a TCP socket on ${ip} (is it a loopback address?)`);
    }
    if (options.exclude?.includes(port) === true) continue;
    if (options.udp === true && !(await udpFree(ip, port))) continue;
    return port;
  }
  throw new Error(`no free port found on ${ip} after ${attempts} tries`);
}
