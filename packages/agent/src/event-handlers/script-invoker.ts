/**
 * Running one event handler script for one event (Go `invokeEventScript`):
 *
 * - `/bin/sh -c SCRIPT`, the agent's environment plus `SERF_EVENT`, `SERF_SELF_NAME`,
 *   `SERF_SELF_ROLE`, `SERF_TAG_<KEY>` per local tag, and `SERF_USER_EVENT`/`SERF_USER_LTIME` or
 *   `SERF_QUERY_NAME`/`SERF_QUERY_LTIME`;
 * - stdin: one `NAME\tIP\tROLE\tTAGS\n` line per member for member events, the payload (plus a
 *   newline if it lacks one) for user events and queries; then closed;
 * - stdout and stderr share one pipe (as in Go, so their interleaving is kept) and the last
 *   8192 bytes are captured;
 * - after 1 s: `Script 'X' slow, execution exceeding 1s` (once); at exit:
 *   `Event 'TYPE' script output: …` (debug);
 * - a query gets the captured output as its response if the script exited 0 and wrote
 *   anything; a failed response is logged `Failed to respond to query 'query: NAME': …`.
 *
 * Go has no timeout; `timeoutMs` adds one (SIGTERM, then SIGKILL after `killGraceMs`), and an
 * abort signal kills the script the same way. On POSIX the script runs in its own process group
 * so that these signals also reach what it started (Go leaves scripts in the agent's group). The
 * returned promise always settles: if the pipes stay open after the kill (something escaped the
 * group and holds them), they are closed from our side.
 */

import { utf8Decode } from "@serf-ts/wire";
import { goStringToBytes, hasRawBytes } from "@serf-ts/wire/codec";
import { spawn } from "node:child_process";
import { formatGoDurationMs } from "@serf-ts/wire/gocompat";
import { CircularBuffer } from "./circular-buffer.ts";
import {
  describeEvent,
  type HandlerEvent,
  type MemberEventInput,
  type SelfMember,
  tagEntries,
  tagValue,
} from "./events.ts";

/** Bytes of handler output kept (Go `maxBufSize`); a query response is taken from these. */
export const SCRIPT_OUTPUT_LIMIT_BYTES = 8192;
/** When a still-running handler is reported as slow (Go `warnSlow`). */
export const SLOW_SCRIPT_WARNING_MS = 1000;

/** What the invoker logs through; a component logger named `agent` fits. */
export interface HandlerLogger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Execution settings shared by all invocations. */
export interface ScriptInvokeOptions {
  /** Base environment. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Working directory. @default the agent's */
  readonly cwd?: string;
  /** Shell run as `SHELL -c SCRIPT`. @default "/bin/sh" */
  readonly shell?: string;
  /** Kill the script after this long; 0 = never, as in Go. @default 0 */
  readonly timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, and then before giving up on open pipes. @default 2000 */
  readonly killGraceMs?: number;
  /** Slow-script warning delay. @default 1000 */
  readonly slowWarningMs?: number;
  /** Aborting kills the script (SIGTERM, then SIGKILL). */
  readonly signal?: AbortSignal;
}

/** How an invocation ended. */
export interface ScriptResult {
  /** Exit status, or `null` if killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last `SCRIPT_OUTPUT_LIMIT_BYTES` bytes of stdout+stderr. */
  readonly output: Uint8Array;
  /** All bytes the script wrote. */
  readonly totalOutputBytes: number;
  /** Killed because `timeoutMs` passed. */
  readonly timedOut: boolean;
  /** Killed because the abort signal fired. */
  readonly aborted: boolean;
  /** Go's error text when the script failed (`exit status 2`, `signal: killed`, …). */
  readonly error?: string;
}

/** Go's names for signals (`syscall.Signal.String()` on Linux). */
const GO_SIGNAL_NAMES: Readonly<Record<string, string>> = {
  SIGHUP: "hangup",
  SIGINT: "interrupt",
  SIGQUIT: "quit",
  SIGILL: "illegal instruction",
  SIGTRAP: "trace/breakpoint trap",
  SIGABRT: "aborted",
  SIGBUS: "bus error",
  SIGFPE: "floating point exception",
  SIGKILL: "killed",
  SIGUSR1: "user defined signal 1",
  SIGSEGV: "segmentation fault",
  SIGUSR2: "user defined signal 2",
  SIGPIPE: "broken pipe",
  SIGALRM: "alarm clock",
  SIGTERM: "terminated",
};

