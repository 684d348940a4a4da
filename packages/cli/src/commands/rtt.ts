import type { RpcCoordinate } from "@serf-ts/rpc-client";
import { goFixed, goQuote } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf rtt [options] node1 [node2]

  Estimates the round trip time between two nodes using Serf's network
  coordinate model of the cluster.

  At least one node name is required. If the second node name isn't given, it
  is set to the agent's node name. Note that these are node names as known to
  Serf as "serf members" would show, not IP addresses.

Options:

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.

  -rpc-auth=""              RPC auth token of the Serf agent.`;

/**
 * Go's `Coordinate.DistanceTo` in whole nanoseconds: Euclidean distance of the vectors plus
 * both heights, plus both adjustments if that stays positive, truncated to an integer.
 */
export function coordinateDistanceNs(a: RpcCoordinate, b: RpcCoordinate): number {
  const va = a.vec ?? [];
  const vb = b.vec ?? [];
  let sum = 0;
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    sum += d * d;
  }
  let dist = Math.sqrt(sum) + a.height + b.height;
  const adjusted = dist + a.adjustment + b.adjustment;
  if (adjusted > 0) dist = adjusted;
  return Math.trunc(dist * 1e9);
}

/** `Estimated A <-> B rtt: X.XXX ms`, formatted as Go does (`Duration.Seconds()*1000`, `%.3f`). */
export function formatRtt(node1: string, node2: string, distanceNs: number): string {
  const seconds = Math.trunc(distanceNs / 1e9) + (distanceNs % 1e9) / 1e9;
  return `Estimated ${node1} <-> ${node2} rtt: ${goFixed(seconds * 1000, 3)} ms`;
}

export const rttCommand: Command = {
  synopsis: "Estimates network round trip time between nodes",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      const nodes = [...flags.args()];
      if (nodes.length === 1) {
        try {
          const stats = await client.stats();
          nodes.push(stats.get("agent")?.get("name") ?? "");
        } catch (err) {
          ctx.ui.error(`Error querying agent: ${errorText(err)}`);
          return 1;
        }
      } else if (nodes.length !== 2) {
        ctx.ui.error("One or two node names must be specified");
        ctx.ui.error("");
        ctx.ui.error(HELP);
        return 1;
      }
      const coords: RpcCoordinate[] = [];
      for (const node of nodes) {
        let coord: RpcCoordinate | null;
        try {
          coord = await client.getCoordinate(node);
        } catch (err) {
          ctx.ui.error(`Error getting coordinates: ${errorText(err)}`);
          return 1;
        }
        if (coord === null) {
          ctx.ui.error(`Could not find a coordinate for node ${goQuote(node)}`);
          return 1;
        }
        coords.push(coord);
      }
      const [c1, c2] = coords as [RpcCoordinate, RpcCoordinate];
      ctx.ui.output(formatRtt(nodes[0]!, nodes[1]!, coordinateDistanceNs(c1, c2)));
      return 0;
    } finally {
      await client.close();
    }
  },
};
