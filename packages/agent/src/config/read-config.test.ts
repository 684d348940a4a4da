import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, formatConfigError } from "./config-error.ts";
import { type ReadConfigOptions, readConfig } from "./read-config.ts";

let dir: string;
const env: ReadConfigOptions = {
  hostname: () => "testhost",
  interfaceExists: (name) => name === "lo",
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-read-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function readError(argv: string[], options: ReadConfigOptions = env): ConfigError {
  try {
    readConfig(argv, options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("readConfig", () => {
  it("applies defaults and the host name", () => {
    const { config, warnings } = readConfig([], env);
    expect(config).toMatchObject({
      nodeName: "testhost",
      bindAddr: "0.0.0.0",
      rpcAddr: "127.0.0.1:7373",
      logLevel: "INFO",
      protocol: 5,
      profile: "lan",
      enableCompression: true,
      retryIntervalMs: 30_000,
      broadcastTimeoutMs: 5_000,
    });
    expect(warnings).toEqual([]);
  });

  it("merges files, then flags over them", () => {
    const file = join(dir, "c.json");
    writeFileSync(
      file,
      JSON.stringify({
        node_name: "fromfile",
        tags: { a: "1", d: "file" },
        protocol: 3,
        enable_compression: false,
        event_handlers: ["user=f.sh"],
        log_level: "warn",
        replay_on_join: true,
      }),
    );
    const { config } = readConfig(
      [`-config-file=${file}`, "-tag", "d=4", "-event-handler=query=q.sh", "-protocol=0"],
      env,
    );
    expect(config.nodeName).toBe("fromfile");
    expect(config.tags).toEqual({ a: "1", d: "4" });
    expect(config.protocol).toBe(3);
    expect(config.enableCompression).toBe(true);
    expect(config.eventHandlers).toEqual(["user=f.sh", "query=q.sh"]);
    expect(config.logLevel).toBe("warn");
    // -replay is not given, but false never overrides true.
    expect(config.replayOnJoin).toBe(true);
    expect(
      readConfig([`-config-file=${file}`, "-disable-compression"], env).config.enableCompression,
    ).toBe(false);
  });

  it("prints Go's warnings in order and adjusts values", () => {
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ "-": 500_000_000, role: "r", tags: { b: "x" } }));
    const { config, warnings } = readConfig(
      [`-config-file=${file}`, "-rejoin", "-node", "n1"],
      env,
    );
    expect(warnings).toEqual([
      "Deprecation warning: 'Role' has been replaced with 'Tags'",
      "Warning: 'RetryInterval' is too low. Setting to 1s",
      "Warning: 'BroadcastTimeout' is too low. Setting to 1s",
      "Warning: 'RejoinAfterLeave' enabled without snapshot file",
    ]);
    expect(config.tags).toEqual({ b: "x", role: "r" });
    expect(config.retryIntervalMs).toBe(1000);
    expect(config.broadcastTimeoutMs).toBe(1000);
    expect(config.reconnectIntervalMs).toBe(500);
    expect(readConfig(["-rejoin", "-snapshot=s"], env).warnings).toEqual([]);
    expect(readConfig(["-retry-interval=-5s"], env).config.retryIntervalMs).toBe(1000);
  });

  it("lets -role override the role tag", () => {
    expect(readConfig(["-tag=role=a", "-role=b"], env).config.tags.role).toBe("b");
  });

  // Messages captured from serf 0.9.4.
  it.each([
    [
      ["-event-handler=foo=bar.sh"],
      ConfigErrorCode.INVALID_EVENT_SCRIPT,
      "Invalid event script: Event 'foo' invoking 'bar.sh'",
    ],
    [
      ["-event-handler=member-join,bogus,user:x=bar.sh"],
      ConfigErrorCode.INVALID_EVENT_SCRIPT,
      "Invalid event script: Event 'bogus' invoking 'bar.sh'",
    ],
    [
      ["-event-handler=USER:x=a.sh"],
      ConfigErrorCode.INVALID_EVENT_SCRIPT,
      "Invalid event script: Event 'USER:x' invoking 'a.sh'",
    ],
    [
      ["-iface=nope0"],
      ConfigErrorCode.INVALID_INTERFACE,
      "Invalid network interface: route ip+net: no such network interface",
    ],
    // Event handlers are checked before the interface; tags before handlers.
    [
      ["-iface=nope0", "-event-handler=x=y"],
      ConfigErrorCode.INVALID_EVENT_SCRIPT,
      "Invalid event script: Event 'x' invoking 'y'",
    ],
    [
      ["-tag=a=b=c", "-event-handler=foo=bar.sh"],
      ConfigErrorCode.INVALID_EVENT_SCRIPT,
      "Invalid event script: Event 'foo' invoking 'bar.sh'",
    ],
    [
      ["-tag=x", "-config-file=/nonexistent/serf.json"],
      ConfigErrorCode.INVALID_TAG,
      "Error: Invalid tag: 'x'",
    ],
    [
      ["-config-file=/nonexistent/serf.json", "-retry-interval=x"],
      ConfigErrorCode.INVALID_DURATION,
      'Error: time: invalid duration "x"',
    ],
  ])("%j", (argv, code, message) => {
    const err = readError(argv);
    expect(err.code).toBe(code);
    expect(formatConfigError(err)).toBe(`==> ${message}`);
  });

  it("accepts every valid filter form", () => {
    const { config } = readConfig(
      [
        "-event-handler=query:,user:=a.sh",
        "-event-handler=*=FOO=1 ./x.sh",
        "-event-handler=plain.sh",
        "-event-handler==empty-filter.sh",
        "-iface=lo",
      ],
      env,
    );
    expect(config.eventHandlers).toHaveLength(4);
  });

  it("reports host name failures", () => {
    const err = readError([], {
      hostname: () => {
        throw new Error("no name");
      },
    });
    expect(err.code).toBe(ConfigErrorCode.HOSTNAME);
    expect(err.message).toBe("Error determining hostname: no name");
  });

  it("returns positional arguments", () => {
    expect(readConfig(["-node=a", "extra", "-x"], env).args).toEqual(["extra", "-x"]);
  });
});
