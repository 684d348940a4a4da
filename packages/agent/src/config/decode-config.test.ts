import { describe, expect, it } from "vitest";
import { emptyConfig } from "./agent-config.ts";
import { CONFIG_KEYS, ConfigDecodeError, decodeConfig } from "./decode-config.ts";

const decode = (text: string) => decodeConfig(new TextEncoder().encode(text));

function decodeError(text: string): string {
  try {
    decode(text);
  } catch (err) {
    if (err instanceof ConfigDecodeError) return err.message;
    throw err;
  }
  throw new Error("expected a decode error");
}

describe("decodeConfig", () => {
  it("decodes every key", () => {
    const config = decode(
      JSON.stringify({
        node_name: "n",
        role: "r",
        disable_coordinates: true,
        tags: { a: "1" },
        tags_file: "tf",
        bind: "b",
        advertise: "adv",
        encrypt_key: "ek",
        keyring_file: "kf",
        log_level: "debug",
        rpc_addr: "ra",
        rpc_auth: "auth",
        protocol: 3,
        replay_on_join: true,
        query_response_size_limit: 10,
        query_size_limit: 11,
        user_event_size_limit: 12,
        start_join: ["s1"],
        event_handlers: ["e1"],
        profile: "wan",
        snapshot_path: "sp",
        leave_on_terminate: true,
        skip_leave_on_interrupt: true,
        discover: "d",
        interface: "lo",
        mdns: { interface: "eth1", disable_ipv4: false, disable_ipv6: true },
        reconnect_interval: "1s",
        reconnect_timeout: "2m",
        tombstone_timeout: "3h",
        disable_name_resolution: true,
        enable_syslog: true,
        syslog_facility: "LOCAL1",
        retry_join: ["r1"],
        retry_max_attempts: 4,
        retry_interval: "5s",
        rejoin_after_leave: true,
        enable_compression: true,
        statsite_addr: "ss",
        statsd_addr: "sd",
        broadcast_timeout: "6s",
        http_addr: "127.0.0.1:7380",
        validate_node_names: true,
      }),
    );
    expect(config).toEqual({
      nodeName: "n",
      role: "r",
      disableCoordinates: true,
      tags: { a: "1" },
      tagsFile: "tf",
      bindAddr: "b",
      advertiseAddr: "adv",
      encryptKey: "ek",
      keyringFile: "kf",
      logLevel: "debug",
      rpcAddr: "ra",
      rpcAuthKey: "auth",
      protocol: 3,
      replayOnJoin: true,
      queryResponseSizeLimit: 10,
      querySizeLimit: 11,
      userEventSizeLimit: 12,
      startJoin: ["s1"],
      eventHandlers: ["e1"],
      profile: "wan",
      snapshotPath: "sp",
      leaveOnTerm: true,
      skipLeaveOnInt: true,
      discover: "d",
      interface: "lo",
      mdnsInterface: "eth1",
      mdnsDisableIPv4: false,
      mdnsDisableIPv6: true,
      validateNodeNames: true,
      reconnectIntervalMs: 1000,
      reconnectTimeoutMs: 120_000,
      tombstoneTimeoutMs: 10_800_000,
      disableNameResolution: true,
      enableSyslog: true,
      syslogFacility: "LOCAL1",
      retryJoin: ["r1"],
      retryMaxAttempts: 4,
      retryIntervalMs: 5000,
      rejoinAfterLeave: true,
      enableCompression: true,
      statsiteAddr: "ss",
      statsdAddr: "sd",
      broadcastTimeoutMs: 6000,
      httpAddr: "127.0.0.1:7380",
    });
    // Go 0.9.4's 39 keys, plus 0.10.2's mdns and validate_node_names, plus serf-ts's http_addr.
    expect(CONFIG_KEYS).toHaveLength(42);
  });

  it("treats null as absent and an empty or null document as an empty layer", () => {
    expect(decode("null")).toEqual(emptyConfig());
    expect(decode("{}")).toEqual(emptyConfig());
    expect(decode('{"node_name": null, "tags": null, "start_join": null}')).toEqual(emptyConfig());
  });

  it("matches keys case-insensitively, like mapstructure", () => {
    const config = decode('{"NODE_NAME": "x", "Tags": {"a": "b"}}');
    expect(config.nodeName).toBe("x");
    expect(config.tags).toEqual({ a: "b" });
  });

  it("keeps Go's small conversions: null map values are empty, numbers truncate into ints", () => {
    const config = decode(
      '{"tags": {"a": null, "b": "x"}, "protocol": 4.7, "start_join": ["a", null]}',
    );
    expect(config.tags).toEqual({ a: "", b: "x" });
    expect(config.protocol).toBe(4);
    expect(config.startJoin).toEqual(["a", ""]);
  });

  it('fills all five durations from a "-" key (mapstructure quirk, seen live)', () => {
    const config = decode('{"-": 500000000}');
    expect(config.reconnectIntervalMs).toBe(500);
    expect(config.reconnectTimeoutMs).toBe(500);
    expect(config.tombstoneTimeoutMs).toBe(500);
    expect(config.retryIntervalMs).toBe(500);
    expect(config.broadcastTimeoutMs).toBe(500);
    // A named duration key still wins over "-".
    expect(decode('{"-": 500000000, "retry_interval": "2s"}').retryIntervalMs).toBe(2000);
  });

  // Messages captured from serf 0.9.4, after `==> Error decoding 'PATH': `.
  it.each([
    [
      '{"bogus_key": 1, "another": 2, "node_name": "a"}',
      "1 error(s) decoding:\n\n* '' has invalid keys: another, bogus_key",
    ],
    [
      '{"tags": {"a": 1}}',
      "1 error(s) decoding:\n\n* 'tags[a]' expected type 'string', got unconvertible type 'float64', value: '1'",
    ],
    [
      '{"protocol": "5"}',
      "1 error(s) decoding:\n\n* 'protocol' expected type 'int', got unconvertible type 'string', value: '5'",
    ],
    [
      '{"node_name": 1234567}',
      "1 error(s) decoding:\n\n* 'node_name' expected type 'string', got unconvertible type 'float64', value: '1.234567e+06'",
    ],
    [
      '{"node_name": true}',
      "1 error(s) decoding:\n\n* 'node_name' expected type 'string', got unconvertible type 'bool', value: 'true'",
    ],
    [
      '{"replay_on_join": "true"}',
      "1 error(s) decoding:\n\n* 'replay_on_join' expected type 'bool', got unconvertible type 'string', value: 'true'",
    ],
    [
      '{"start_join": "a"}',
      "1 error(s) decoding:\n\n* 'start_join': source data must be an array or slice, got string",
    ],
    [
      '{"start_join": [1, "b", 2.5]}',
      "2 error(s) decoding:\n\n* 'start_join[0]' expected type 'string', got unconvertible type 'float64', value: '1'\n* 'start_join[2]' expected type 'string', got unconvertible type 'float64', value: '2.5'",
    ],
    ['{"tags": "a"}', "1 error(s) decoding:\n\n* 'tags' expected a map, got 'string'"],
    ["[1,2]", "'' expected a map, got 'slice'"],
    ['"x"', "'' expected a map, got 'string'"],
    [
      '{"retry_interval": 10}',
      "1 error(s) decoding:\n\n* 'retry_interval' expected type 'string', got unconvertible type 'float64', value: '10'",
    ],
    [
      '{"tags": {"a": [1, "x"]}}',
      "1 error(s) decoding:\n\n* 'tags[a]' expected type 'string', got unconvertible type '[]interface {}', value: '[1 x]'",
    ],
    [
      '{"tags": {"a": {"x": 1}}}',
      "1 error(s) decoding:\n\n* 'tags[a]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[x:1]'",
    ],
    [
      '{"tags": {"a": 1e21, "b": 1000000, "c": 123456.5, "d": 0.00001}}',
      "4 error(s) decoding:\n\n* 'tags[a]' expected type 'string', got unconvertible type 'float64', value: '1e+21'\n* 'tags[b]' expected type 'string', got unconvertible type 'float64', value: '1e+06'\n* 'tags[c]' expected type 'string', got unconvertible type 'float64', value: '123456.5'\n* 'tags[d]' expected type 'string', got unconvertible type 'float64', value: '1e-05'",
    ],
    [
      '{"tags": {"a": 1, "b": true}, "protocol": "x", "bogus": 1}',
      "4 error(s) decoding:\n\n* '' has invalid keys: bogus\n* 'protocol' expected type 'int', got unconvertible type 'string', value: 'x'\n* 'tags[a]' expected type 'string', got unconvertible type 'float64', value: '1'\n* 'tags[b]' expected type 'string', got unconvertible type 'bool', value: 'true'",
    ],
    [
      '{"-": "x"}',
      `5 error(s) decoding:\n\n${Array(5).fill("* '-' expected type 'time.Duration', got unconvertible type 'string', value: 'x'").join("\n")}`,
    ],
    ['{"retry_interval": "abc"}', 'time: invalid duration "abc"'],
    ['{"reconnect_interval": "10"}', 'time: missing unit in duration "10"'],
    ['{"reconnect_timeout": "10x"}', 'time: unknown unit "x" in duration "10x"'],
    ["", "EOF"],
    ['{"node_name": "a"', "unexpected EOF"],
    ['{"protocol": 1e400}', "json: cannot unmarshal number 1e400 into Go value of type float64"],
  ])("%s", (text, message) => {
    expect(decodeError(text)).toBe(message);
  });

  it("parses durations only once mapstructure succeeded", () => {
    expect(decodeError('{"retry_interval": "abc", "bogus": 1}')).toBe(
      "1 error(s) decoding:\n\n* '' has invalid keys: bogus",
    );
  });
});
