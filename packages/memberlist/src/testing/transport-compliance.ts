/**
 * A transport compliance suite: the behaviour every `Transport` must show, written once and run
 * against each implementation (`MemoryTransport`, `NetTransport`, ...), in the style of
 * libp2p's interface compliance tests. Test-runner neutral: the caller passes its runner's
 * `describe`/`it`/`afterEach` (vitest, jest, mocha and `node:test` all fit), and failures are
 * `node:assert` errors, so this package needs no test runner of its own.
 */

import assert from "node:assert/strict";
import {
  type Address,
  type DuplexStream,
  parseAddress,
  type Transport,
  TransportError,
  TransportErrorCode,
} from "../transport.ts";

/** What the suite needs from an implementation. */
export interface TransportComplianceFactory {
  /** Creates a fresh, listening transport. Called several times per test. */
  create(): Promise<Transport>;
  /** An address where nothing listens (dials must fail, packets vanish). */
  unusedAddress(): Promise<Address>;
  /** Runs after each test, once every created transport is closed. */
  teardown?(): Promise<void>;
}

type Received = { bytes: Uint8Array; from: Address; at: number };

function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const n = chunks.reduce((sum, c) => sum + c.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Fast equality for large byte arrays (deep-equal on 1 MiB typed arrays is slow). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readAll(stream: DuplexStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return concat(chunks);
}

async function readExactly(stream: DuplexStream, n: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < n) {
    const c = await stream.read();
    if (c === null) break;
    chunks.push(c);
    have += c.length;
  }
  return concat(chunks);
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nextStream(t: Transport): Promise<{ stream: DuplexStream; from: Address }> {
  return new Promise((resolve) => {
    t.onStream((stream, from) => resolve({ stream, from }));
  });
}

/** The parts of a test runner the suite registers its tests with (vitest, jest, mocha, `node:test`). */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
  afterEach(body: () => Promise<void>): unknown;
}

/**
 * Registers the compliance tests for one transport implementation with `runner`, e.g.
 * `describeTransportCompliance("mine", factory, { describe, it, afterEach })` with vitest's or
 * `node:test`'s functions.
 */
