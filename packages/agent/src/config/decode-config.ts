/**
 * Decoding one JSON config file (Go `agent.DecodeConfig`): Go `encoding/json` into
 * `interface{}`, then mitchellh/mapstructure (1.5, as in the Debian build) with `ErrorUnused`,
 * then the duration strings. Error texts are Go's, e.g.
 *
 *     1 error(s) decoding:
 *
 *     * '' has invalid keys: bogus_key
 *
 * Keys match exactly or, failing that, case-insensitively; there is no weak typing
 * (`"protocol": "5"` is an error) except that a JSON number fills an int field truncated.
 */

import { GoDurationError, parseGoDurationMs } from "@serf-ts/wire/gocompat";
import {
  decodeGoJsonStream,
  formatGoValue,
  type GoJsonObject,
  type GoJsonValue,
  GoJsonError,
  goKindName,
  goTypeName,
} from "@serf-ts/wire/gocompat";
import { type AgentConfig, emptyConfig, tagRecord } from "./agent-config.ts";

/** Why a config file's contents were rejected; `message` is Go's text (without the path). */
export class ConfigDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigDecodeError";
  }
}

type StringKey = {
  [K in keyof AgentConfig]: AgentConfig[K] extends string ? K : never;
}[keyof AgentConfig];
type BoolKey = {
  [K in keyof AgentConfig]: AgentConfig[K] extends boolean ? K : never;
}[keyof AgentConfig];
type NumberKey = {
  [K in keyof AgentConfig]: AgentConfig[K] extends number ? K : never;
}[keyof AgentConfig];
type ListKey = "startJoin" | "eventHandlers" | "retryJoin";

/** Raw duration strings, parsed after mapstructure succeeds (Go `ReconnectIntervalRaw` etc.). */
type RawDuration =
  | "reconnectInterval"
  | "reconnectTimeout"
  | "tombstoneTimeout"
  | "retryInterval"
  | "broadcastTimeout";

type FieldSpec =
  | { readonly key: string; readonly kind: "string"; readonly field: StringKey }
  | { readonly key: string; readonly kind: "bool"; readonly field: BoolKey }
  | { readonly key: string; readonly kind: "int"; readonly field: NumberKey }
  | { readonly key: string; readonly kind: "list"; readonly field: ListKey }
  | { readonly key: string; readonly kind: "tags" }
  | { readonly key: string; readonly kind: "rawDuration"; readonly raw: RawDuration }
  | { readonly key: "-"; readonly kind: "duration"; readonly field: NumberKey };

/**
 * The fields of Go's `agent.Config` in declaration order with their mapstructure names. The
 * five parsed `time.Duration` fields are tagged `mapstructure:"-"`, which mapstructure does not
 * treat specially: a JSON key `"-"` fills all five (in nanoseconds). Kept for fidelity.
 */
