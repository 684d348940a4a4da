/**
 * `runtime.*` metrics of the Node process, in place of go-metrics' Go runtime statistics
 * (goroutines, Go heap). Every second (go-metrics' `ProfileInterval`) these gauges are set:
 *
 * - `runtime.alloc_bytes`: V8 heap used; `runtime.heap_total_bytes`: V8 heap reserved;
 *   `runtime.sys_bytes`: resident set size; `runtime.external_bytes`: memory of C++ objects
 *   bound to JS (Buffers included);
 * - `runtime.num_active_handles`: libuv resources keeping the loop alive (sockets, timers),
 *   the nearest thing to Go's `runtime.num_goroutines`;
 * - `runtime.event_loop_lag_ms`: how late this collector's own 1 s timer fired (event-loop lag
 *   sampled once a second, with no extra wake-ups), `runtime.event_loop_lag_max_ms`: the
 *   largest such lag so far;
 * - `runtime.total_gc_runs`, `runtime.total_gc_pause_ns`: garbage collections so far and their
 *   total pause;
 *
 * and one `runtime.gc_pause_ns` sample per collection, as Go does.
 */

import { PerformanceObserver, performance } from "node:perf_hooks";
import type { MetricsSink } from "@serf-ts/memberlist";

/** Stops the collection. */
export type StopRuntimeMetrics = () => void;

/** Starts emitting `runtime.*` to `sink` every `intervalMs`. */
export function startRuntimeMetrics(sink: MetricsSink, intervalMs = 1000): StopRuntimeMetrics {
  let gcRuns = 0;
  let gcPauseNs = 0;
  let pauses: number[] = [];
  let observer: PerformanceObserver | undefined;
  try {
    observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const ns = Math.round(entry.duration * 1e6);
        gcRuns++;
        gcPauseNs += ns;
        // Bounded like Go's 256-entry pause ring.
        if (pauses.length < 256) pauses.push(ns);
      }
    });
    observer.observe({ entryTypes: ["gc"] });
  } catch {
    observer = undefined;
  }
  let lagMs = 0;
  let maxLagMs = 0;
  const emit = (): void => {
    const mem = process.memoryUsage();
    sink.setGauge(["runtime", "num_active_handles"], process.getActiveResourcesInfo().length);
    sink.setGauge(["runtime", "alloc_bytes"], mem.heapUsed);
    sink.setGauge(["runtime", "heap_total_bytes"], mem.heapTotal);
    sink.setGauge(["runtime", "sys_bytes"], mem.rss);
    sink.setGauge(["runtime", "external_bytes"], mem.external);
    sink.setGauge(["runtime", "event_loop_lag_ms"], lagMs);
    sink.setGauge(["runtime", "event_loop_lag_max_ms"], maxLagMs);
    sink.setGauge(["runtime", "total_gc_pause_ns"], gcPauseNs);
    sink.setGauge(["runtime", "total_gc_runs"], gcRuns);
    const taken = pauses;
    pauses = [];
    for (const ns of taken) sink.addSample(["runtime", "gc_pause_ns"], ns);
  };
  // A chain of timeouts rather than an interval: each tick measures how late it fired.
  let timer: ReturnType<typeof setTimeout>;
  const schedule = (): void => {
    const due = performance.now() + intervalMs;
    timer = setTimeout(() => {
      lagMs = Math.max(0, performance.now() - due);
      maxLagMs = Math.max(maxLagMs, lagMs);
      emit();
      schedule();
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return () => {
    clearTimeout(timer);
    observer?.disconnect();
  };
}
