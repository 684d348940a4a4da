/**
 * Injected randomness for the sans-I/O core. The core never calls `Math.random`: every random
 * choice (stagger, probe order, gossip targets, insert positions) goes through a {@link Random}
 * so a simulation replays bit-for-bit from one seed.
 */

/** A source of uniformly distributed 32-bit values. */
export interface Random {
  /** A uniformly distributed integer in `[0, 2^32)`. */
  nextUint32(): number;
  /** A uniformly distributed float in `[0, 1)`. */
  nextFloat(): number;
}

/** splitmix32: turns any 32-bit seed into well-mixed state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Small Fast Counting generator, period >= 2^32), seeded through splitmix32.
 * Not cryptographic: production drivers seed it from `crypto.getRandomValues`.
 */
export class SeededRandom implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any number; only its low 32 bits and (for large values) high bits are used. */
  constructor(seed: number) {
    const mixed = { s: (seed >>> 0) ^ Math.floor(seed / 0x100000000) };
    this.a = splitmix32(mixed);
    this.b = splitmix32(mixed);
    this.c = splitmix32(mixed);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }
}

/** A seeded PRNG; equal seeds give equal sequences. */
export function seededRandom(seed: number): Random {
  return new SeededRandom(seed);
}

/**
 * Go's `randomOffset(n)`: `rand.Uint32() % n`, 0 for `n == 0`. (The modulo bias is that of Go
 * and negligible for member counts.)
 */
export function randomOffset(random: Random, n: number): number {
  if (n <= 0) return 0;
  return random.nextUint32() % n;
}

/** A uniformly distributed float in `[0, max)`; used for start-up staggers. */
export function randomBelow(random: Random, max: number): number {
  if (max <= 0) return 0;
  return random.nextFloat() * max;
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T>(random: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextUint32() % (i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

/**
 * Derives a per-purpose seed from a root seed and an index (e.g. one `Random` per simulated
 * node), so adding a node does not perturb the others' streams.
 */
export function deriveSeed(root: number, index: number): number {
  const state = { s: (root >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d) };
  splitmix32(state);
  return splitmix32(state);
}
