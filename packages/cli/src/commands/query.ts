import { type QueryRecord, RpcClosedError, type RpcSubscription } from "@serf-ts/rpc-client";
import { goDecodeUtf8, goJson, utf8 } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags, unmarshalTags } from "../rpc.ts";
import { type Command, concatBytes, type Ui } from "../ui.ts";

const HELP = `Usage: serf query [options] name payload

  Dispatches a query to the Serf cluster.

Options:

  -format                   If provided, output is returned in the specified
                            format. Valid formats are 'json', and 'text' (default)

  -node=NAME                This flag can be provided multiple times to filter
                            responses to only named nodes.

  -tag key=regexp           This flag can be provided multiple times to filter
                            responses to only nodes matching the tags.

  -timeout="15s"            Providing a timeout overrides the default timeout.

  -no-ack                   Setting this prevents nodes from sending an acknowledgement
                            of the query.

  -relay-factor             If provided, query responses will be relayed through this
                            number of extra nodes for redundancy.

  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.

  -rpc-auth=""              RPC auth token of the Serf agent.`;

/** Receives query results as they arrive (Go's `queryRespFormat`). */
export interface QueryOutput {
  started(): void;
  ack(from: string): void;
  response(from: string, payload: Uint8Array): void;
  finished(): void;
}

/**
 * Text output, streamed: `Query 'NAME' dispatched`, `Ack from 'N'`, `Response from 'N': P`
 * (one trailing newline of P removed, other bytes raw), then the totals.
 */
export function textQueryOutput(ui: Ui, name: string, noAck: boolean): QueryOutput {
  let acks = 0;
  let responses = 0;
  return {
    started: () => ui.output(`Query '${name}' dispatched`),
    ack(from) {
      acks++;
      ui.info(`Ack from '${from}'`);
    },
    response(from, payload) {
      responses++;
      const n = payload.length;
      const trimmed = n > 0 && payload[n - 1] === 0x0a ? payload.subarray(0, n - 1) : payload;
      ui.info(concatBytes(`Response from '${from}': `, trimmed));
    },
    finished() {
      if (!noAck) ui.output(`Total Acks: ${acks}`);
      ui.output(`Total Responses: ${responses}`);
    },
  };
}

/** `{"Acks": [...], "Responses": {...}}` as Go's `json.MarshalIndent` writes it. */
export function formatQueryJson(
  acks: readonly string[],
  responses: ReadonlyMap<string, Uint8Array>,
) {
  const resp = new Map([...responses].map(([from, p]) => [from, goDecodeUtf8(p)] as const));
  return goJson({ Acks: acks.length === 0 ? null : acks, Responses: resp }).trim();
}

/** JSON output, printed once at the end. */
export function jsonQueryOutput(ui: Ui): QueryOutput {
  const acks: string[] = [];
  const responses = new Map<string, Uint8Array>();
  return {
    started: () => undefined,
    ack: (from) => {
      acks.push(from);
    },
    response: (from, payload) => {
      responses.set(from, payload);
    },
    finished: () => ui.output(formatQueryJson(acks, responses)),
  };
}

export const queryCommand: Command = {
  synopsis: "Send a query to the Serf cluster",
  help: HELP,
  handlesInterrupt: true,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const nodes = flags.list("node");
    const tagArgs = flags.list("tag");
    const timeoutNs = flags.duration("timeout", 0);
    const noAck = flags.bool("no-ack", false);
    const format = flags.string("format", "text");
    const relayFactor = flags.int("relay-factor", 0);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const filterTags = unmarshalTags(tagArgs.value);
    if (typeof filterTags === "string") {
      ctx.ui.error(`Error: ${filterTags}`);
      return 1;
    }
    const rest = flags.args();
    const name = rest[0];
    if (name === undefined) {
      ctx.ui.error("A query name must be specified.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    if (rest.length > 2) {
      ctx.ui.error("Too many command line arguments. Only a name and payload must be specified.");
      ctx.ui.error("");
      ctx.ui.error(HELP);
      return 1;
    }
    const relay = relayFactor.value;
    if (relay > 255 || relay < 0) {
      ctx.ui.error("Relay factor must be between 0 and 255");
      return 1;
    }
    const payloadText = rest[1];
    const payload = payloadText === undefined ? null : utf8(payloadText);

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    try {
      let output: QueryOutput;
      if (format.value === "text") output = textQueryOutput(ctx.ui, name, noAck.value);
      else if (format.value === "json") output = jsonQueryOutput(ctx.ui);
      else {
        ctx.ui.error(`Invalid format: ${format.value}`);
        return 1;
      }

      let sub: RpcSubscription<QueryRecord>;
      try {
        sub = await client.query(
          {
            name,
            payload,
            filterNodes: nodes.value,
            filterTags,
            requestAck: !noAck.value,
            relayFactor: Number(relay),
            timeoutMs: timeoutNs.value / 1e6,
          },
          { signal: ctx.signal },
        );
      } catch (err) {
        if (ctx.signal.aborted) return 1;
        ctx.ui.error(`Error sending query: ${errorText(err)}`);
        return 1;
      }
      output.started();
      try {
        for await (const rec of sub) {
          // Go's client closes both channels at the end; an empty node name reads as closed.
          if (rec.from === "") break;
          if (rec.type === "ack") output.ack(rec.from);
          else output.response(rec.from, rec.payload ?? new Uint8Array(0));
        }
      } catch (err) {
        if (ctx.signal.aborted) return 1;
        // A lost connection ends the query like `done` does in Go (channels closed).
        if (!(err instanceof RpcClosedError)) throw err;
      }
      output.finished();
      return 0;
    } finally {
      await client.close();
    }
  },
};
