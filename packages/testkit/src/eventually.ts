/** Polling with a bound, for conditions that become true "soon" in a real cluster. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of `eventually`. */
export interface EventuallyOptions {
  /** Give up after this long. @default 10000 */
  readonly timeoutMs?: number;
  /** Pause between two probes. @default 100 */
  readonly intervalMs?: number;
  /** Added to the timeout error, e.g. the current cluster state (may be async). */
  readonly describe?: string | (() => string | Promise<string>);
}

/**
 * Polls `probe` until it returns something other than `undefined` or `false` and resolves with
 * that value; rejects after `timeoutMs` with `describe` and the probe's last error. A probe that
 * throws counts as "not yet". The probe always runs at least once.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const extra =
        lastError === undefined
          ? ""
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      const d = options.describe;
      let text = "";
      try {
        text = typeof d === "function" ? await d() : (d ?? "");
      } catch (err) {
        text = `(describe failed: ${err instanceof Error ? err.message : String(err)})`;
      }
      throw new Error(`condition not met within ${timeoutMs} ms${extra}${text ? `: ${text}` : ""}`);
    }
    await sleep(Math.max(0, Math.min(intervalMs, deadline - Date.now())));
  }
}
