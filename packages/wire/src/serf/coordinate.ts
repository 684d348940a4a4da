/**
 * Vivaldi network coordinates as serf carries them in memberlist ack payloads:
 * ping version byte `01` + msgpack `{Adjustment, Error, Height, Vec}` (floats always `cb`).
 */

import { DecodeError } from "../errors.ts";
import { type DecodeLimits, MsgpackReader, type MsgValue } from "../msgpack/reader.ts";
import { StructReader } from "../msgpack/struct.ts";
import { MsgpackWriter } from "../msgpack/writer.ts";

/** Version byte that starts a serf ack payload. */
export const PING_VERSION = 1;

/** Dimensions of serf's coordinates. */
export const COORDINATE_DIMENSIONALITY = 8;

/** A Vivaldi coordinate (distances in seconds). */
export interface Coordinate {
  /** Euclidean part; serf uses 8 dimensions (any length decodes, as in Go). */
  readonly vec: readonly number[];
  readonly error: number;
  readonly adjustment: number;
  readonly height: number;
}

/** A freshly started node's coordinate: origin, error 1.5, height 1e-5, no adjustment. */
export function newCoordinate(): Coordinate {
  return {
    vec: new Array<number>(COORDINATE_DIMENSIONALITY).fill(0),
    error: 1.5,
    adjustment: 0,
    height: 1e-5,
  };
}

function writeCoordinate(w: MsgpackWriter, c: Coordinate): void {
  w.mapHeader(4);
  w.str("Adjustment").float64(c.adjustment);
  w.str("Error").float64(c.error);
  w.str("Height").float64(c.height);
  w.str("Vec").arrayHeader(c.vec.length);
  for (const x of c.vec) w.float64(x);
}

function readCoordinate(v: MsgValue): Coordinate {
  const r = new StructReader(v, "Coordinate");
  const vec = r.array("Vec").map((x) => {
    if (typeof x === "number") return x;
    if (typeof x === "bigint") return Number(x);
    throw new DecodeError("Coordinate.Vec: expected an array of numbers");
  });
  return {
    vec,
    error: r.float("Error"),
    adjustment: r.float("Adjustment"),
    height: r.float("Height"),
  };
}

/** msgpack of a coordinate alone (Go's `coordinate.Coordinate`). */
export function encodeCoordinate(c: Coordinate): Uint8Array {
  const w = new MsgpackWriter("gossip");
  writeCoordinate(w, c);
  return w.finish();
}

/** Decodes a msgpack coordinate (integers accepted for floats, as in Go). */
export function decodeCoordinate(
  bytes: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): Coordinate {
  return readCoordinate(new MsgpackReader(bytes, 0, limits).read());
}

/** The ack payload serf sends: `01` + msgpack coordinate. */
export function encodeAckPayload(c: Coordinate): Uint8Array {
  const w = new MsgpackWriter("gossip");
  w.byte(PING_VERSION);
  writeCoordinate(w, c);
  return w.finish();
}

/**
 * Decodes an ack payload. An empty or `null` payload (indirect and TCP acks) carries no
 * coordinate and gives `null`. An unknown version byte or a malformed coordinate throws
 * `DecodeError` (Go logs it and ignores the payload). Bytes after the coordinate are ignored.
 */
export function decodeAckPayload(
  payload: Uint8Array | null,
  limits: Partial<DecodeLimits> = {},
): Coordinate | null {
  if (payload === null || payload.length === 0) return null;
  if (payload[0] !== PING_VERSION) {
    throw new DecodeError(`unsupported ping payload version ${payload[0]}`);
  }
  return readCoordinate(new MsgpackReader(payload, 1, limits).read());
}
