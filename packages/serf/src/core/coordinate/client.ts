/**
 * The Vivaldi client of one node (Go `coordinate.Client`): its own coordinate, a per-peer
 * median latency filter, the adjustment window and gravity. Serf feeds it every direct probe's
 * RTT together with the peer's coordinate from the ack payload.
 */

import type { Coordinate } from "@serf-ts/wire";
import type { Random } from "../random.ts";
import {
  applyForce,
  cloneCoordinate,
  DEFAULT_VIVALDI_CONFIG,
  distanceNs,
  durationNsToSeconds,
  isCompatible,
  isValidCoordinate,
  type MutableCoordinate,
  newCoordinate,
  rawDistance,
  type VivaldiConfig,
  ZERO_THRESHOLD,
} from "./vivaldi.ts";

/** Largest RTT accepted by {@link VivaldiClient.update}: 10 s. */
export const MAX_RTT_MS = 10_000;

/** Outcome of {@link VivaldiClient.update}. */
export type VivaldiUpdateResult =
  | { readonly ok: true; readonly coordinate: Coordinate }
  | {
      readonly ok: false;
      readonly reason: "incompatible" | "invalid-coordinate" | "rtt-out-of-range";
      /** Go's error text. */
      readonly message: string;
    };

/** Counters of unusual events (Go `ClientStats`). */
export interface VivaldiStats {
  /** Times the coordinate became invalid (NaN/Inf) and was reset to the origin. */
  readonly resets: number;
  /** Updates with an RTT of exactly 0 (Go counts them as a metric). */
  readonly zeroRtts: number;
}

/** Go `time.Duration` string of whole milliseconds/nanoseconds, for error texts. */
function formatNs(ns: number): string {
  if (ns === 0) return "0s";
  if (Math.abs(ns) < 1000) return `${ns}ns`;
  if (Math.abs(ns) < 1e6) return `${ns / 1e3}µs`;
  if (Math.abs(ns) < 1e9) return `${ns / 1e6}ms`;
  return `${ns / 1e9}s`;
}

/** One node's Vivaldi state. */
export class VivaldiClient {
  readonly config: VivaldiConfig;
  readonly #random: Random;
  #coord: MutableCoordinate;
  readonly #origin: MutableCoordinate;
  #adjustmentIndex = 0;
  readonly #adjustmentSamples: number[];
  readonly #latencySamples = new Map<string, number[]>();
  #resets = 0;
  #zeroRtts = 0;

  /**
   * @param random used only when the two coordinates of an update coincide (random direction).
   */
  constructor(random: Random, config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG) {
    if (!(config.dimensionality > 0) || !Number.isInteger(config.dimensionality)) {
      throw new RangeError("dimensionality must be >0");
    }
    this.config = config;
    this.#random = random;
    this.#coord = newCoordinate(config);
    this.#origin = newCoordinate(config);
    this.#adjustmentSamples = new Array<number>(config.adjustmentWindowSize).fill(0);
  }

