import { encodeKeyBase64, encodeSerfMessage, Keyring } from "@serf-ts/wire";
import { decodeKeyResponsePayload } from "@serf-ts/wire/codec";
import { describe, expect, it } from "vitest";
import type { KeyResponse, SerfKeyOperationEvent } from "./events.ts";
import { SerfSimCluster } from "../testing/serf-sim.ts";
import { answerKeyQuery, fitKeyListResponse, keyringPort } from "./internal-queries.ts";

function key(fill: number, size = 32): Uint8Array {
  return new Uint8Array(size).fill(fill);
}
const K1 = key(1);
const K2 = key(2);
const K3 = key(3, 16);
const b64 = encodeKeyBase64;

function cluster(n: number, seed: number, withKeyring: (i: number) => boolean = () => true) {
  const rings: Keyring[] = [];
  const c = new SerfSimCluster({ seed, options: { protocolVersion: 5 } });
  for (let i = 0; i < n; i++) {
    const ring = Keyring.create([K1]);
    rings.push(ring);
    c.addNode(undefined, withKeyring(i) ? { keyring: keyringPort(ring) } : {});
  }
  for (let i = 1; i < n; i++) c.join(`node-${i}`, ["node-0"]);
  expect(c.runUntil(() => c.converged(), 30_000)).toBeDefined();
  return { c, rings };
}

function run(c: SerfSimCluster, op: (now: number) => number): SerfKeyOperationEvent {
  const n = c.node("node-0");
  const id = c.act(n, (_m, now) => op(now));
  c.runUntil(() => n.eventsOf("key-operation").some((e) => e.op === id), 10_000);
  const ev = n.eventsOf("key-operation").find((e) => e.op === id);
  if (ev === undefined) throw new Error("key operation did not finish");
  return ev;
}

function plain(r: KeyResponse) {
  return {
    numNodes: r.numNodes,
    numResp: r.numResp,
    numErr: r.numErr,
    messages: Object.fromEntries(r.messages),
    keys: Object.fromEntries(r.keys),
    primaryKeys: Object.fromEntries(r.primaryKeys),
  };
}

describe("key rotation through internal queries (serf.md §8)", () => {
  it("install → use → remove → list across 5 nodes", () => {
    const { c, rings } = cluster(5, 101);
    const m = c.machine("node-0");
    const started = c.now;
    const install = run(c, (now) => m.installKey(b64(K2), {}, now));
    expect(install.operation).toBe("install");
    expect(install.error).toBeUndefined();
    expect(plain(install.response)).toEqual({
      numNodes: 5,
      numResp: 5,
      numErr: 0,
      messages: {},
      keys: {},
      primaryKeys: { "": 5 }, // Go counts the empty primary key of non-list responses
    });
    // Finished as soon as all 5 answered, well before the 3.2 s timeout.
    expect(c.now - started).toBeLessThan(3_200);
    for (const r of rings) expect(r.keys()).toEqual([K1, K2]);

    const list = run(c, (now) => m.listKeys({}, now));
    expect(plain(list.response)).toMatchObject({
      numResp: 5,
      keys: { [b64(K1)]: 5, [b64(K2)]: 5 },
      primaryKeys: { [b64(K1)]: 5 },
    });

    expect(run(c, (now) => m.useKey(b64(K2), {}, now)).error).toBeUndefined();
    for (const r of rings) expect(r.primaryKey).toEqual(K2);
    expect(run(c, (now) => m.removeKey(b64(K1), {}, now)).error).toBeUndefined();
    for (const r of rings) expect(r.keys()).toEqual([K2]);
    const after = run(c, (now) => m.listKeys({ relayFactor: 1 }, now));
    expect(plain(after.response).keys).toEqual({ [b64(K2)]: 5 });
  });

  it("reports per-node errors exactly as Go: a node lacking the key, removing the primary", () => {
    const { c, rings } = cluster(5, 102);
    for (const r of rings.slice(0, 4)) r.install(K3); // node-4 does not have K3
    const m = c.machine("node-0");
    const use = run(c, (now) => m.useKey(b64(K3), {}, now));
    expect(use.error).toBe("1/5 nodes reported failure");
    expect(plain(use.response)).toMatchObject({
      numNodes: 5,
      numResp: 5,
      numErr: 1,
      messages: { "node-4": "Requested key is not in the keyring" },
    });
    const remove = run(c, (now) => m.removeKey(b64(K3), {}, now));
    expect(remove.error).toBe("4/5 nodes reported failure");
    expect(Object.keys(plain(remove.response).messages).sort()).toEqual([
      "node-0",
      "node-1",
      "node-2",
      "node-3",
    ]);
    expect(remove.response.messages.get("node-1")).toBe("Removing the primary key is not allowed");
    // A bad key is refused locally, before any query.
    expect(() => m.installKey("not base64!", {}, c.now)).toThrow(/illegal base64 data/);
  });

  it("nodes without a keyring answer 'encryption not enabled'; silent nodes count as missing", () => {
    const { c } = cluster(4, 103, (i) => i !== 2);
    const m = c.machine("node-0");
    const install = run(c, (now) => m.installKey(b64(K2), {}, now));
    expect(install.error).toBe("1/4 nodes reported failure");
    expect(install.response.messages.get("node-2")).toBe(
      "No keyring to modify (encryption not enabled)",
    );
    const list = run(c, (now) => m.listKeys({}, now));
    expect(list.response.messages.get("node-2")).toBe("Keyring is empty (encryption not enabled)");
    // A crashed node that memberlist still counts: the query times out short of one answer.
    c.crash("node-3");
    const started = c.now;
    const again = run(c, (now) => m.installKey(b64(K3), {}, now));
    expect(c.now - started).toBeGreaterThanOrEqual(3_200);
    expect(again.response.numNodes).toBe(4);
    expect(again.response.numResp).toBe(3);
    expect(again.error).toBe("1/4 nodes reported failure"); // node-2's error comes first
  });
});

describe("key list size bound", () => {
  it("cuts the key list until the response fits QueryResponseSizeLimit", () => {
    const ring = Keyring.create([key(0)]);
    for (let i = 1; i < 50; i++) ring.install(key(i));
    const resp = answerKeyQuery("list", new Uint8Array(0), keyringPort(ring));
    expect(resp.keys).toHaveLength(50);
    const encode = (payload: Uint8Array) =>
      encodeSerfMessage({
        type: "query-response",
        lTime: 1,
        id: 2,
        from: "node-0",
        flags: 0,
        payload,
      });
    const fitted = fitKeyListResponse(resp, encode, 1024);
    expect(fitted?.truncated).toBe(true);
    expect(fitted?.raw.length).toBeLessThanOrEqual(1024);
    const decoded = decodeKeyResponsePayload(fitted?.payload ?? new Uint8Array());
    const n = decoded.keys?.length ?? 0;
    expect(n).toBeGreaterThan(10);
    expect(decoded.message).toBe(`truncated key list response, showing first ${n} of 50 keys`);
    expect(decoded.result).toBe(true);
    // One more key would not fit.
    const more = encode(
      encodeSerfMessage({
        ...decoded,
        keys: resp.keys?.slice(0, n + 1) ?? [],
      }),
    );
    expect(more.length).toBeGreaterThan(1024);
  });
});
