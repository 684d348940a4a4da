import { describe, expect, it } from "vitest";
import { seededRandom } from "../random.ts";
import {
  applyForce,
  cloneCoordinate,
  DEFAULT_VIVALDI_CONFIG,
  DimensionalityConflictError,
  diff,
  distanceNs,
  distanceSeconds,
  durationNsToSeconds,
  isCompatible,
  isValidCoordinate,
  magnitude,
  newCoordinate,
  rawDistance,
  secondsToDurationNs,
  unitVectorAt,
  add,
  type VivaldiConfig,
} from "./vivaldi.ts";

/** Go's verifyEqualFloats tolerance. */
const close = (a: number, b: number, eps = 1e-6): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(eps);
};
const closeVec = (a: readonly number[], b: readonly number[]): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    close(v, b[i] as number);
  });
};
const cfg3 = (heightMin = 0): VivaldiConfig => ({
  ...DEFAULT_VIVALDI_CONFIG,
  dimensionality: 3,
  heightMin,
});
const rnd = seededRandom(1);

describe("coordinate (ported from Go coordinate_test.go)", () => {
  it("NewCoordinate: origin, error max, height min; serf's fresh coordinate", () => {
    const c = newCoordinate();
    expect(c).toEqual({ vec: [0, 0, 0, 0, 0, 0, 0, 0], error: 1.5, adjustment: 0, height: 1e-5 });
  });

  it("Clone is independent", () => {
    const c = newCoordinate();
    const other = cloneCoordinate(c);
    other.vec[0] = 1;
    expect(c.vec[0]).toBe(0);
  });

  it("IsValid / IsCompatibleWith", () => {
    const c = newCoordinate();
    expect(isValidCoordinate(c)).toBe(true);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(isValidCoordinate({ ...c, vec: [bad, ...c.vec.slice(1)] })).toBe(false);
      expect(isValidCoordinate({ ...c, error: bad })).toBe(false);
      expect(isValidCoordinate({ ...c, adjustment: bad })).toBe(false);
      expect(isValidCoordinate({ ...c, height: bad })).toBe(false);
    }
    expect(isCompatible(newCoordinate(cfg3()), newCoordinate(cfg3()))).toBe(true);
    expect(isCompatible(newCoordinate(cfg3()), newCoordinate())).toBe(false);
  });

  it("ApplyForce (Go TestCoordinate_ApplyForce)", () => {
    let config = cfg3();
    const origin = newCoordinate(config);
    const above = { ...newCoordinate(config), vec: [0.0, 0.0, 2.9] };
    let c = applyForce(config, origin, 5.3, above, rnd);
    closeVec(c.vec, [0.0, 0.0, -5.3]);

    const right = { ...newCoordinate(config), vec: [3.4, 0.0, -5.3] };
    c = applyForce(config, c, 2.0, right, rnd);
    closeVec(c.vec, [-2.0, 0.0, -5.3]);

    c = applyForce(config, origin, 1.0, origin, rnd);
    close(distanceSeconds(origin, c), 1.0);

    config = cfg3(10.0e-6);
    const origin2 = newCoordinate(config);
    c = applyForce(config, origin2, 5.3, above, rnd);
    closeVec(c.vec, [0.0, 0.0, -5.3]);
    close(c.height, config.heightMin + (5.3 * config.heightMin) / 2.9);

    c = applyForce(config, origin2, -5.3, above, rnd);
    closeVec(c.vec, [0.0, 0.0, 5.3]);
    close(c.height, config.heightMin);

    const bad = { ...c, vec: [0, 0, 0, 0] };
    expect(() => applyForce(config, c, 1.0, bad, rnd)).toThrow(DimensionalityConflictError);
  });

  it("DistanceTo (Go TestCoordinate_DistanceTo)", () => {
    const config = cfg3();
    const c1 = { ...newCoordinate(config), vec: [-0.5, 1.3, 2.4] };
    const c2 = { ...newCoordinate(config), vec: [1.2, -2.3, 3.4] };
    const s = (a: typeof c1, b: typeof c1): number => durationNsToSeconds(distanceNs(a, b));
    close(s(c1, c1), 0.0);
    close(s(c1, c2), s(c2, c1));
    close(s(c1, c2), 4.104875150354758);
    c1.adjustment = -1.0e6;
    close(s(c1, c2), 4.104875150354758);
    c1.adjustment = 0.1;
    c2.adjustment = 0.2;
    close(s(c1, c2), 4.104875150354758 + 0.3);
    c1.height = 0.7;
    c2.height = 0.1;
    close(s(c1, c2), 4.104875150354758 + 0.3 + 0.8);
    expect(() => distanceSeconds(c1, { ...c1, vec: [0, 0, 0, 0] })).toThrow(
      DimensionalityConflictError,
    );
  });

  it("rawDistanceTo ignores adjustments (Go TestCoordinate_rawDistanceTo)", () => {
    const config = cfg3();
    const c1 = { ...newCoordinate(config), vec: [-0.5, 1.3, 2.4] };
    const c2 = { ...newCoordinate(config), vec: [1.2, -2.3, 3.4] };
    close(rawDistance(c1, c1), 0.0);
    close(rawDistance(c1, c2), 4.104875150354758);
    c1.adjustment = 1.0e6;
    close(rawDistance(c1, c2), 4.104875150354758);
    c1.height = 0.7;
    c2.height = 0.1;
    close(rawDistance(c1, c2), 4.104875150354758 + 0.8);
  });

  it("vector helpers (Go add/diff/magnitude/unitVectorAt)", () => {
    closeVec(add([1.0, -3.0, 3.0], [-4.0, 5.0, 6.0]), [-3.0, 2.0, 9.0]);
    closeVec(diff([1.0, -3.0, 3.0], [-4.0, 5.0, 6.0]), [5.0, -8.0, -3.0]);
    close(magnitude([0, 0, 0]), 0);
    close(magnitude([1.0, -2.0, 3.0]), 3.7416573867739413);
    const [u, mag] = unitVectorAt([1.0, 2.0, 3.0], [0.5, 0.6, 0.7], rnd);
    closeVec(u, [0.18257418583505536, 0.511207720338155, 0.8398412548412546]);
    close(magnitude(u), 1.0);
    close(mag, magnitude(diff([1.0, 2.0, 3.0], [0.5, 0.6, 0.7])));
    const [r, rmag] = unitVectorAt([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], rnd);
    close(magnitude(r), 1.0);
    expect(rmag).toBe(0);
    // Degenerate random draw: fall back to the first axis.
    const zero = { nextUint32: () => 0, nextFloat: () => 0.5 };
    expect(unitVectorAt([1, 1, 1], [1, 1, 1], zero)).toEqual([[1, 0, 0], 0]);
  });

  it("converts seconds ↔ Go Durations with truncation", () => {
    expect(secondsToDurationNs(12.345)).toBe(12_345_000_000);
    expect(secondsToDurationNs(1.9999999999)).toBe(1_999_999_999);
    expect(secondsToDurationNs(-0.5)).toBe(-500_000_000);
    expect(durationNsToSeconds(1_500_000_000)).toBe(1.5);
    expect(durationNsToSeconds(2_000_000)).toBe(0.002);
  });
});
