/**
 * The cluster map's 2-D projection of Vivaldi coordinates: the two principal axes of the
 * nodes' positions (power iteration on the covariance matrix), so the map keeps as much of the
 * estimated distances as two dimensions can. Heights are ignored. Pure, no DOM.
 */

/** A node's position on the map, in the same unit as the coordinates (seconds). */
export interface MapPoint {
  readonly node: string;
  readonly x: number;
  readonly y: number;
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

function normalize(v: number[]): number[] {
  const n = Math.sqrt(dot(v, v));
  return n === 0 ? v : v.map((x) => x / n);
}

/** The dominant eigenvector of a symmetric matrix, orthogonal to `against` if given. */
function principalAxis(
  cov: readonly number[][],
  dim: number,
  against?: readonly number[],
): number[] {
  let v = normalize(Array.from({ length: dim }, (_, i) => 1 / (i + 1)));
  for (let iter = 0; iter < 100; iter++) {
    let next = cov.map((row) => dot(row, v));
    if (against !== undefined) {
      const p = dot(next, against);
      next = next.map((x, i) => x - p * (against[i] ?? 0));
    }
    const n = Math.sqrt(dot(next, next));
    if (n < 1e-18) {
      // No spread left along any other axis: pick any unit vector orthogonal to `against`.
      const e = Array.from({ length: dim }, (_, i) => (i === (against?.[0] === 0 ? 0 : 1) ? 1 : 0));
      return against === undefined
        ? e
        : normalize(e.map((x, i) => x - dot(e, against) * (against[i] ?? 0)));
    }
    v = next.map((x) => x / n);
  }
  return v;
}

/** Projects `vec`s (all the same length) onto their two principal axes, centred on the mean. */
export function projectCoordinates(
  nodes: ReadonlyArray<{ readonly node: string; readonly vec: readonly number[] }>,
): MapPoint[] {
  if (nodes.length === 0) return [];
  const dim = Math.max(...nodes.map((n) => n.vec.length));
  const mean = new Array<number>(dim).fill(0);
  for (const n of nodes)
    for (let i = 0; i < dim; i++) mean[i] = (mean[i] ?? 0) + (n.vec[i] ?? 0) / nodes.length;
  const centred = nodes.map((n) =>
    Array.from({ length: dim }, (_, i) => (n.vec[i] ?? 0) - (mean[i] ?? 0)),
  );
  const cov = Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) =>
      centred.reduce((s, c) => s + (c[i] ?? 0) * (c[j] ?? 0), 0),
    ),
  );
  const ax = principalAxis(cov, dim);
  const ay = principalAxis(cov, dim, ax);
  return nodes.map((n, k) => ({
    node: n.node,
    x: dot(centred[k] ?? [], ax),
    y: dot(centred[k] ?? [], ay),
  }));
}
