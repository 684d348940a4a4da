/**
 * Vitest setup for every package: fast-check property tests run from a fixed seed, so a test
 * run is deterministic (the same cases every time, in CI as locally). Set `FC_SEED=<integer>`
 * to explore other cases; a failure prints the seed and path that reproduce it.
 */
import fc from "fast-check";

const DEFAULT_SEED = 0x5e7f;
const fromEnv = Number.parseInt(process.env.FC_SEED ?? "", 10);
fc.configureGlobal({ seed: Number.isInteger(fromEnv) ? fromEnv : DEFAULT_SEED });