  /** A copy of the current coordinate. */
  getCoordinate(): Coordinate {
    return cloneCoordinate(this.#coord);
  }

  /** Forces the coordinate (Go `SetCoordinate`); rejects incompatible or invalid ones. */
  setCoordinate(c: Coordinate): VivaldiUpdateResult {
    const bad = this.#check(c);
    if (bad !== undefined) return bad;
    this.#coord = cloneCoordinate(c);
    return { ok: true, coordinate: this.getCoordinate() };
  }

  /** Drops the latency samples of a peer (Go `ForgetNode`, on reap). */
  forgetNode(node: string): void {
    this.#latencySamples.delete(node);
  }

  get stats(): VivaldiStats {
    return { resets: this.#resets, zeroRtts: this.#zeroRtts };
  }

  /** Estimated RTT to `other` in seconds (Go `Client.DistanceTo(...).Seconds()`). */
  distanceTo(other: Coordinate): number {
    return durationNsToSeconds(distanceNs(this.#coord, other));
  }

  /**
   * Feeds one observation: the peer's coordinate and the measured round-trip time in
   * milliseconds (converted to Go's integer nanoseconds by rounding). Returns the new
   * coordinate, or why the observation was rejected (the state is then unchanged).
   */
  update(node: string, other: Coordinate, rttMs: number): VivaldiUpdateResult {
    const bad = this.#check(other);
    if (bad !== undefined) return bad;
    const rttNs = Math.round(rttMs * 1e6);
    if (!(rttNs >= 0 && rttNs <= MAX_RTT_MS * 1e6)) {
      return {
        ok: false,
        reason: "rtt-out-of-range",
        message:
          `round trip time not in valid range, duration ${formatNs(rttNs)} is not a positive ` +
          "value less than 10s ",
      };
    }
    if (rttNs === 0) this.#zeroRtts++;
    const rttSeconds = this.#latencyFilter(node, durationNsToSeconds(rttNs));
    this.#updateVivaldi(other, rttSeconds);
    this.#updateAdjustment(other, rttSeconds);
    this.#updateGravity();
    if (!isValidCoordinate(this.#coord)) {
      this.#resets++;
      this.#coord = newCoordinate(this.config);
    }
    return { ok: true, coordinate: this.getCoordinate() };
  }

  #check(c: Coordinate): Extract<VivaldiUpdateResult, { ok: false }> | undefined {
    if (!isCompatible(this.#coord, c)) {
      return { ok: false, reason: "incompatible", message: "dimensions aren't compatible" };
    }
    if (!isValidCoordinate(c)) {
      return { ok: false, reason: "invalid-coordinate", message: "coordinate is invalid" };
    }
    return undefined;
  }

  /** Moving median of the last `latencyFilterSize` samples of `node` (Go `latencyFilter`). */
  #latencyFilter(node: string, rttSeconds: number): number {
    const samples = this.#latencySamples.get(node) ?? [];
    samples.push(rttSeconds);
    if (samples.length > this.config.latencyFilterSize) samples.shift();
    this.#latencySamples.set(node, samples);
    return latencyMedian(samples);
  }

  #updateVivaldi(other: Coordinate, rttSeconds: number): void {
    const cfg = this.config;
    const dist = durationNsToSeconds(distanceNs(this.#coord, other));
    if (rttSeconds < ZERO_THRESHOLD) rttSeconds = ZERO_THRESHOLD;
    const wrongness = Math.abs(dist - rttSeconds) / rttSeconds;
    let totalError = this.#coord.error + other.error;
    if (totalError < ZERO_THRESHOLD) totalError = ZERO_THRESHOLD;
    const weight = this.#coord.error / totalError;
    this.#coord.error =
      cfg.vivaldiCE * weight * wrongness + this.#coord.error * (1.0 - cfg.vivaldiCE * weight);
    if (this.#coord.error > cfg.vivaldiErrorMax) this.#coord.error = cfg.vivaldiErrorMax;
    const delta = cfg.vivaldiCC * weight;
    const force = delta * (rttSeconds - dist);
    this.#coord = applyForce(cfg, this.#coord, force, other, this.#random);
  }

  #updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const size = this.config.adjustmentWindowSize;
    if (size === 0) return;
    // The raw distance: existing adjustments must not feed back into the new one.
    this.#adjustmentSamples[this.#adjustmentIndex] = rttSeconds - rawDistance(this.#coord, other);
    this.#adjustmentIndex = (this.#adjustmentIndex + 1) % size;
    let sum = 0.0;
    for (const s of this.#adjustmentSamples) sum += s;
    this.#coord.adjustment = sum / (2.0 * size);
  }

  #updateGravity(): void {
    const dist = durationNsToSeconds(distanceNs(this.#origin, this.#coord));
    const q = dist / this.config.gravityRho;
    const force = -1.0 * (q * q);
    this.#coord = applyForce(this.config, this.#coord, force, this.#origin, this.#random);
  }
}

/**
 * The median of a latency window as Go's `latencyFilter` takes it: the element at index
 * `floor(n / 2)` of the sorted samples (the upper median for an even count). `samples` is not
 * modified and must not be empty.
 */
export function latencyMedian(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
