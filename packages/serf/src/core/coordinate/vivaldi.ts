/**
 * Vivaldi network coordinate maths (Go `coordinate` package: `Config`, `Coordinate`,
 * `ApplyForce`, `DistanceTo`, `rawDistanceTo`, `unitVectorAt`). All distances are in seconds.
 *
 * Floating-point operations are written in Go's order (e.g. multiplying by `1/mag` instead of
 * dividing) so results match Go bit for bit on amd64. Where Go converts a distance to a
 * `time.Duration` (integer nanoseconds, truncated) and back, so does this code.
 */

import type { Coordinate } from "@serf-ts/wire";
import type { Random } from "../random.ts";

/** Tuning of the Vivaldi algorithm (Go `coordinate.Config`). */
export interface VivaldiConfig {
  /** Euclidean dimensions (serf: 8). */
  readonly dimensionality: number;
  /** Initial error and its upper bound (1.5). */
  readonly vivaldiErrorMax: number;
  /** Maximum impact of one observation on the error (0.25). */
  readonly vivaldiCE: number;
  /** Maximum impact of one observation on the position (0.25). */
  readonly vivaldiCC: number;
  /** Samples kept for the adjustment term; 0 disables it (20). */
  readonly adjustmentWindowSize: number;
  /** Minimum height (1e-5 s). */
  readonly heightMin: number;
  /** RTT samples kept per peer for the median filter (3). */
  readonly latencyFilterSize: number;
  /** Gravity pulling coordinates back to the origin (150). */
  readonly gravityRho: number;
}

/** Go `coordinate.DefaultConfig()`, what serf uses. */
export const DEFAULT_VIVALDI_CONFIG: VivaldiConfig = {
  dimensionality: 8,
  vivaldiErrorMax: 1.5,
  vivaldiCE: 0.25,
  vivaldiCC: 0.25,
  adjustmentWindowSize: 20,
  heightMin: 10.0e-6,
  latencyFilterSize: 3,
  gravityRho: 150.0,
};

/** Below this, two positions are considered equal (Go `zeroThreshold`). */
export const ZERO_THRESHOLD = 1.0e-6;

const SECONDS_TO_NANOSECONDS = 1.0e9;

/** A mutable coordinate, used while computing. */
export interface MutableCoordinate {
  vec: number[];
  error: number;
  adjustment: number;
  height: number;
}

/** A coordinate at the origin with the initial error and minimum height (Go `NewCoordinate`). */
export function newCoordinate(config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG): MutableCoordinate {
  return {
    vec: new Array<number>(config.dimensionality).fill(0),
    error: config.vivaldiErrorMax,
    adjustment: 0.0,
    height: config.heightMin,
  };
}

/** An independent copy. */
export function cloneCoordinate(c: Coordinate): MutableCoordinate {
  return { vec: [...c.vec], error: c.error, adjustment: c.adjustment, height: c.height };
}

const componentIsValid = (f: number): boolean => Number.isFinite(f);

/** False if any component is NaN or ±Infinity (Go `IsValid`). */
export function isValidCoordinate(c: Coordinate): boolean {
  return (
    c.vec.every(componentIsValid) &&
    componentIsValid(c.error) &&
    componentIsValid(c.adjustment) &&
    componentIsValid(c.height)
  );
}

/** Same dimensionality (Go `IsCompatibleWith`). */
export function isCompatible(a: Coordinate, b: Coordinate): boolean {
  return a.vec.length === b.vec.length;
}

/** Thrown when coordinates of different dimensionality are combined (Go panics). */
export class DimensionalityConflictError extends Error {
  constructor() {
    super("coordinate dimensionality does not match");
    this.name = "DimensionalityConflictError";
  }
}

function assertCompatible(a: Coordinate, b: Coordinate): void {
  if (!isCompatible(a, b)) throw new DimensionalityConflictError();
}

/** `vec1 + vec2`. */
export function add(vec1: readonly number[], vec2: readonly number[]): number[] {
  return vec1.map((v, i) => v + (vec2[i] as number));
}

/** `vec1 − vec2`. */
export function diff(vec1: readonly number[], vec2: readonly number[]): number[] {
  return vec1.map((v, i) => v - (vec2[i] as number));
}

/** `vec × factor`. */
export function mul(vec: readonly number[], factor: number): number[] {
  return vec.map((v) => v * factor);
}

/** Euclidean norm, summed in index order. */
export function magnitude(vec: readonly number[]): number {
  let sum = 0.0;
  for (const v of vec) sum += v * v;
  return Math.sqrt(sum);
}

/**
 * Unit vector pointing at `vec1` from `vec2` and the distance between them. When the two
 * positions (nearly) coincide: a random unit vector (components uniform in [−0.5, 0.5)) and
 * distance 0; if even that is degenerate, the first axis.
 */
export function unitVectorAt(
  vec1: readonly number[],
  vec2: readonly number[],
  random: Random,
): [number[], number] {
  let ret = diff(vec1, vec2);
  const mag = magnitude(ret);
  if (mag > ZERO_THRESHOLD) return [mul(ret, 1.0 / mag), mag];
  ret = ret.map(() => random.nextFloat() - 0.5);
  const rmag = magnitude(ret);
  if (rmag > ZERO_THRESHOLD) return [mul(ret, 1.0 / rmag), 0.0];
  ret = new Array<number>(ret.length).fill(0);
  if (ret.length > 0) ret[0] = 1.0;
  return [ret, 0.0];
}

/** Vivaldi distance without adjustments: ‖a − b‖ + heights (Go `rawDistanceTo`), seconds. */
export function rawDistance(a: Coordinate, b: Coordinate): number {
  return magnitude(diff(a.vec, b.vec)) + a.height + b.height;
}

/**
 * Estimated RTT in seconds: the raw distance plus both adjustments when that sum is positive,
 * else the raw distance (Go `DistanceTo`, before its conversion to a Duration).
 */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  assertCompatible(a, b);
  const dist = rawDistance(a, b);
  const adjusted = dist + a.adjustment + b.adjustment;
  return adjusted > 0.0 ? adjusted : dist;
}

/** Go `time.Duration(seconds * 1e9)`: integer nanoseconds, truncated toward zero. */
export function secondsToDurationNs(seconds: number): number {
  return Math.trunc(seconds * SECONDS_TO_NANOSECONDS);
}

/** Go `Duration.Seconds()` of integer nanoseconds. */
export function durationNsToSeconds(ns: number): number {
  const sec = Math.trunc(ns / SECONDS_TO_NANOSECONDS);
  const nsec = ns - sec * SECONDS_TO_NANOSECONDS;
  return sec + nsec / 1e9;
}

/** Go `DistanceTo` exactly: the estimated RTT as integer nanoseconds. */
export function distanceNs(a: Coordinate, b: Coordinate): number {
  return secondsToDurationNs(distanceSeconds(a, b));
}

/**
 * Moves `c` by `force` along the direction from `other` to `c` (positive = away from
 * `other`), and scales the height when the positions differ (Go `ApplyForce`).
 */
export function applyForce(
  config: VivaldiConfig,
  c: Coordinate,
  force: number,
  other: Coordinate,
  random: Random,
): MutableCoordinate {
  assertCompatible(c, other);
  const ret = cloneCoordinate(c);
  const [unit, mag] = unitVectorAt(c.vec, other.vec, random);
  ret.vec = add(ret.vec, mul(unit, force));
  if (mag > ZERO_THRESHOLD) {
    ret.height = ((ret.height + other.height) * force) / mag + ret.height;
    ret.height = Math.max(ret.height, config.heightMin);
  }
  return ret;
}
