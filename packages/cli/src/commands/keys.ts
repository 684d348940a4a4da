import {
  type KeyResponse,
  type RpcClient,
  RpcResponseError,
  type StringMap,
} from "@serf-ts/rpc-client";
import { columnize } from "../go-format.ts";
import { commandFlags, connectAgent, errorText, rpcFlags } from "../rpc.ts";
import { type Command, PrefixedUi } from "../ui.ts";

const HELP = `Usage: serf keys [options]...

  Manage the internal encryption keyring used by Serf. Modifications made by
  this command will be broadcasted to all members in the cluster and applied
  locally on each member. Operations of this command are idempotent.

  To facilitate key rotation, Serf allows for multiple encryption keys to be in
  use simultaneously. Only one key, the "primary" key, will be used for
  encrypting messages. All other keys are used for decryption only.

  All variations of this command will return 0 if all nodes reply and report
  no errors. If any node fails to respond or reports failure, we return 1.

  WARNING: Running with multiple encryption keys enabled is recommended as a
  transition state only. Performance may be impacted by using multiple keys.

Options:

  -install=<key>            Install a new key onto Serf's internal keyring. This
                            will enable the key for decryption. The key will not
                            be used to encrypt messages until the primary key is
                            changed.
  -use=<key>                Change the primary key used for encrypting messages.
                            All nodes in the cluster must already have this key
                            installed if they are to continue communicating with
                            eachother.
  -remove=<key>             Remove a key from Serf's internal keyring. The key
                            being removed may not be the current primary key.
  -list                     List all currently known keys in the cluster. This
                            will ask all nodes in the cluster for a list of keys
                            and dump a summary containing each key and the
                            number of members it is installed on to the console.
  -rpc-addr=127.0.0.1:7373  RPC address of the Serf agent.
  -rpc-auth=""              RPC auth token of the Serf agent.`;

/** The `failed: | NODE | MESSAGE` table printed for per-node failures (not trimmed). */
export function formatKeyFailures(messages: StringMap): string {
  return columnize([...messages].map(([node, message]) => `failed: | ${node} | ${message}`));
}

/** The `KEY  [N/TOTAL]` table of `serf keys -list`. */
export function formatKeyList(keys: ReadonlyMap<string, number>, total: number): string {
  return columnize([...keys].map(([key, n]) => `${key} | [${n}/${total}]`));
}

interface Action {
  readonly progress: string;
  readonly success: string;
  readonly errorPrefix: string;
  readonly call: (client: RpcClient, key: string) => Promise<KeyResponse>;
}

const ACTIONS = {
  install: {
    progress: "Installing key on all members...",
    success: "Successfully installed key!",
    errorPrefix: "Error installing key: ",
    call: (c, k) => c.installKey(k),
  },
  use: {
    progress: "Changing primary key on all members...",
    success: "Successfully changed primary key!",
    errorPrefix: "Error changing primary key: ",
    call: (c, k) => c.useKey(k),
  },
  remove: {
    progress: "Removing key on all members...",
    success: "Successfully removed key!",
    errorPrefix: "Error removing key: ",
    call: (c, k) => c.removeKey(k),
  },
} as const satisfies Record<string, Action>;

export const keysCommand: Command = {
  synopsis: "Manipulate the internal encryption keyring used by Serf",
  help: HELP,
  async run(args, ctx) {
    const flags = commandFlags(ctx, HELP);
    const install = flags.string("install", "");
    const use = flags.string("use", "");
    const remove = flags.string("remove", "");
    const list = flags.bool("list", false);
    const rpc = rpcFlags(flags, ctx);
    if (!flags.parse(args)) return 1;

    const ui = new PrefixedUi(ctx.stdout, "==> ");
    let found = list.value;
    for (const arg of [install.value, use.value, remove.value]) {
      if (found && arg.length > 0) {
        ui.error("Only one of -install, -use, -remove, or -list allowed");
        return 1;
      }
      found = found || arg.length > 0;
    }
    if (!found) {
      ui.error(HELP);
      return 1;
    }

    const client = await connectAgent(ctx, rpc);
    if (client === null) return 1;
    const failures = (err: unknown): void => {
      const body =
        err instanceof RpcResponseError ? (err.body as KeyResponse | undefined) : undefined;
      if (body !== undefined && body.messages.size > 0) ui.error(formatKeyFailures(body.messages));
    };
    try {
      if (list.value) {
        ui.info("Asking all members for installed keys...");
        let resp: KeyResponse;
        try {
          resp = await client.listKeys();
        } catch (err) {
          failures(err);
          ui.error("");
          ui.error(`Failed to gather member keys: ${errorText(err)}`);
          return 1;
        }
        ui.info("Keys gathered, listing cluster keys...");
        ui.output("");
        ui.output(formatKeyList(resp.keys ?? new Map(), resp.numNodes));
        return 0;
      }
      const [action, key] =
        install.value !== ""
          ? [ACTIONS.install, install.value]
          : use.value !== ""
            ? [ACTIONS.use, use.value]
            : [ACTIONS.remove, remove.value];
      ui.info(action.progress);
      try {
        await action.call(client, key);
      } catch (err) {
        failures(err);
        ui.error("");
        ui.error(`${action.errorPrefix}${errorText(err)}`);
        return 1;
      }
      ui.info(action.success);
      return 0;
    } finally {
      await client.close();
    }
  },
};