export function describeTransportCompliance(
  name: string,
  factory: TransportComplianceFactory,
  runner: TestRunner,
): void {
  const { describe, it, afterEach } = runner;
  describe(`Transport compliance: ${name}`, () => {
    const created: Transport[] = [];
    const make = async (): Promise<Transport> => {
      const t = await factory.create();
      created.push(t);
      return t;
    };

    afterEach(async () => {
      await Promise.all(created.splice(0).map((t) => t.close()));
      await factory.teardown?.();
    });

    it("reports a parseable local address with a real port", async () => {
      const t = await make();
      const { port } = parseAddress(t.localAddress);
      assert.ok(port > 0, `port ${port}`);
    });

    it("delivers a packet with its bytes, sender address and a receive time", async () => {
      const a = await make();
      const b = await make();
      const got: Received[] = [];
      b.onPacket((bytes, from, at) => got.push({ bytes: bytes.slice(), from, at }));
      const payload = bytesOf(100);
      a.sendPacket(b.localAddress, payload);
      const first = await waitFor(() => got[0]);
      assert.deepStrictEqual([...first.bytes], [...payload]);
      assert.strictEqual(first.from, a.localAddress);
      assert.strictEqual(typeof first.at, "number");
      assert.strictEqual(Number.isFinite(first.at), true);
    });

    it("delivers packets both ways and lets the receiver reply to `from`", async () => {
      const a = await make();
      const b = await make();
      b.onPacket((bytes, from) => b.sendPacket(from, Uint8Array.from([...bytes, 0xff])));
      const got: Uint8Array[] = [];
      a.onPacket((bytes) => got.push(bytes.slice()));
      a.sendPacket(b.localAddress, Uint8Array.of(1, 2, 3));
      const reply = await waitFor(() => got[0]);
      assert.deepStrictEqual([...reply], [1, 2, 3, 0xff]);
    });

    it("does not alias the sender's buffer", async () => {
      const a = await make();
      const b = await make();
      const got: Uint8Array[] = [];
      b.onPacket((bytes) => got.push(bytes.slice()));
      const buf = Uint8Array.of(7, 7, 7);
      a.sendPacket(b.localAddress, buf);
      buf.fill(0);
      const first = await waitFor(() => got[0]);
      assert.deepStrictEqual([...first], [7, 7, 7]);
    });

    it("carries a 60 KiB datagram intact", async () => {
      const a = await make();
      const b = await make();
      const got: Uint8Array[] = [];
      b.onPacket((bytes) => got.push(bytes.slice()));
      const payload = bytesOf(60 * 1024, 7);
      a.sendPacket(b.localAddress, payload);
      const first = await waitFor(() => got[0]);
      assert.strictEqual(first.length, payload.length);
      assert.strictEqual(sameBytes(first, payload), true);
    });

    it("delivers a burst of packets", async () => {
      const a = await make();
      const b = await make();
      const seen = new Set<number>();
      b.onPacket((bytes) => seen.add(bytes[0]!));
      for (let i = 0; i < 50; i++) a.sendPacket(b.localAddress, Uint8Array.of(i, 1, 2, 3));
      await waitFor(() => (seen.size === 50 ? true : undefined));
      assert.strictEqual(seen.size, 50);
    });

    it("never throws when sending to an address nobody listens on", async () => {
      const a = await make();
      const nowhere = await factory.unusedAddress();
      assert.doesNotThrow(() => a.sendPacket(nowhere, Uint8Array.of(1)));
      await new Promise((r) => setTimeout(r, 20));
    });

    it("runs a request/reply exchange over a stream", async () => {
      const a = await make();
      const b = await make();
      const accepted = nextStream(b);
      const client = await a.dial(b.localAddress, { timeoutMs: 2000 });
      await client.write(Uint8Array.of(1, 2, 3));
      await client.write(Uint8Array.of(4, 5));
      const { stream: server, from } = await accepted;
      assert.strictEqual(typeof from, "string");
      assert.doesNotThrow(() => parseAddress(from));
      assert.strictEqual(from, server.remoteAddress);
      assert.deepStrictEqual([...(await readExactly(server, 5))], [1, 2, 3, 4, 5]);
      await server.write(Uint8Array.of(9, 8, 7));
      await server.end();
      assert.deepStrictEqual([...(await readAll(client))], [9, 8, 7]);
      client.close();
      server.close();
      assert.strictEqual(client.closed, true);
    });

    it("supports half-close: the reader sees end of stream, and can still reply", async () => {
      const a = await make();
      const b = await make();
      const accepted = nextStream(b);
      const client = await a.dial(b.localAddress, { timeoutMs: 2000 });
      await client.write(Uint8Array.of(42));
      await client.end();
      const { stream: server } = await accepted;
      assert.deepStrictEqual([...(await readAll(server))], [42]);
      await server.write(Uint8Array.of(43));
      await server.end();
      assert.deepStrictEqual([...(await readAll(client))], [43]);
    });

    it("keeps a 1 MiB stream payload in order", async () => {
      const a = await make();
      const b = await make();
      const accepted = nextStream(b);
      const client = await a.dial(b.localAddress, { timeoutMs: 2000 });
      const payload = bytesOf(1024 * 1024, 3);
      for (let off = 0; off < payload.length; off += 64 * 1024) {
        await client.write(payload.subarray(off, off + 64 * 1024));
      }
      await client.end();
      const { stream: server } = await accepted;
      const got = await readAll(server);
      assert.strictEqual(got.length, payload.length);
      assert.strictEqual(sameBytes(got, payload), true);
    });

    it("handles concurrent streams independently", async () => {
      const a = await make();
      const b = await make();
      b.onStream((stream) => {
        void (async () => {
          const req = await readAll(stream);
          await stream.write(Uint8Array.from(req, (x) => x * 2));
          await stream.end();
        })();
      });
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(async (i) => {
          const s = await a.dial(b.localAddress, { timeoutMs: 2000 });
          await s.write(Uint8Array.of(i, i + 1));
          await s.end();
          const r = await readAll(s);
          s.close();
          return [...r];
        }),
      );
      assert.deepStrictEqual(
        results,
        [1, 2, 3, 4, 5].map((i) => [i * 2, (i + 1) * 2]),
      );
    });

    it("rejects a dial to an address nobody listens on with a TransportError", async () => {
      const a = await make();
      const nowhere = await factory.unusedAddress();
      const err = await a.dial(nowhere, { timeoutMs: 1000 }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.ok(
        (
          [TransportErrorCode.UNREACHABLE, TransportErrorCode.TIMEOUT] as readonly string[]
        ).includes((err as TransportError).code),
      );
    });

    it("rejects a dial whose signal is already aborted", async () => {
      const a = await make();
      const b = await make();
      const ac = new AbortController();
      ac.abort();
      const err = await a
        .dial(b.localAddress, { timeoutMs: 1000, signal: ac.signal })
        .catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      assert.strictEqual((err as TransportError).code, TransportErrorCode.ABORTED);
    });

    it("local close ends pending reads with null", async () => {
      const a = await make();
      const b = await make();
      const accepted = nextStream(b);
      const client = await a.dial(b.localAddress, { timeoutMs: 2000 });
      await client.write(Uint8Array.of(1));
      await accepted;
      const pending = client.read();
      client.close();
      assert.strictEqual(await pending, null);
      await assert.rejects(client.write(Uint8Array.of(1)), TransportError);
    });

    it("the peer sees end of stream when the other side closes", async () => {
      const a = await make();
      const b = await make();
      const accepted = nextStream(b);
      const client = await a.dial(b.localAddress, { timeoutMs: 2000 });
      await client.write(Uint8Array.of(5));
      const { stream: server } = await accepted;
      assert.deepStrictEqual([...(await readExactly(server, 1))], [5]);
      client.close();
      const next = await server.read().catch(() => null);
      assert.strictEqual(next, null);
    });

    it("close() stops packets and streams and is idempotent", async () => {
      const a = await make();
      const b = await make();
      const got: Uint8Array[] = [];
      b.onPacket((bytes) => got.push(bytes));
      b.onStream(() => {});
      const accepted = nextStream(b);
      const open = await a.dial(b.localAddress, { timeoutMs: 2000 });
      await open.write(Uint8Array.of(1));
      const { stream: serverSide } = await accepted;
      await b.close();
      await b.close();
      // Streams of a closed transport are closed.
      assert.strictEqual(await serverSide.read().catch(() => null), null);
      // The dialer's end ends or fails, but never hangs.
      assert.strictEqual(await open.read().catch(() => null), null);
      a.sendPacket(b.localAddress, Uint8Array.of(1));
      await new Promise((r) => setTimeout(r, 30));
      assert.strictEqual(got.length, 0);
      const err = await a.dial(b.localAddress, { timeoutMs: 500 }).catch((e: unknown) => e);
      assert.ok(err instanceof TransportError, String(err));
      // A closed transport refuses to dial and silently drops sends.
      assert.doesNotThrow(() => b.sendPacket(a.localAddress, Uint8Array.of(1)));
      await assert.rejects(b.dial(a.localAddress, { timeoutMs: 500 }), TransportError);
    });
  });
}
