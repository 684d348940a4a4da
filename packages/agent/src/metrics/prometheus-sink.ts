/**
 * Prometheus names for the Go metrics (for `GET /metrics`): a `MetricsSink` that maps each Go
 * key to a prom-client metric named by Prometheus conventions (`serf.member.join` →
 * `serf_member_join_total`, the `memberlist.probeNode` timer → the
 * `memberlist_probe_node_seconds` histogram, byte counters → `…_bytes_total`), and gauges read
 * from the node at scrape time (`serf_members{status}`, queue depths, health score).
 *
 * Dynamic name segments (user event and query names, handler scripts) become a label; each
 * metric keeps at most 100 distinct values (names come from the network), later ones are
 * counted under `_other`. Keys without a mapping (`runtime.*`, `serf.queue.*`) are ignored:
 * prom-client's default metrics and the scrape-time gauges cover them.
 */

import type { MetricLabel, MetricsSink } from "@serf-ts/memberlist";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

type PromKind = "counter" | "histogram";

/** One mapping from a Go key to a Prometheus metric. */
export interface PrometheusMapping {
  /** Go key; a trailing `.*` takes the rest of the key as the value of `label`. */
  readonly key: string;
  readonly name: string;
  readonly kind: PromKind;
  readonly help: string;
  readonly label?: string;
  /** Multiplier from the Go value to the Prometheus unit (ms → s: 0.001). @default 1 */
  readonly scale?: number;
  readonly buckets?: readonly number[];
}

const SECONDS_FAST = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const SECONDS_WORK = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1];
const BYTES = [16, 64, 256, 512, 1024, 1400, 4096, 16384, 65536];
const MS = 0.001;

