/**
 * Seeded fault plan of the simulated network: latency + jitter, global and directional
 * packet loss (half-open links), duplication, partitions (group labels). Every decision draws
 * from its own RNG so fault choices never perturb the nodes' randomness.
 */

import { type Random, seededRandom } from "../../core/random.ts";

/** Static network parameters. */
export interface NetworkConfig {
  /** One-way base latency of packets and stream messages (ms). @default 1 */
  readonly latencyMs: number;
  /** Uniform extra latency in `[0, jitterMs)` (reorders packets). @default 0.5 */
  readonly jitterMs: number;
  /** Probability that any datagram is lost. @default 0 */
  readonly loss: number;
  /** Probability that a delivered datagram is delivered twice. @default 0 */
  readonly duplicate: number;
}

export const DEFAULT_NETWORK: NetworkConfig = Object.freeze({
  latencyMs: 1,
  jitterMs: 0.5,
  loss: 0,
  duplicate: 0,
});

export class FaultPlan {
  config: NetworkConfig;
  private readonly random: Random;
  /** "from\0to" → loss probability of that direction. */
  private readonly linkLoss = new Map<string, number>();
  /** node → partition group; nodes in different groups cannot talk. Empty = no partition. */
  private groups = new Map<string, number>();

  constructor(seed: number, config: Partial<NetworkConfig> = {}) {
    this.random = seededRandom(seed);
    this.config = { ...DEFAULT_NETWORK, ...config };
  }

  /** Sets the global loss probability. */
  setLoss(p: number): void {
    this.config = { ...this.config, loss: p };
  }

  /** Loss probability of the direction `from → to` (1 = one-way link cut). */
  setLinkLoss(from: string, to: string, p: number): void {
    if (p <= 0) this.linkLoss.delete(`${from}\0${to}`);
    else this.linkLoss.set(`${from}\0${to}`, p);
  }

  /** Splits the named nodes into groups; unnamed nodes form one more group together. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => {
      for (const name of g) this.groups.set(name, i + 1);
    });
  }

  /** Removes the partition. */
  heal(): void {
    this.groups = new Map();
  }

  /** True if the reliable plane between `a` and `b` is cut by a partition. */
  cut(a: string, b: string): boolean {
    if (this.groups.size === 0) return false;
    return (this.groups.get(a) ?? 0) !== (this.groups.get(b) ?? 0);
  }

  /** Decides the fate of one datagram: `undefined` = dropped, else 1 or 2 delivery delays. */
  packetDelays(from: string, to: string): number[] | undefined {
    if (this.cut(from, to)) return undefined;
    const loss = this.config.loss;
    if (loss > 0 && this.random.nextFloat() < loss) return undefined;
    if (this.linkLoss.size > 0) {
      const p = this.linkLoss.get(`${from}\0${to}`);
      if (p !== undefined && this.random.nextFloat() < p) return undefined;
    }
    const first = this.delay();
    if (this.config.duplicate > 0 && this.random.nextFloat() < this.config.duplicate) {
      return [first, this.delay()];
    }
    return [first];
  }

  /** One-way delay of a stream message (never lost). */
  delay(): number {
    const { latencyMs, jitterMs } = this.config;
    return jitterMs > 0 ? latencyMs + this.random.nextFloat() * jitterMs : latencyMs;
  }

  /** A uniform float in [0, 1) from the fault RNG (scenario choices). */
  nextFloat(): number {
    return this.random.nextFloat();
  }
}
