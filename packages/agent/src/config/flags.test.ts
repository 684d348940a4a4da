import { describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, formatConfigError } from "./config-error.ts";
import { parseFlags } from "./flags.ts";

function flagError(argv: string[]): ConfigError {
  try {
    parseFlags(argv);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseFlags", () => {
  it("leaves unset flags at Go's zero values", () => {
    const { config, configPaths, args } = parseFlags([]);
    expect(config.nodeName).toBe("");
    expect(config.protocol).toBe(-1);
    expect(config.enableCompression).toBe(true);
    expect(config.tags).toEqual({});
    expect(config.eventHandlers).toEqual([]);
    expect(configPaths).toEqual([]);
    expect(args).toEqual([]);
  });

  it("reads serf-ts's -http-addr (not in Go 0.9.4) into httpAddr, empty when absent", () => {
    expect(parseFlags(["-http-addr=127.0.0.1:7380"]).config.httpAddr).toBe("127.0.0.1:7380");
    expect(parseFlags(["--http-addr", "127.0.0.1:0"]).config.httpAddr).toBe("127.0.0.1:0");
    expect(parseFlags([]).config.httpAddr).toBe("");
  });

  it("accepts Go-style and GNU-style spellings alike", () => {
    for (const argv of [["-node=a"], ["-node", "a"], ["--node=a"], ["--node", "a"]]) {
      expect(parseFlags(argv).config.nodeName).toBe("a");
    }
  });

  it("maps every flag to its field", () => {
    const { config } = parseFlags([
      "-bind=127.0.0.1:1",
      "-advertise",
      "127.0.0.2",
      "-encrypt=k",
      "-keyring-file=kr",
      "-log-level=debug",
      "-node=n",
      "-protocol=4",
      "-role=web",
      "-rpc-addr=127.0.0.1:2",
      "-profile=wan",
      "-snapshot=snap",
      "-discover=c",
      "-iface=lo",
      "-tags-file=tf",
      "-syslog",
      "-retry-max=3",
      "-retry-interval=5s",
      "-rejoin",
      "-replay",
      "-disable-compression",
      "-broadcast-timeout=2s",
    ]);
    expect(config).toMatchObject({
      bindAddr: "127.0.0.1:1",
      advertiseAddr: "127.0.0.2",
      encryptKey: "k",
      keyringFile: "kr",
      logLevel: "debug",
      nodeName: "n",
      protocol: 4,
      role: "web",
      rpcAddr: "127.0.0.1:2",
      profile: "wan",
      snapshotPath: "snap",
      discover: "c",
      interface: "lo",
      tagsFile: "tf",
      enableSyslog: true,
      retryMaxAttempts: 3,
      retryIntervalMs: 5000,
      rejoinAfterLeave: true,
      replayOnJoin: true,
      enableCompression: false,
      broadcastTimeoutMs: 2000,
    });
  });

  it("appends repeated list flags and merges -config-file/-config-dir in order", () => {
    const parsed = parseFlags([
      "-tag",
      "a=1",
      "--tag=b=x=y",
      "-tag=c=",
      "-join=j1",
      "-join",
      "j2",
      "-retry-join=r1",
      "--retry-join",
      "r2",
      "-event-handler=member-join,member-leave=./h.sh",
      "-event-handler",
      "user:deploy=./d.sh",
      "-config-file=f1.json",
      "-config-dir=d1",
      "--config-file",
      "f2.json",
    ]);
    expect(parsed.config.tags).toEqual({ a: "1", b: "x=y", c: "" });
    expect(parsed.config.startJoin).toEqual(["j1", "j2"]);
    expect(parsed.config.retryJoin).toEqual(["r1", "r2"]);
    expect(parsed.config.eventHandlers).toEqual([
      "member-join,member-leave=./h.sh",
      "user:deploy=./d.sh",
    ]);
    expect(parsed.configPaths).toEqual(["f1.json", "d1", "f2.json"]);
  });

  it("keeps the last value of a repeated scalar flag", () => {
    expect(parseFlags(["-node=a", "-node=b"]).config.nodeName).toBe("b");
  });

  it("parses booleans and ints the Go way", () => {
    expect(parseFlags(["-replay=false"]).config.replayOnJoin).toBe(false);
    expect(parseFlags(["-replay=T"]).config.replayOnJoin).toBe(true);
    expect(parseFlags(["-protocol=0x4"]).config.protocol).toBe(4);
    // A boolean never consumes the next argument: parsing stops at "false".
    const p = parseFlags(["-replay", "false", "-node=x"]);
    expect(p.config.replayOnJoin).toBe(true);
    expect(p.config.nodeName).toBe("");
    expect(p.args).toEqual(["false", "-node=x"]);
  });

  it("stops at the first non-flag and after --", () => {
    expect(parseFlags(["-node=a", "pos", "-bind=x"]).args).toEqual(["pos", "-bind=x"]);
    expect(parseFlags(["--", "-node=a"]).args).toEqual(["-node=a"]);
    expect(parseFlags(["-", "-node=a"]).args).toEqual(["-", "-node=a"]);
    // A value that looks like a flag is still the value.
    expect(parseFlags(["-node", "-x"]).config.nodeName).toBe("-x");
  });

  // Messages captured from serf 0.9.4 (stderr, followed by the usage text, exit 1).
  it.each([
    [["-x"], "flag provided but not defined: -x"],
    [["--bogus=1"], "flag provided but not defined: -bogus"],
    [["-protocol=abc"], 'invalid value "abc" for flag -protocol: parse error'],
    [
      ["-protocol=99999999999999999999"],
      'invalid value "99999999999999999999" for flag -protocol: value out of range',
    ],
    [["-retry-max=0x"], 'invalid value "0x" for flag -retry-max: parse error'],
    [["-replay=maybe"], 'invalid boolean value "maybe" for -replay: parse error'],
    [["-replay="], 'invalid boolean value "" for -replay: parse error'],
    [["-node"], "flag needs an argument: -node"],
    [["---node=a"], "bad flag syntax: ---node=a"],
    [["-=a"], "bad flag syntax: -=a"],
  ])("%j → %s", (argv, message) => {
    const err = flagError(argv);
    expect(err.code).toBe(ConfigErrorCode.FLAG);
    expect(err.showUsage).toBe(true);
    expect(err.message).toBe(message);
    expect(formatConfigError(err)).toBe(message);
  });

  it("reports help requests separately", () => {
    for (const argv of [["-h"], ["-help"], ["--help"], ["-node=a", "-h"]]) {
      expect(flagError(argv).code).toBe(ConfigErrorCode.HELP);
    }
  });

  // Captured: `==> Error: Invalid tag: 'foo'`, `==> Error: time: invalid duration "abc"`.
  it.each([
    [["-tag=foo"], ConfigErrorCode.INVALID_TAG, "Error: Invalid tag: 'foo'"],
    [["-tag==v"], ConfigErrorCode.INVALID_TAG, "Error: Invalid tag: '=v'"],
    [
      ["-retry-interval=abc"],
      ConfigErrorCode.INVALID_DURATION,
      'Error: time: invalid duration "abc"',
    ],
    [
      ["-retry-interval=10"],
      ConfigErrorCode.INVALID_DURATION,
      'Error: time: missing unit in duration "10"',
    ],
    [
      ["-broadcast-timeout=1x"],
      ConfigErrorCode.INVALID_DURATION,
      'Error: time: unknown unit "x" in duration "1x"',
    ],
    // Go checks tags before durations.
    [["-retry-interval=x", "-tag=bad"], ConfigErrorCode.INVALID_TAG, "Error: Invalid tag: 'bad'"],
  ])("%j → %s", (argv, code, message) => {
    const err = flagError(argv);
    expect(err.code).toBe(code);
    expect(formatConfigError(err)).toBe(`==> ${message}`);
  });

  it("treats an empty duration flag as unset", () => {
    expect(parseFlags(["-retry-interval="]).config.retryIntervalMs).toBe(0);
  });
});
