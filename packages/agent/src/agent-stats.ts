/** `serf info` sections of the agent (Go `Agent.Stats`, with Go's `runtime` names). */

import { availableParallelism, cpus } from "node:os";
import type { Serf } from "@serf-ts/serf";
import type { StatsResponse, StringMap } from "@serf-ts/wire/rpc";
import type { EventScript } from "./event-handlers/event-filter.ts";

/** Go `runtime.GOOS` for Node's platform names. */
function goOs(platform: string): string {
  return platform === "win32" ? "windows" : platform === "sunos" ? "solaris" : platform;
}

/** Go `runtime.GOARCH` for Node's architecture names. */
function goArch(arch: string): string {
  const names: Readonly<Record<string, string>> = {
    x64: "amd64",
    ia32: "386",
    arm: "arm",
    arm64: "arm64",
    ppc64: "ppc64le",
    s390x: "s390x",
    mips: "mips",
    mipsel: "mipsle",
    riscv64: "riscv64",
    loong64: "loong64",
  };
  return names[arch] ?? arch;
}

/**
 * The `serf info` sections: agent, runtime, serf, tags and the start-up event handlers
 * (`startupScripts`; Go lists those even after a reload).
 */
export function agentStats(node: Serf, startupScripts: readonly EventScript[]): StatsResponse {
  const local = node.localMember();
  const s = node.stats();
  const serf = new Map<string, string>([
    ["members", String(s.members)],
    ["failed", String(s.failed)],
    ["left", String(s.left)],
    ["health_score", String(s.healthScore)],
    ["member_time", String(s.memberTime)],
    ["event_time", String(s.eventTime)],
    ["query_time", String(s.queryTime)],
    ["intent_queue", String(s.intentQueue)],
    ["event_queue", String(s.eventQueue)],
    ["query_queue", String(s.queryQueue)],
    ["encrypted", String(s.encrypted)],
  ]);
  if (s.coordinateResets !== undefined) {
    serf.set("coordinate_resets", String(s.coordinateResets));
  }
  const handlers = new Map<string, string>();
  for (const script of startupScripts) {
    handlers.set(`${script.event}:${script.name}`, script.script);
  }
  const runtime = new Map<string, string>([
    ["os", goOs(process.platform)],
    ["arch", goArch(process.arch)],
    ["version", process.version],
    ["max_procs", String(availableParallelism())],
    ["goroutines", String(process.getActiveResourcesInfo().length)],
    ["cpu_count", String(cpus().length)],
  ]);
  return new Map<string, StringMap>([
    ["agent", new Map([["name", local.name]])],
    ["runtime", runtime],
    ["serf", serf],
    ["tags", new Map(Object.entries(local.tags))],
    ["event_handlers", handlers],
  ]);
}
