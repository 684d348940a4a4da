/**
 * Every serf layer, query filter, tag-encoded node Meta and coordinate ack payload recorded
 * in the captured vectors decodes to the recorded fields and re-encodes to the recorded bytes.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeAckPayload, encodeAckPayload } from "./coordinate.ts";
import { decodeFilter, decodeSerfMessage, encodeFilter, encodeSerfMessage } from "./messages.ts";
import { decodeTags, encodeTags } from "./tags.ts";
import type { SerfMessage, UserEventCollection } from "./types.ts";
import { vectorsDir } from "../testing/vectors.ts";

const VECTORS_DIR = vectorsDir();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** A recorded Go `[]byte`: `{hex}` or null for nil. */
function goBytes(b: Uint8Array | null): Json {
  return b === null ? null : { hex: toHex(b) };
}

function str(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`vector field ${key} is not a string`);
  return v;
}

function obj(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  if (!isObject(v)) throw new Error(`vector field ${key} is not an object`);
  return v;
}

interface Found {
  readonly file: string;
  readonly path: string;
  readonly node: JsonObject;
  readonly parent: JsonObject | null;
}

/** Every object in every vector file for which `match` holds, with its parent object. */
function collect(match: (node: JsonObject, parentKey: string) => boolean): Found[] {
  const out: Found[] = [];
  const files = readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
  for (const file of files) {
    const root = JSON.parse(readFileSync(join(VECTORS_DIR, file), "utf8")) as Json;
    const walk = (v: Json, path: string, key: string, parent: JsonObject | null): void => {
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          walk(x, `${path}[${i}]`, key, parent);
        });
      } else if (isObject(v)) {
        if (match(v, key)) out.push({ file, path, node: v, parent });
        for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, k, v);
      }
    };
    walk(root, "", "", null);
  }
  return out;
}

/** The recorded `fields` form of a decoded message (relay handled separately). */
function recordedForm(m: SerfMessage, recorded: JsonObject): Json {
  switch (m.type) {
    case "leave":
      return { LTime: m.lTime, Node: m.node, Prune: m.prune };
    case "join":
      return { LTime: m.lTime, Node: m.node };
    case "user-event":
      return { CC: m.cc, LTime: m.lTime, Name: m.name, Payload: goBytes(m.payload) };
    case "query":
      return {
        Addr: goBytes(m.addr),
        Filters: m.filters === null ? null : m.filters.map(goBytes),
        Flags: m.flags,
        ID: m.id,
        LTime: m.lTime,
        Name: m.name,
        Payload: goBytes(m.payload),
        Port: m.port,
        RelayFactor: m.relayFactor,
        SourceNode: m.sourceNode,
        Timeout: m.timeoutNs,
      };
    case "query-response":
      return {
        Flags: m.flags,
        From: m.from,
        ID: m.id,
        LTime: m.lTime,
        Payload: goBytes(m.payload),
      };
    case "conflict-response": {
      const mem = m.member;
      if (mem === null) return null;
      return {
        Addr: goBytes(mem.addr),
        DelegateCur: mem.delegateCur,
        DelegateMax: mem.delegateMax,
        DelegateMin: mem.delegateMin,
        Name: mem.name,
        Port: mem.port,
        ProtocolCur: mem.protocolCur,
        ProtocolMax: mem.protocolMax,
        ProtocolMin: mem.protocolMin,
        Status: mem.status,
        Tags: Object.fromEntries(mem.tags),
      };
    }
    case "key-request":
      return { Key: goBytes(m.key) };
    case "key-response":
      return {
        Keys: m.keys === null ? null : [...m.keys],
        Message: m.message,
        PrimaryKey: m.primaryKey,
        Result: m.result,
      };
    case "push-pull": {
      const collection = (c: UserEventCollection): Json => ({
        Events: c.events.map((e) => ({ Name: e.name, Payload: goBytes(e.payload) })),
        LTime: c.lTime,
      });
      let events: Json;
      if (Array.isArray(recorded.Events)) {
        events = m.events.map((c) => (c === null ? null : collection(c)));
      } else {
        const byIndex: JsonObject = {};
        m.events.forEach((c, i) => {
          if (c !== null) byIndex[String(i)] = collection(c);
        });
        events = { array_length: m.events.length, non_nil_entries_by_index: byIndex };
      }
      return {
        EventLTime: m.eventLTime,
        Events: events,
        LTime: m.lTime,
        LeftMembers: [...m.leftMembers],
        QueryLTime: m.queryLTime,
        StatusLTimes: Object.fromEntries(m.statusLTimes),
      };
    }
    case "relay":
      throw new Error("relay has no flat fields");
  }
}