const FIELDS: readonly FieldSpec[] = [
  { key: "node_name", kind: "string", field: "nodeName" },
  { key: "role", kind: "string", field: "role" },
  { key: "disable_coordinates", kind: "bool", field: "disableCoordinates" },
  { key: "tags", kind: "tags" },
  { key: "tags_file", kind: "string", field: "tagsFile" },
  { key: "bind", kind: "string", field: "bindAddr" },
  { key: "advertise", kind: "string", field: "advertiseAddr" },
  { key: "encrypt_key", kind: "string", field: "encryptKey" },
  { key: "keyring_file", kind: "string", field: "keyringFile" },
  { key: "log_level", kind: "string", field: "logLevel" },
  { key: "rpc_addr", kind: "string", field: "rpcAddr" },
  { key: "rpc_auth", kind: "string", field: "rpcAuthKey" },
  { key: "protocol", kind: "int", field: "protocol" },
  { key: "replay_on_join", kind: "bool", field: "replayOnJoin" },
  { key: "query_response_size_limit", kind: "int", field: "queryResponseSizeLimit" },
  { key: "query_size_limit", kind: "int", field: "querySizeLimit" },
  { key: "user_event_size_limit", kind: "int", field: "userEventSizeLimit" },
  { key: "start_join", kind: "list", field: "startJoin" },
  { key: "event_handlers", kind: "list", field: "eventHandlers" },
  { key: "profile", kind: "string", field: "profile" },
  { key: "snapshot_path", kind: "string", field: "snapshotPath" },
  { key: "leave_on_terminate", kind: "bool", field: "leaveOnTerm" },
  { key: "skip_leave_on_interrupt", kind: "bool", field: "skipLeaveOnInt" },
  { key: "discover", kind: "string", field: "discover" },
  { key: "interface", kind: "string", field: "interface" },
  { key: "reconnect_interval", kind: "rawDuration", raw: "reconnectInterval" },
  { key: "-", kind: "duration", field: "reconnectIntervalMs" },
  { key: "reconnect_timeout", kind: "rawDuration", raw: "reconnectTimeout" },
  { key: "-", kind: "duration", field: "reconnectTimeoutMs" },
  { key: "tombstone_timeout", kind: "rawDuration", raw: "tombstoneTimeout" },
  { key: "-", kind: "duration", field: "tombstoneTimeoutMs" },
  { key: "disable_name_resolution", kind: "bool", field: "disableNameResolution" },
  { key: "enable_syslog", kind: "bool", field: "enableSyslog" },
  { key: "syslog_facility", kind: "string", field: "syslogFacility" },
  { key: "retry_join", kind: "list", field: "retryJoin" },
  { key: "retry_max_attempts", kind: "int", field: "retryMaxAttempts" },
  { key: "retry_interval", kind: "rawDuration", raw: "retryInterval" },
  { key: "-", kind: "duration", field: "retryIntervalMs" },
  { key: "rejoin_after_leave", kind: "bool", field: "rejoinAfterLeave" },
  { key: "enable_compression", kind: "bool", field: "enableCompression" },
  { key: "statsite_addr", kind: "string", field: "statsiteAddr" },
  { key: "statsd_addr", kind: "string", field: "statsdAddr" },
  { key: "broadcast_timeout", kind: "rawDuration", raw: "broadcastTimeout" },
  { key: "-", kind: "duration", field: "broadcastTimeoutMs" },
];

/** The JSON keys a config file may use (Go's mapstructure tags, `-` excluded). */
export const CONFIG_KEYS: readonly string[] = FIELDS.filter((f) => f.key !== "-").map((f) => f.key);

/** Where each raw duration lands once parsed, in Go's parse order. */
const RAW_DURATION_FIELDS: ReadonlyArray<readonly [RawDuration, NumberKey]> = [
  ["reconnectInterval", "reconnectIntervalMs"],
  ["reconnectTimeout", "reconnectTimeoutMs"],
  ["tombstoneTimeout", "tombstoneTimeoutMs"],
  ["retryInterval", "retryIntervalMs"],
  ["broadcastTimeout", "broadcastTimeoutMs"],
];

/** Go `strings.EqualFold`, close enough: per code point, equal under lower or upper case. */
function equalFold(a: string, b: string): boolean {
  const ca = [...a];
  const cb = [...b];
  if (ca.length !== cb.length) return false;
  return ca.every((x, i) => {
    const y = cb[i] as string;
    return x === y || x.toLowerCase() === y.toLowerCase() || x.toUpperCase() === y.toUpperCase();
  });
}

function unconvertible(name: string, want: string, data: GoJsonValue): string {
  return `'${name}' expected type '${want}', got unconvertible type '${goTypeName(data)}', value: '${formatGoValue(data)}'`;
}

/** Go's `int64(f)` on amd64: truncation, and the "integer indefinite" value when out of range. */
function goInt64(f: number): number {
  if (!(f > -(2 ** 63) - 1 && f < 2 ** 63)) return -(2 ** 63);
  return Math.trunc(f);
}

