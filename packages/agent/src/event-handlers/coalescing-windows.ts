/**
 * The agent's coalescing windows (Go agent `serf.Config`: `CoalescePeriod` 3 s,
 * `QuiescentPeriod` 1 s, the same for user events). They are the agent's choice, not the serf
 * library's: a library user picks its own windows for `createCoalescePipeline`.
 */

import type { CoalescingWindows } from "@serf-ts/serf";

/** 3 s maximum hold, 1 s quiescence, for member and user events alike (serf.md §6.4). */
export const AGENT_COALESCING_WINDOWS: CoalescingWindows = Object.freeze({
  coalescePeriodMs: 3000,
  quiescentPeriodMs: 1000,
  userCoalescePeriodMs: 3000,
  userQuiescentPeriodMs: 1000,
});
