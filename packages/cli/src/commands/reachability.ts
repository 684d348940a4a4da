import {
  type Member,
  type QueryRecord,
  RpcClosedError,
  type RpcSubscription,
} from "@serf-ts/rpc-client";
import { goFixed } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf reachability [options]

  Tests the network reachability of this node

Options:

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.
  -verbose                  Verbose mode`;

const TOO_MANY_ACKS =
  "This could mean Serf is detecting false-failures due to a misconfiguration or network issue.";
const TOO_FEW_ACKS =
  "This could mean Serf gossip packets are being lost due to a misconfiguration or network issue.";
const DUPLICATE_RESPONSES =
  "Duplicate responses means there is a misconfiguration. Verify that node names are unique.";
const TROUBLESHOOTING = `
Troubleshooting tips:
* Ensure that the bind addr:port is accessible by all other nodes
* If an advertise address is set, ensure it routes to the bind address
* Check that no nodes are behind a NAT
* If nodes are behind firewalls or iptables, check that Serf traffic is permitted (UDP and TCP)
* Verify networking equipment is functional`;

export const reachabilityCommand: Command = {
  synopsis: "Test network reachability",
  help: HELP,
  handlesInterrupt: true,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const verbose = flags.bool("verbose", false);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    const ui = ctx.ui;
    try {
      let members: Member[];
      try {
        members = await client.members();
      } catch (err) {
        ui.error(`Error getting members: ${errorText(err)}`);
        return 1;
      }
      const live = new Set(members.filter((m) => m.status === "alive").map((m) => m.name));
      ui.output(`Total members: ${members.length}, live members: ${live.size}`);

      let sub: RpcSubscription<QueryRecord>;
      try {
        sub = await client.query({ name: "_serf_ping", requestAck: true }, { signal: ctx.signal });
      } catch (err) {
        if (ctx.signal.aborted) {
          ui.error("Test interrupted");
          return 1;
        }
        ui.error(`Error sending query: ${errorText(err)}`);
        return 1;
      }
      ui.output("Starting reachability test...");
      const start = performance.now();
      let last = start;
      let exit = 0;
      let dups = false;
      let numAcks = 0;
      const acksFrom = new Set<string>();
      try {
        for await (const rec of sub) {
          if (rec.type !== "ack") continue;
          if (rec.from === "") break;
          if (verbose.value) ui.output(`\tAck from '${rec.from}'`);
          numAcks++;
          if (acksFrom.has(rec.from)) {
            dups = true;
            ui.output(`Duplicate response from '${rec.from}'`);
          }
          acksFrom.add(rec.from);
          last = performance.now();
        }
      } catch (err) {
        if (ctx.signal.aborted) {
          ui.error("Test interrupted");
          return 1;
        }
        if (!(err instanceof RpcClosedError)) throw err;
      }
      if (verbose.value) {
        const total = (performance.now() - start) / 1000;
        const toLast = (last - start) / 1000;
        ui.output(
          `Query time: ${goFixed(total, 2)} sec, time to last response: ${goFixed(toLast, 2)} sec`,
        );
      }
      if (dups) {
        ui.output(DUPLICATE_RESPONSES);
        exit = 1;
      }
      const n = live.size;
      if (numAcks === n) {
        ui.output("Successfully contacted all live nodes");
      } else if (numAcks > n) {
        ui.output("Received more acks than live nodes! Acks from non-live nodes:");
        for (const m of acksFrom) if (!live.has(m)) ui.output(`\t${m}`);
        ui.output(TOO_MANY_ACKS);
        ui.output(TROUBLESHOOTING);
        return 1;
      } else {
        ui.output("Received less acks than live nodes! Missing acks from:");
        for (const m of live) if (!acksFrom.has(m)) ui.output(`\t${m}`);
        ui.output(TOO_FEW_ACKS);
        ui.output(TROUBLESHOOTING);
        return 1;
      }
      return exit;
    } finally {
      await client.close();
    }
  },
};