/**
 * A tag name as an environment variable suffix: Go upper-cases it (`strings.ToUpper`) and
 * replaces every character outside `[A-Z0-9_]` by `_`, one `_` per character.
 */
export function sanitizeTagName(name: string): string {
  let out = "";
  for (const ch of name) {
    // Go's unicode.ToUpper maps exactly two non-ASCII letters into [A-Z]: ı and ſ.
    if (ch === "\u0131") out += "I";
    else if (ch === "\u017f") out += "S";
    else if (/^[a-z]$/.test(ch)) out += ch.toUpperCase();
    else out += /^[A-Z0-9_]$/.test(ch) ? ch : "_";
  }
  return out;
}

/** The environment a handler runs with (base environment first, serf variables win). */
export function scriptEnv(
  self: SelfMember,
  event: HandlerEvent,
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(base)) {
    const value = base[key];
    if (value !== undefined) env[key] = value;
  }
  env.SERF_EVENT = event.type;
  env.SERF_SELF_NAME = self.name;
  env.SERF_SELF_ROLE = tagValue(self.tags, "role");
  for (const [name, value] of tagEntries(self.tags)) {
    env[`SERF_TAG_${sanitizeTagName(name)}`] = value;
  }
  if (event.type === "user") {
    env.SERF_USER_EVENT = event.name;
    env.SERF_USER_LTIME = event.lTime.toString();
  } else if (event.type === "query") {
    env.SERF_QUERY_NAME = event.name;
    env.SERF_QUERY_LTIME = event.lTime.toString();
  }
  return env;
}

/** Go `eventClean`: TAB → `\t`, LF → `\n` (two characters each). */
export function eventClean(value: string): string {
  return value.replaceAll("\t", "\\t").replaceAll("\n", "\\n");
}

/** stdin of a member event: `NAME\tIP\tROLE\tk=v,k2=v2\n` per member. */
export function memberEventStdin(event: MemberEventInput): Uint8Array {
  let text = "";
  for (const member of event.members) {
    const tags = tagEntries(member.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    text += `${eventClean(member.name)}\t${member.addr}\t${eventClean(tagValue(member.tags, "role"))}\t${eventClean(tags)}\n`;
  }
  return goStringToBytes(text); // raw bytes of names and tags kept, as Go writes them
}

/** stdin of a user event or query: the payload, with `\n` appended when missing. */
export function payloadStdin(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload[payload.length - 1] === 0x0a) return payload;
  const out = new Uint8Array(payload.length + 1);
  out.set(payload);
  out[payload.length] = 0x0a;
  return out;
}

/** The bytes a handler receives on stdin for `event`. */
export function eventStdin(event: HandlerEvent): Uint8Array {
  return event.type === "user" || event.type === "query"
    ? payloadStdin(event.payload)
    : memberEventStdin(event);
}

/**
 * Moves the variables whose values hold raw (non-UTF-8) bytes out of `env` (Node would pass
 * them as UTF-8, U+FFFD for each raw byte) and returns shell code that sets them byte for
 * byte (printf octal escapes, ASCII only), so a handler sees `SERF_USER_EVENT` as Go passes it.
 */