/** Decodes a string element the way mapstructure fills a `string` (nil leaves `""`). */
function decodeStringElement(name: string, data: GoJsonValue, errors: string[]): string {
  if (data === null) return "";
  if (typeof data === "string") return data;
  errors.push(unconvertible(name, "string", data));
  return "";
}

function decodeFields(root: GoJsonObject, errors: string[]): AgentConfig {
  const config = emptyConfig();
  const raw: Partial<Record<RawDuration, string>> = {};
  const unused = new Set(root.keys());
  for (const spec of FIELDS) {
    let key: string | undefined = root.has(spec.key) ? spec.key : undefined;
    if (key === undefined) {
      for (const candidate of root.keys()) {
        if (equalFold(candidate, spec.key)) {
          key = candidate;
          break;
        }
      }
    }
    if (key === undefined) continue;
    unused.delete(key);
    const data = root.get(key) ?? null;
    if (data === null) continue;
    const name = spec.key;
    switch (spec.kind) {
      case "string":
        if (typeof data === "string") config[spec.field] = data;
        else errors.push(unconvertible(name, "string", data));
        break;
      case "rawDuration":
        if (typeof data === "string") raw[spec.raw] = data;
        else errors.push(unconvertible(name, "string", data));
        break;
      case "bool":
        if (typeof data === "boolean") config[spec.field] = data;
        else errors.push(unconvertible(name, "bool", data));
        break;
      case "int":
        if (typeof data === "number") config[spec.field] = goInt64(data);
        else errors.push(unconvertible(name, "int", data));
        break;
      case "duration":
        if (typeof data === "number") config[spec.field] = goInt64(data) / 1e6;
        else errors.push(unconvertible(name, "time.Duration", data));
        break;
      case "list":
        if (Array.isArray(data)) {
          config[spec.field] = data.map((item, i) =>
            decodeStringElement(`${name}[${i}]`, item, errors),
          );
        } else {
          errors.push(`'${name}': source data must be an array or slice, got ${goKindName(data)}`);
        }
        break;
      case "tags":
        if (data instanceof Map) {
          const tags = tagRecord();
          for (const [k, v] of data) {
            const before = errors.length;
            const value = decodeStringElement(`${name}[${k}]`, v, errors);
            if (errors.length === before) tags[k] = value;
          }
          config.tags = tags;
        } else {
          errors.push(`'${name}' expected a map, got '${goKindName(data)}'`);
        }
        break;
    }
  }
  if (unused.size > 0) {
    const keys = [...unused].sort(compareBytes);
    errors.push(`'' has invalid keys: ${keys.join(", ")}`);
  }
  if (errors.length > 0) return config;
  for (const [rawKey, field] of RAW_DURATION_FIELDS) {
    const text = raw[rawKey];
    if (text === undefined || text === "") continue;
    try {
      config[field] = parseGoDurationMs(text);
    } catch (err) {
      if (err instanceof GoDurationError) throw new ConfigDecodeError(err.message);
      throw err;
    }
  }
  return config;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Decodes one config file's bytes into a configuration layer (zero values for absent keys).
 * Throws `ConfigDecodeError` with Go's message.
 */
export function decodeConfig(input: Uint8Array): AgentConfig {
  let value: GoJsonValue;
  try {
    value = decodeGoJsonStream(input);
  } catch (err) {
    if (err instanceof GoJsonError) throw new ConfigDecodeError(err.message);
    throw err;
  }
  if (value === null) return emptyConfig();
  if (!(value instanceof Map)) {
    throw new ConfigDecodeError(`'' expected a map, got '${goKindName(value)}'`);
  }
  const errors: string[] = [];
  const config = decodeFields(value, errors);
  if (errors.length > 0) {
    const points = errors.map((e) => `* ${e}`).sort(compareBytes);
    throw new ConfigDecodeError(`${errors.length} error(s) decoding:\n\n${points.join("\n")}`);
  }
  return config;
}
