/**
 * Child process of `mdns-go-interop.test.ts`, run inside the test's network namespace with
 * `ip netns exec NS node --import tsx mdns-netns-child.ts`. Uses the default socket options
 * (the namespace has nothing but `lo`).
 *
 * Config: JSON in env `MDNS_CHILD_CONFIG` (`cluster`, `nodeName`, `advertiseIp`,
 * `advertisePort`, `pollIntervalMs`). Output: one JSON object per stdout line:
 * `{"event":"ready"}`, `{"event":"peers","addrs":[…]}`, `{"event":"entry","entry":{…}}`,
 * `{"event":"log","line":"…"}`, `{"event":"fatal","error":"…"}`. Stops on SIGTERM/SIGINT.
 */

import { AgentMdns } from "../agent-mdns.ts";
import { mdnsServiceName } from "../mdns-common.ts";
import { queryMdnsService } from "../mdns-discovery.ts";

interface ChildConfig {
  readonly cluster: string;
  readonly nodeName: string;
  readonly advertiseIp: string;
  readonly advertisePort: number;
  readonly pollIntervalMs: number;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const log =
  (level: string) =>
  (line: string): void =>
    emit({ event: "log", line: `[${level}] ${line}` });

async function main(): Promise<void> {
  const config = JSON.parse(process.env.MDNS_CHILD_CONFIG ?? "{}") as ChildConfig;
  const mdns = await AgentMdns.start({
    cluster: config.cluster,
    nodeName: config.nodeName,
    advertiseIp: config.advertiseIp,
    advertisePort: config.advertisePort,
    pollIntervalMs: config.pollIntervalMs,
    logger: { debug: log("DEBUG"), info: log("INFO"), warn: log("WARN"), error: log("ERR") },
    onPeers: (addrs) => {
      emit({ event: "peers", addrs });
      return addrs.length;
    },
  });
  emit({ event: "ready" });

  // Raw entries (what Go's responder sends), polled alongside the discovery loop.
  const abort = new AbortController();
  const rawPolls = (async () => {
    while (!abort.signal.aborted) {
      await queryMdnsService({
        service: mdnsServiceName(config.cluster),
        timeoutMs: config.pollIntervalMs,
        onEntry: (entry) => emit({ event: "entry", entry }),
        signal: abort.signal,
      }).catch((err: unknown) => emit({ event: "log", line: `[ERR] raw poll: ${String(err)}` }));
    }
  })();

  const stop = (): void => {
    abort.abort();
    void Promise.all([mdns.stop(), rawPolls]).finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  emit({ event: "fatal", error: String(err) });
  process.exit(1);
});