/** Every Go key exported to Prometheus, with its name and type. */
export const PROMETHEUS_MAPPINGS: readonly PrometheusMapping[] = [
  {
    key: "memberlist.msg.alive",
    name: "memberlist_msg_alive_total",
    kind: "counter",
    help: "Alive messages processed.",
  },
  {
    key: "memberlist.msg.suspect",
    name: "memberlist_msg_suspect_total",
    kind: "counter",
    help: "Nodes newly marked suspect.",
  },
  {
    key: "memberlist.msg.dead",
    name: "memberlist_msg_dead_total",
    kind: "counter",
    help: "Nodes newly marked dead or left.",
  },
  {
    key: "memberlist.probeNode",
    name: "memberlist_probe_node_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Duration of failure-detector probes (until ack or probe deadline).",
  },
  {
    key: "memberlist.degraded.probe",
    name: "memberlist_degraded_probe_total",
    kind: "counter",
    help: "Probes run with a stretched interval (non-zero health score).",
  },
  {
    key: "memberlist.degraded.timeout",
    name: "memberlist_degraded_timeout_total",
    kind: "counter",
    help: "Suspicions expired with fewer confirmations than expected.",
  },
  {
    key: "memberlist.gossip",
    name: "memberlist_gossip_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_WORK,
    help: "Time spent in gossip rounds.",
  },
  {
    key: "memberlist.pushPullNode",
    name: "memberlist_push_pull_node_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Duration of push/pull state exchanges this node started.",
  },
  {
    key: "memberlist.udp.sent",
    name: "memberlist_udp_sent_bytes_total",
    kind: "counter",
    help: "Bytes sent in UDP packets.",
  },
  {
    key: "memberlist.udp.received",
    name: "memberlist_udp_received_bytes_total",
    kind: "counter",
    help: "Bytes received in UDP packets.",
  },
  {
    key: "memberlist.tcp.sent",
    name: "memberlist_tcp_sent_bytes_total",
    kind: "counter",
    help: "Bytes sent on TCP streams.",
  },
  {
    key: "memberlist.tcp.accept",
    name: "memberlist_tcp_accept_total",
    kind: "counter",
    help: "Inbound TCP streams accepted.",
  },
  {
    key: "memberlist.tcp.connect",
    name: "memberlist_tcp_connect_total",
    kind: "counter",
    help: "Outbound TCP connections for push/pull.",
  },
  {
    key: "serf.member.join",
    name: "serf_member_join_total",
    kind: "counter",
    help: "Members that joined or came back.",
  },
  {
    key: "serf.member.failed",
    name: "serf_member_failed_total",
    kind: "counter",
    help: "Members marked failed.",
  },
  {
    key: "serf.member.left",
    name: "serf_member_left_total",
    kind: "counter",
    help: "Members that left gracefully.",
  },
  {
    key: "serf.member.update",
    name: "serf_member_update_total",
    kind: "counter",
    help: "Members whose tags or address changed.",
  },
  {
    key: "serf.member.flap",
    name: "serf_member_flap_total",
    kind: "counter",
    help: "Failed members back alive within the flap timeout (60 s).",
  },
  {
    key: "serf.events",
    name: "serf_events_total",
    kind: "counter",
    help: "New user events received.",
  },
  {
    key: "serf.events.*",
    name: "serf_events_by_name_total",
    kind: "counter",
    label: "name",
    help: "New user events received, by name (at most 100 names, then _other).",
  },
  {
    key: "serf.queries",
    name: "serf_queries_total",
    kind: "counter",
    help: "New queries received.",
  },
  {
    key: "serf.queries.*",
    name: "serf_queries_by_name_total",
    kind: "counter",
    label: "name",
    help: "New queries received, by name (at most 100 names, then _other).",
  },
  {
    key: "serf.query_acks",
    name: "serf_query_acks_total",
    kind: "counter",
    help: "Acks received for this node's queries.",
  },
  {
    key: "serf.query_duplicate_acks",
    name: "serf_query_duplicate_acks_total",
    kind: "counter",
    help: "Duplicate acks received for this node's queries.",
  },
  {
    key: "serf.query_responses",
    name: "serf_query_responses_total",
    kind: "counter",
    help: "Responses received for this node's queries.",
  },
  {
    key: "serf.query_duplicate_responses",
    name: "serf_query_duplicate_responses_total",
    kind: "counter",
    help: "Duplicate responses received for this node's queries.",
  },
  {
    key: "serf.msgs.received",
    name: "serf_msgs_received_bytes",
    kind: "histogram",
    buckets: BYTES,
    help: "Sizes of serf messages received.",
  },
  {
    key: "serf.msgs.sent",
    name: "serf_msgs_sent_bytes",
    kind: "histogram",
    buckets: BYTES,
    help: "Sizes of serf broadcasts sent.",
  },
  {
    key: "serf.coordinate.adjustment-ms",
    name: "serf_coordinate_adjustment_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Movement of the local Vivaldi coordinate per RTT sample.",
  },
  {
    key: "serf.coordinate.rejected",
    name: "serf_coordinate_rejected_total",
    kind: "counter",
    help: "Coordinate updates rejected.",
  },
  {
    key: "serf.snapshot.appendLine",
    name: "serf_snapshot_append_line_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Time to append to the snapshot file.",
  },
  {
    key: "serf.snapshot.compact",
    name: "serf_snapshot_compact_seconds",
    kind: "histogram",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Time to compact the snapshot file.",
  },
  {
    key: "agent.ipc.accept",
    name: "serf_agent_ipc_accept_total",
    kind: "counter",
    help: "RPC client connections accepted.",
  },
  {
    key: "agent.ipc.command",
    name: "serf_agent_ipc_command_total",
    kind: "counter",
    help: "RPC commands received.",
  },
  {
    key: "agent.invoke.*",
    name: "serf_agent_invoke_seconds",
    kind: "histogram",
    label: "script",
    scale: MS,
    buckets: SECONDS_FAST,
    help: "Event handler script run time, by script.",
  },
];

/** Gauges read from the node at scrape time. */
export const PROMETHEUS_SCRAPE_GAUGES: readonly { readonly name: string; readonly help: string }[] =
  [
    {
      name: "serf_members",
      help: "Members known to this node, by status (alive, leaving, left, failed).",
    },
    { name: "serf_intent_queue_depth", help: "Join/leave intents waiting to be gossiped." },
    { name: "serf_event_queue_depth", help: "User events waiting to be gossiped." },
    { name: "serf_query_queue_depth", help: "Queries waiting to be gossiped." },
    { name: "memberlist_health_score", help: "Lifeguard health (awareness) score; 0 is healthy." },
  ];

const MAX_LABEL_VALUES = 100;
const OTHER = "_other";

