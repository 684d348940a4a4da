/**
 * `runtime.*` metrics of the Node process, in place of go-metrics' Go runtime statistics
 * (goroutines, Go heap). Every second (go-metrics' `ProfileInterval`) these gauges are set:
 *
 * - `runtime.alloc_bytes`: V8 heap used; `runtime.heap_total_bytes`: V8 heap reserved;
 *   `runtime.sys_bytes`: resident set size; `runtime.external_bytes`: memory of C++ objects
 *   bound to JS (Buffers included);
 * - `runtime.num_active_handles`: libuv resources keeping the loop alive (sockets, timers),
 *   the nearest thing to Go's `runtime.num_goroutines`;
 * - `runtime.event_loop_lag_ms`: mean event-loop delay over the last second beyond the 20 ms
 *   sampling period, `runtime.event_loop_lag_max_ms`: its maximum;
 * - `runtime.total_gc_runs`, `runtime.total_gc_pause_ns`: garbage collections so far and their
 *   total pause;
 *
 * and one `runtime.gc_pause_ns` sample per collection, as Go does.
 */

import {
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
} from "node:perf_hooks";
import type { MetricsSink } from "@serf-ts/memberlist";

const LAG_RESOLUTION_MS = 20;

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
  let lag: IntervalHistogram | undefined;
  try {
    lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    lag.enable();
  } catch {
    lag = undefined;
  }

  const emit = (): void => {
    const mem = process.memoryUsage();
    sink.setGauge(["runtime", "num_active_handles"], process.getActiveResourcesInfo().length);
    sink.setGauge(["runtime", "alloc_bytes"], mem.heapUsed);
    sink.setGauge(["runtime", "heap_total_bytes"], mem.heapTotal);
    sink.setGauge(["runtime", "sys_bytes"], mem.rss);
    sink.setGauge(["runtime", "external_bytes"], mem.external);
    if (lag !== undefined) {
      // The histogram records the whole sampling period; the lag is what exceeds it.
      const mean = Number.isFinite(lag.mean) ? lag.mean / 1e6 : LAG_RESOLUTION_MS;
      sink.setGauge(["runtime", "event_loop_lag_ms"], Math.max(0, mean - LAG_RESOLUTION_MS));
      const max = lag.max / 1e6;
      sink.setGauge(["runtime", "event_loop_lag_max_ms"], Math.max(0, max - LAG_RESOLUTION_MS));
      lag.reset();
    }
    sink.setGauge(["runtime", "total_gc_pause_ns"], gcPauseNs);
    sink.setGauge(["runtime", "total_gc_runs"], gcRuns);
    const taken = pauses;
    pauses = [];
    for (const ns of taken) sink.addSample(["runtime", "gc_pause_ns"], ns);
  };
  const timer = setInterval(emit, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    observer?.disconnect();
    lag?.disable();
  };
}
