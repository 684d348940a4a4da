/**
 * Injected randomness. The core never calls `Math.random`: drivers pass a crypto-seeded
 * implementation, tests and simulations a seeded one. Structurally identical to the `Random`
 * of `@serf-ts/memberlist`, so one object serves both layers.
 */
export interface Random {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
}

/** Uniform integer in [0, n) (Go `rand.Intn`); `n` must be a positive safe integer. */
export function randomIntn(random: Random, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`randomIntn: bad bound ${n}`);
  // Go's rand.Intn is uniform; flooring a [0,1) float is uniform enough for n far below 2^53.
  return Math.min(n - 1, Math.floor(random.nextFloat() * n));
}

/** Fisher-Yates shuffle in place, in the order Go's snapshot `AliveNodes` uses (`j ≤ i`). */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = 0; i < items.length; i++) {
    const j = randomIntn(random, i + 1);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/**
 * A small deterministic generator (mulberry32) for tests and simulations. Not for anything
 * that needs unpredictability.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    nextUint32,
    nextFloat: () => nextUint32() / 0x1_0000_0000,
  };
}