interface Bound {
  readonly mapping: PrometheusMapping;
  readonly metric: Counter<string> | Histogram<string>;
  readonly seen: Set<string>;
}

/** Writes Go-keyed metrics into prom-client metrics of `registry`. */
export class PrometheusSink implements MetricsSink {
  readonly #exact = new Map<string, Bound>();
  readonly #prefixed = new Map<string, Bound>();

  constructor(registry: Registry) {
    for (const mapping of PROMETHEUS_MAPPINGS) {
      const labelNames = mapping.label === undefined ? [] : [mapping.label];
      const common = { name: mapping.name, help: mapping.help, labelNames, registers: [registry] };
      const metric =
        mapping.kind === "counter"
          ? new Counter(common)
          : new Histogram({ ...common, buckets: [...(mapping.buckets ?? SECONDS_FAST)] });
      const bound: Bound = { mapping, metric, seen: new Set() };
      if (mapping.key.endsWith(".*")) this.#prefixed.set(mapping.key.slice(0, -2), bound);
      else this.#exact.set(mapping.key, bound);
    }
  }

  incrCounter(key: readonly string[], value: number, _labels?: readonly MetricLabel[]): void {
    this.#record(key, value);
  }

  setGauge(_key: readonly string[], _value: number, _labels?: readonly MetricLabel[]): void {
    // The gauges Go emits (health score, runtime.*) are read at scrape time instead.
  }

  addSample(key: readonly string[], value: number, _labels?: readonly MetricLabel[]): void {
    this.#record(key, value);
  }

  #record(key: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    let bound = this.#exact.get(key.join("."));
    let labelValue: string | undefined;
    if (bound === undefined && key.length >= 3) {
      bound = this.#prefixed.get(`${key[0]}.${key[1]}`);
      if (bound === undefined) return;
      labelValue = key.slice(2).join(".");
      if (!bound.seen.has(labelValue)) {
        if (bound.seen.size >= MAX_LABEL_VALUES) labelValue = OTHER;
        else bound.seen.add(labelValue);
      }
    }
    if (bound === undefined) return;
    const v = value * (bound.mapping.scale ?? 1);
    const labels = labelValue === undefined ? {} : { [bound.mapping.label as string]: labelValue };
    if (bound.metric instanceof Counter) {
      if (v >= 0) bound.metric.inc(labels, v);
    } else {
      bound.metric.observe(labels, v);
    }
  }
}

/** What the scrape-time gauges read. */
export interface ClusterGaugeSource {
  members(): readonly { readonly status: string }[];
  stats(): {
    readonly healthScore: number;
    readonly intentQueue: number;
    readonly eventQueue: number;
    readonly queryQueue: number;
  };
}

const STATUSES = ["alive", "leaving", "left", "failed"] as const;

/** Registers the scrape-time gauges of `source` (read on every scrape). */
export function registerClusterGauges(
  registry: Registry,
  source: () => ClusterGaugeSource | undefined,
): void {
  const [members, intent, event, query, health] = PROMETHEUS_SCRAPE_GAUGES as [
    { name: string; help: string },
    { name: string; help: string },
    { name: string; help: string },
    { name: string; help: string },
    { name: string; help: string },
  ];
  new Gauge({
    name: members.name,
    help: members.help,
    labelNames: ["status"],
    registers: [registry],
    collect() {
      const s = source();
      if (s === undefined) return;
      const counts = new Map<string, number>(STATUSES.map((st) => [st, 0]));
      for (const m of s.members()) {
        if (counts.has(m.status)) counts.set(m.status, (counts.get(m.status) ?? 0) + 1);
      }
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  const fromStats = (
    spec: { name: string; help: string },
    read: (s: ReturnType<ClusterGaugeSource["stats"]>) => number,
  ): void => {
    new Gauge({
      name: spec.name,
      help: spec.help,
      registers: [registry],
      collect() {
        const s = source();
        if (s !== undefined) this.set(read(s.stats()));
      },
    });
  };
  fromStats(intent, (s) => s.intentQueue);
  fromStats(event, (s) => s.eventQueue);
  fromStats(query, (s) => s.queryQueue);
  fromStats(health, (s) => s.healthScore);
}