export function rawEnvPrelude(env: Record<string, string>): string {
  let prelude = "";
  for (const [name, value] of Object.entries(env)) {
    if (!hasRawBytes(value) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    delete env[name];
    let escaped = "";
    for (const b of goStringToBytes(value)) {
      const c = String.fromCharCode(b);
      escaped += /[A-Za-z0-9]/.test(c) ? c : `\\${b.toString(8).padStart(3, "0")}`;
    }
    // The `x` keeps trailing newlines from being stripped by the command substitution.
    prelude += `${name}="$(printf '${escaped}x')"; ${name}="\${${name}%x}"; export ${name}; `;
  }
  return prelude;
}

function spawnArgs(shell: string, script: string, prelude: string): [string, string[]] {
  if (process.platform === "win32") return ["cmd", ["/C", script]];
  // The outer shell points stderr at stdout and execs the real `SHELL -c SCRIPT`, so both
  // streams share one pipe like Go's exec.Cmd with Stdout == Stderr ($0 stays SHELL).
  return [shell, ["-c", `${prelude}exec "$1" -c "$0" 2>&1`, script, shell]];
}

function errorText(err: unknown, shell: string): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ENOENT") return `fork/exec ${shell}: no such file or directory`;
  if (code === "EACCES") return `fork/exec ${shell}: permission denied`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `script` for `event` and returns how it ended; never rejects. Logs like Go (slow warning,
 * debug output, query response failures); the caller logs `Error invoking script` from
 * `result.error`.
 */
export function invokeEventScript(
  script: string,
  self: SelfMember,
  event: HandlerEvent,
  logger: HandlerLogger,
  options: ScriptInvokeOptions = {},
): Promise<ScriptResult> {
  const shell = options.shell ?? "/bin/sh";
  const killGraceMs = options.killGraceMs ?? 2000;
  const slowMs = options.slowWarningMs ?? SLOW_SCRIPT_WARNING_MS;
  const output = new CircularBuffer(SCRIPT_OUTPUT_LIMIT_BYTES);

  return new Promise<ScriptResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    let aborted = false;
    const timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      timers.push(t);
    };

    const slowTimer = setTimeout(() => {
      logger.warn(`Script '${script}' slow, execution exceeding ${formatGoDurationMs(slowMs)}`);
    }, slowMs);
    slowTimer.unref?.();

    const env = scriptEnv(self, event, options.env);
    const prelude = process.platform === "win32" ? "" : rawEnvPrelude(env);
    const [file, args] = spawnArgs(shell, script, prelude);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: process.platform !== "win32",
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      });
    } catch (err) {
      clearTimeout(slowTimer);
      resolve(finishResult(null, null, errorText(err, shell)));
      return;
    }

    function finishResult(
      exitCode: number | null,
      signal: NodeJS.Signals | null,
      error: string | undefined,
    ): ScriptResult {
      return {
        exitCode,
        signal,
        output: output.bytes(),
        totalOutputBytes: output.totalWritten,
        timedOut,
        aborted,
        ...(error !== undefined ? { error } : {}),
      };
    }

    const onData = (chunk: Buffer) => output.write(chunk);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.stdin?.on("error", () => {
      // EPIPE when the script exits without reading stdin: fine, as agent.md §10.4 says.
    });
    child.stdin?.end(eventStdin(event));

    const signalScript = (sig: NodeJS.Signals) => {
      const pid = child.pid;
      if (pid === undefined) return;
      try {
        if (process.platform === "win32") child.kill(sig);
        else process.kill(-pid, sig);
      } catch {
        // Already gone.
      }
    };
    const kill = () => {
      if (settled) return;
      signalScript("SIGTERM");
      later(killGraceMs, () => {
        if (settled) return;
        signalScript("SIGKILL");
        later(killGraceMs, () => {
          // The process is gone but something still holds its pipes: stop waiting for them.
          child.stdout?.destroy();
          child.stderr?.destroy();
          if (child.exitCode !== null) finish(child.exitCode, null);
          else finish(null, child.signalCode ?? "SIGKILL");
        });
      });
    };

    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (options.signal !== undefined) {
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener("abort", onAbort, { once: true });
    }
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      const timeoutMs = options.timeoutMs;
      later(timeoutMs, () => {
        if (settled) return;
        timedOut = true;
        logger.error(
          `Script '${script}' timed out after ${formatGoDurationMs(timeoutMs)}, killing it`,
        );
        kill();
      });
    }

    const cleanup = () => {
      clearTimeout(slowTimer);
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener("abort", onAbort);
    };

    let spawnError: string | undefined;
    child.on("error", (err) => {
      // Only a failed spawn is fatal; a failed kill() of an exiting process is not.
      if (child.pid !== undefined) return;
      spawnError ??= errorText(err, shell);
      finish(null, null);
    });

    function finish(code: number | null, signal: NodeJS.Signals | null): void {
      if (settled) return;
      settled = true;
      cleanup();
      let error = spawnError;
      if (error === undefined && signal !== null) {
        error = `signal: ${GO_SIGNAL_NAMES[signal] ?? signal}`;
      } else if (error === undefined && code !== null && code !== 0) {
        error = `exit status ${code}`;
      }
      const result = finishResult(code, signal, error);
      logger.debug(`Event '${event.type}' script output: ${utf8Decode(result.output)}`);
      if (error === undefined && event.type === "query" && result.totalOutputBytes > 0) {
        respond(event, result.output, logger).then(() => resolve(result));
        return;
      }
      resolve(result);
    }

    child.on("close", (code, signal) => finish(code, signal));
  });
}

async function respond(
  event: HandlerEvent & { type: "query" },
  response: Uint8Array,
  logger: HandlerLogger,
): Promise<void> {
  try {
    await event.respond(response);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    logger.warn(`Failed to respond to query '${describeEvent(event)}': ${detail}`);
  }
}
