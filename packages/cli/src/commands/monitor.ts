import type { Member, RpcClient, RpcSubscription, StreamRecord } from "@serf-ts/rpc-client";
import {
  type GoValue,
  goArray,
  goBool,
  goBytesOrNil,
  goMap,
  goSharpV,
  goString,
  goUint,
} from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import type { Command } from "../ui.ts";

const HELP = `Usage: serf monitor [options]

  Shows recent log messages of a Serf agent, and attaches to the agent,
  outputting log messages as they occur in real time. The monitor lets you
  listen for log levels that may be filtered out of the Serf agent. For
  example your agent may only be logging at INFO level, but with the monitor
  you can see the DEBUG level logs.

Options:

  -log-level=info          Log level of the agent.
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`;

function memberValue(m: Member): GoValue {
  return goMap([
    ["Addr", goBytesOrNil(m.addr)],
    ["DelegateCur", goUint(m.delegateCur)],
    ["DelegateMax", goUint(m.delegateMax)],
    ["DelegateMin", goUint(m.delegateMin)],
    ["Name", goString(m.name)],
    ["Port", goUint(m.port)],
    ["ProtocolCur", goUint(m.protocolCur)],
    ["ProtocolMax", goUint(m.protocolMax)],
    ["ProtocolMin", goUint(m.protocolMin)],
    ["Status", goString(m.status)],
    ["Tags", goMap([...m.tags].map(([k, v]) => [k, goString(v)] as const))],
  ]);
}

/**
 * A stream record as the Go CLI sees it: the msgpack map the Go agent sends (keys in its
 * order), decoded into Go `interface{}` values.
 */
export function recordFields(rec: StreamRecord): (readonly [string, GoValue])[] {
  switch (rec.event) {
    case "user":
      return [
        ["Coalesce", goBool(rec.coalesce)],
        ["Event", goString("user")],
        ["LTime", goUint(rec.lTime)],
        ["Name", goString(rec.name)],
        ["Payload", goBytesOrNil(rec.payload)],
      ];
    case "query":
      return [
        ["Event", goString("query")],
        ["ID", goUint(rec.id)],
        ["LTime", goUint(rec.lTime)],
        ["Name", goString(rec.name)],
        ["Payload", goBytesOrNil(rec.payload)],
      ];
    default:
      return [
        ["Event", goString(rec.event)],
        ["Members", goArray(rec.members.map(memberValue))],
      ];
  }
}

/** `Event Info:` and one `\tKey: %#v` line per field (Go prints them in map order). */
export function formatEventInfo(rec: StreamRecord): string[] {
  return ["Event Info:", ...recordFields(rec).map(([k, v]) => `\t${k}: ${goSharpV(v)}`)];
}

async function pump<T>(sub: RpcSubscription<T>, each: (item: T) => boolean): Promise<void> {
  try {
    for await (const item of sub) {
      if (!each(item)) break;
    }
  } catch {
    // connection lost: the monitor ends
  }
}

export const monitorCommand: Command = {
  synopsis: "Stream logs from a Serf agent",
  help: HELP,
  handlesInterrupt: true,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const logLevel = flags.string("log-level", "INFO");
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const client: RpcClient | null = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      let events: RpcSubscription<StreamRecord>;
      try {
        events = await client.stream("*");
      } catch (err) {
        ctx.ui.error(`Error starting stream: ${errorText(err)}`);
        return 1;
      }
      let logs: RpcSubscription<{ readonly log: string }>;
      try {
        logs = await client.monitor(logLevel.value);
      } catch (err) {
        ctx.ui.error(`Error starting monitor: ${errorText(err)}`);
        return 1;
      }
      let quitting = false;
      const ended = Promise.race([
        pump(logs, (rec) => {
          // An empty line reads as a closed channel in Go.
          if (rec.log === "") return false;
          if (!quitting) ctx.ui.info(rec.log);
          return true;
        }),
        pump(events, (rec) => {
          if (!quitting) for (const line of formatEventInfo(rec)) ctx.ui.info(line);
          return true;
        }),
      ]).then(() => "ended" as const);
      const interrupted = new Promise<"interrupted">((resolve) => {
        if (ctx.signal.aborted) resolve("interrupted");
        ctx.signal.addEventListener("abort", () => resolve("interrupted"), { once: true });
      });
      const why = await Promise.race([ended, interrupted]);
      if (why === "interrupted") {
        quitting = true;
        return 0;
      }
      ctx.ui.info("");
      ctx.ui.output(
        "Remote side ended the monitor! This usually means that the\nremote side has exited or crashed.",
      );
      return 1;
    } finally {
      await client.close();
    }
  },
};