/**
 * Layers that Go did not write (the JS prototype's push/pull, written with @msgpack/msgpack
 * defaults): re-encoding gives Go's canonical bytes, which differ only in string headers.
 */
const NON_GO_LAYERS = new Map<string, (hex: string) => string>([
  [
    "tcp-pushpull-join-from-js.json .client_to_server.message.user_state",
    // The 42-byte node name key was written as str8 (d9 2a); Go writes str16 (da 00 2a).
    (hex) => hex.replace("d92a74732d6e6f6465", "da002a74732d6e6f6465"),
  ],
]);

/** Full serf bytes of a recorded layer (type byte + body; relay: + header + inner). */
function layerBytes(layer: JsonObject): string {
  const type = layer.serf_type;
  if (typeof type !== "number") throw new Error("serf_type is not a number");
  const typeHex = type.toString(16).padStart(2, "0");
  if (type === 9) {
    return (
      typeHex + str(obj(layer, "relay_header"), "msgpack_hex") + layerBytes(obj(layer, "inner"))
    );
  }
  return typeHex + str(layer, "msgpack_hex");
}

describe("serf vectors", () => {
  it("resolves the vectors directory", () => {
    expect(readdirSync(VECTORS_DIR).filter((f) => f.endsWith(".json")).length).toBeGreaterThan(0);
  });

  it("resolves the vectors directory inside the repository", () => {
    if (process.env.SERF_TS_VECTORS_DIR === undefined) {
      expect(vectorsDir()).toMatch(/packages\/wire\/test\/vectors\/?$/);
    }
  });

  it("decodes every serf layer to its fields and re-encodes it byte for byte", () => {
    const layers = collect((n) => "serf_type" in n);
    const byType = new Map<number, number>();
    let containerChecks = 0;
    let nonGo = 0;
    for (const { file, path, node, parent } of layers) {
      const where = `${file} ${path}`;
      const hex = layerBytes(node);
      const msg = decodeSerfMessage(fromHex(hex));
      byType.set(node.serf_type as number, (byType.get(node.serf_type as number) ?? 0) + 1);

      if (msg.type === "relay") {
        const header = obj(node, "relay_header");
        const fields = obj(header, "fields");
        const dest = obj(fields, "DestAddr");
        expect(
          {
            DestAddr: {
              IP: goBytes(msg.destAddr.ip),
              Port: msg.destAddr.port,
              Zone: msg.destAddr.zone,
            },
            DestName: msg.destName,
          },
          where,
        ).toEqual({ DestAddr: dest, DestName: fields.DestName });
        expect(toHex(msg.message), where).toBe(layerBytes(obj(node, "inner")));
      } else {
        const fields = node.fields ?? null;
        const recorded = isObject(fields) ? fields : {};
        expect(recordedForm(msg, recorded), where).toEqual(fields);
        // Go maps (StatusLTimes, Tags) keep the wire order.
        if (msg.type === "push-pull") {
          expect([...msg.statusLTimes.keys()], where).toEqual(
            Object.keys(obj(recorded, "StatusLTimes")),
          );
        }
      }

      const reencoded = toHex(encodeSerfMessage(msg));
      const canonical = NON_GO_LAYERS.get(where);
      if (canonical === undefined) {
        expect(reencoded, where).toBe(hex);
      } else {
        nonGo++;
        expect(reencoded, where).not.toBe(hex);
        expect(reencoded, where).toBe(canonical(hex));
        expect(decodeSerfMessage(fromHex(reencoded)), where).toEqual(msg);
      }

      // The enclosing layer's bytes agree with ours.
      if (parent !== null) {
        const wrapper = parent.bytes_hex ?? parent.user_state_hex;
        if (typeof wrapper === "string" && (parent.type === 8 || parent.type === 6)) {
          expect(wrapper, where).toBe((parent.type === 8 ? "08" : "") + hex);
          containerChecks++;
        }
        const payload = isObject(parent.fields) ? parent.fields.Payload : undefined;
        if (parent.payload_decoded === node && isObject(payload)) {
          expect(payload.hex, where).toBe(hex);
          containerChecks++;
        }
      }
    }
    expect(layers.length).toBe(29);
    expect(Object.fromEntries(byType)).toEqual({
      0: 1,
      1: 3,
      2: 8,
      3: 1,
      4: 5,
      5: 5,
      6: 1,
      7: 3,
      8: 1,
      9: 1,
    });
    expect(nonGo).toBe(NON_GO_LAYERS.size);
    // Every layer but the relay's inner one (checked above through `relay.message`).
    expect(containerChecks).toBe(28);
  });

  it("decodes and re-encodes every recorded query filter", () => {
    const queries = collect((n) => "filters_decoded" in n);
    let count = 0;
    for (const { file, path, node } of queries) {
      const filters = obj(node, "fields").Filters;
      const decoded = node.filters_decoded;
      if (!Array.isArray(filters) || !Array.isArray(decoded)) throw new Error("bad filters");
      expect(decoded.length).toBe(filters.length);
      filters.forEach((f, i) => {
        const where = `${file} ${path} filter ${i}`;
        const d = decoded[i];
        if (!isObject(f) || !isObject(d)) throw new Error("bad filter");
        const bytes = fromHex(str(f, "hex"));
        const filter = decodeFilter(bytes);
        const typeHex = (d.filter_type as number).toString(16).padStart(2, "0");
        expect(typeHex + str(d, "msgpack_hex"), where).toBe(toHex(bytes));
        if (filter.type === "node") {
          expect(d.filter_type, where).toBe(0);
          expect(filter.nodes, where).toEqual(d.fields);
        } else {
          expect(d.filter_type, where).toBe(1);
          expect({ Expr: filter.expr, Tag: filter.tag }, where).toEqual(d.fields);
        }
        expect(toHex(encodeFilter(filter)), where).toBe(toHex(bytes));
        count++;
      });
    }
    expect(count).toBe(2);
  });

  it("decodes and re-encodes every tag-encoded node Meta", () => {
    const withMeta = collect((n) => isObject(n.fields) && isObject(n.fields.Meta));
    let explained = 0;
    for (const { file, path, node } of withMeta) {
      const where = `${file} ${path}`;
      const metaHex = str(obj(obj(node, "fields"), "Meta"), "hex");
      const tags = decodeTags(fromHex(metaHex));
      // Wire order is kept, so re-encoding the decoded Map gives Go's bytes.
      expect(toHex(encodeTags(tags)), where).toBe(metaHex);
      const md = node.meta_decoded;
      if (isObject(md)) {
        explained++;
        expect(md.magic, where).toBe(255);
        const t = obj(md, "tags");
        expect(`ff${str(t, "msgpack_hex")}`, where).toBe(metaHex);
        expect(Object.fromEntries(tags), where).toEqual(t.fields);
        const order = t.key_order as string[];
        expect([...tags.keys()], where).toEqual(order);
        // Built from the recorded order, the encoding is byte-identical too.
        const fields = obj(t, "fields");
        const rebuilt = new Map(order.map((k) => [k, str(fields, k)]));
        expect(toHex(encodeTags(rebuilt)), where).toBe(metaHex);
      }
    }
    expect(withMeta.length).toBe(23);
    expect(explained).toBe(7);
  });

  it("decodes and re-encodes every coordinate ack payload", () => {
    const acks = collect((n) => isObject(n.payload_decoded) && "ping_version" in n.payload_decoded);
    for (const { file, path, node } of acks) {
      const where = `${file} ${path}`;
      const payloadHex = str(obj(obj(node, "fields"), "Payload"), "hex");
      const decoded = obj(node, "payload_decoded");
      const coord = obj(decoded, "coordinate");
      expect(decoded.ping_version, where).toBe(1);
      expect(`01${str(coord, "msgpack_hex")}`, where).toBe(payloadHex);
      const c = decodeAckPayload(fromHex(payloadHex));
      expect(c, where).not.toBeNull();
      if (c === null) continue;
      expect(
        { Adjustment: c.adjustment, Error: c.error, Height: c.height, Vec: c.vec },
        where,
      ).toEqual(coord.fields);
      expect(toHex(encodeAckPayload(c)), where).toBe(payloadHex);
    }
    expect(acks.length).toBe(2);
  });
});
