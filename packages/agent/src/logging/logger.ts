/**
 * The agent logger, producing serf's console format:
 *
 *     ····2026/11/24 20:00:00 [INFO] agent: Serf agent starting
 *
 * Each message becomes one Go-`log` line (local time `YYYY/MM/DD HH:MM:SS `, then
 * `[LEVEL] component: text`) and goes to three places, as in Go's `setupLoggers`:
 *
 * 1. the console, through the level filter, with serf's 4-space info prefix on the first line
 *    only; optionally held back (gated) until `openGate()` — Go prints nothing before the
 *    `Log data will now stream in as it occurs:` banner and flushes afterwards;
 * 2. the ring buffer for `serf monitor` (every level, no prefix);
 * 3. an optional syslog sink (lines passing the level, not gated).
 *
 * The console stream is injected; Go serf writes these lines to **stdout**, so the CLI should
 * pass `process.stdout` (the default here is `process.stderr`).
 */

import { checkLogLevel, type LogLevel, passesLevel } from "./log-level.ts";
import { LogRing } from "./log-ring.ts";
import { type SyslogSink, toSyslog } from "./syslog.ts";

/** Where console lines go (a Node writable stream or anything with `write`). */
export interface LogOutput {
  write(chunk: string): unknown;
}

/** Logs one message with optional structured fields (appended as ` key=value`). */
export type LogFn = (message: string, fields?: Readonly<Record<string, unknown>>) => void;

/**
 * A logger bound to a component name (`agent`, `agent.ipc`, `serf`, `memberlist`). Structurally
 * compatible with the `Logger` interface of `@serf-ts/memberlist` and `@serf-ts/serf`.
 */
export interface ComponentLogger {
  readonly component: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger for `component.name`. */
  child(name: string): ComponentLogger;
}

/** Options of `Logger`. */
export interface LoggerOptions {
  /** Console stream. @default process.stderr */
  readonly output?: LogOutput;
  /** Console (and syslog) level. @default "INFO" */
  readonly level?: LogLevel;
  /** The ring for `monitor`, or its capacity. @default 512 */
  readonly ring?: LogRing | number;
  /** Hold console output until `openGate()`. @default false */
  readonly gated?: boolean;
  /** Clock for timestamps. @default () => new Date() */
  readonly now?: () => Date;
  /** Also send lines passing the level to syslog. */
  readonly syslog?: SyslogSink;
  /** Console prefix of each line. @default "    " (serf's info prefix) */
  readonly prefix?: string;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Go `log.LstdFlags` timestamp (local time) followed by a space. */
export function formatLogTimestamp(date: Date): string {
  const y = String(date.getFullYear()).padStart(4, "0");
  const d = `${y}/${pad2(date.getMonth() + 1)}/${pad2(date.getDate())}`;
  const t = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${d} ${t} `;
}

function formatFieldValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `message key=value key2=value2`. */
export function formatFields(
  message: string,
  fields: Readonly<Record<string, unknown>> | undefined,
): string {
  if (fields === undefined) return message;
  let out = message;
  for (const key of Object.keys(fields)) out += ` ${key}=${formatFieldValue(fields[key])}`;
  return out;
}

/** The agent's logger: formatting, level filter, console gate, `monitor` ring, syslog. */
export class Logger {
  /** The ring that `serf monitor` streams from. */
  readonly ring: LogRing;
  private readonly output: LogOutput;
  private readonly now: () => Date;
  private readonly syslog: SyslogSink | undefined;
  private readonly prefix: string;
  private minLevel: LogLevel;
  private held: string[] | undefined;

  constructor(options: LoggerOptions = {}) {
    this.output = options.output ?? process.stderr;
    this.minLevel = options.level ?? "INFO";
    this.ring = options.ring instanceof LogRing ? options.ring : new LogRing(options.ring ?? 512);
    this.now = options.now ?? (() => new Date());
    this.syslog = options.syslog;
    this.prefix = options.prefix ?? "    ";
    this.held = options.gated === true ? [] : undefined;
  }

  /** The current console level. */
  get level(): LogLevel {
    return this.minLevel;
  }

  /**
   * Changes the console level (SIGHUP reload). Strings are checked like the config
   * (`ConfigError` `Invalid log level: …`); the old level stays on error.
   */
  setLevel(level: LogLevel | string): void {
    this.minLevel = checkLogLevel(level);
  }

  /** True while console output is held back. */
  get gated(): boolean {
    return this.held !== undefined;
  }

  /** Releases held console lines (in order) and writes directly from now on. */
  openGate(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const chunk of held) this.output.write(chunk);
  }

  /**
   * Logs a pre-formatted message the way Go's `log.Printf` does: `message` normally starts with
   * `[LEVEL] component: `; the timestamp is added, and a newline if missing.
   */
  print(message: string): void {
    let line = formatLogTimestamp(this.now()) + message;
    if (!line.endsWith("\n")) line += "\n";
    this.ring.write(line);
    if (!passesLevel(line, this.minLevel)) return;
    if (this.syslog !== undefined) {
      const { priority, message: text } = toSyslog(line);
      try {
        this.syslog.write(priority, text);
      } catch {
        // Syslog trouble must not stop the agent.
      }
    }
    const chunk = `${this.prefix}${line}`;
    if (this.held !== undefined) this.held.push(chunk);
    else this.output.write(chunk);
  }

  /** Logs `[LEVEL] component: message` (plus ` key=value` fields). */
  log(
    level: LogLevel,
    component: string,
    message: string,
    fields?: Readonly<Record<string, unknown>>,
  ): void {
    const text = formatFields(message, fields);
    this.print(component === "" ? `[${level}] ${text}` : `[${level}] ${component}: ${text}`);
  }

  /** A logger for one component (`agent`, `serf`, `memberlist`, …). */
  child(component: string): ComponentLogger {
    const make = (name: string): ComponentLogger => {
      const at =
        (level: LogLevel): LogFn =>
        (message, fields) =>
          this.log(level, name, message, fields);
      return {
        component: name,
        trace: at("TRACE"),
        debug: at("DEBUG"),
        info: at("INFO"),
        warn: at("WARN"),
        error: at("ERR"),
        child: (sub) => make(name === "" ? sub : `${name}.${sub}`),
      };
    };
    return make(component);
  }

  /** Streams log lines (after replaying the ring) until the returned function is called. */
  subscribe(handler: (line: string) => void): () => void {
    return this.ring.subscribe(handler);
  }
}
