/**
 * `-syslog` delivery, as Go serf does it with hashicorp/go-syslog (a copy of Go's log/syslog):
 *
 * - at start, dial the local sockets `/dev/log`, `/var/run/syslog`, `/var/run/log` as a Unix
 *   datagram socket, then the same paths as a stream socket; none answers: the agent stops with
 *   `Syslog setup failed: Unix syslog delivery error`;
 * - facility `syslog_facility` (default LOCAL0; `invalid syslog facility: X` otherwise), tag
 *   `serf`, Go's local framing `<PRI>Jan _2 15:04:05 serf[PID]: MSG\n` (no host name);
 * - one connection for the agent's life; a failed write reconnects once and retries.
 *
 * Node has no Unix datagram sockets (`dgram` is UDP only, `net` stream only) and we take no
 * native addon, so one helper process per agent holds the socket: `perl` (perl-base is
 * Essential on Debian) running the short script below. The agent formats each datagram
 * itself and hands it over a pipe, length-prefixed; the helper only dials and sends.
 */

import { type ChildProcess, spawn } from "node:child_process";
import type { SyslogPriority, SyslogSink } from "./logging/syslog.ts";

/** The sockets go-syslog tries, in order. */
export const SYSLOG_SOCKETS = ["/dev/log", "/var/run/syslog", "/var/run/log"] as const;

/** Facility codes (log/syslog), by go-syslog's names. */
const FACILITIES: Readonly<Record<string, number>> = {
  KERN: 0,
  USER: 1,
  MAIL: 2,
  DAEMON: 3,
  AUTH: 4,
  SYSLOG: 5,
  LPR: 6,
  NEWS: 7,
  UUCP: 8,
  CRON: 9,
  AUTHPRIV: 10,
  FTP: 11,
  LOCAL0: 16,
  LOCAL1: 17,
  LOCAL2: 18,
  LOCAL3: 19,
  LOCAL4: 20,
  LOCAL5: 21,
  LOCAL6: 22,
  LOCAL7: 23,
};

const SEVERITIES: Readonly<Record<SyslogPriority, number>> = {
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/**
 * The helper: dials like go-syslog's `unixSyslog` (unixgram on every path, then unix), prints
 * `ok <type> <path>` or `failed`, then sends every length-prefixed frame from stdin as one
 * write; on a failed write it redials once and retries (go-syslog `writeAndRetry`).
 */
const HELPER = String.raw`
use strict; use Socket;
my @paths = @ARGV; my $s;
sub dial {
  for my $type (SOCK_DGRAM, SOCK_STREAM) {
    for my $p (@paths) {
      socket(my $c, PF_UNIX, $type, 0) or next;
      if (connect($c, sockaddr_un($p))) { $s = $c; return ($type == SOCK_DGRAM ? "unixgram" : "unix") . " $p"; }
      close($c);
    }
  }
  return undef;
}
$| = 1;
my $ok = dial();
if (!defined $ok) { print "failed\n"; exit 1; }
print "ok $ok\n";
binmode STDIN; $SIG{PIPE} = 'IGNORE';
while (read(STDIN, my $h, 4) == 4) {
  my $n = unpack("N", $h); my $m = ""; my $got = 0;
  while ($got < $n) { my $r = read(STDIN, $m, $n - $got, $got); last if !$r; $got += $r; }
  last if $got < $n;
  if (!defined(send($s, $m, 0))) { close($s); if (defined dial()) { send($s, $m, 0); } }
}
`;

/** Options of {@link openSyslogSink} (tests point it at their own sockets). */
export interface SyslogSinkOptions {
  /** Socket paths, tried in order. @default SYSLOG_SOCKETS */
  readonly socketPaths?: readonly string[];
  /** The perl interpreter. @default "perl" */
  readonly perl?: string;
  /** PID in the tag. @default process.pid */
  readonly pid?: number;
  /** Clock for the timestamps. @default () => new Date() */
  readonly now?: () => Date;
  /** Longest wait for the helper's dial. @default 10000 */
  readonly setupTimeoutMs?: number;
}

/** A syslog sink holding one connection; `close` ends it. */
export interface SyslogConnection extends SyslogSink {
  /** `unixgram /dev/log` or `unix /path`: what the helper connected to. */
  readonly connectedTo: string;
  /** The helper's PID. */
  readonly helperPid: number;
  close(): void;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Go `time.Stamp` (`Jan _2 15:04:05`), local time. */
export function syslogTimestamp(d: Date): string {
  const day = d.getDate();
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${time}`;
}

/** Go's local syslog datagram: `<PRI>TIMESTAMP TAG[PID]: MSG` ending in one newline. */
export function formatSyslogDatagram(
  facilityCode: number,
  priority: SyslogPriority,
  message: string,
  pid: number,
  now: Date,
): string {
  const pri = facilityCode * 8 + SEVERITIES[priority];
  const nl = message.endsWith("\n") ? "" : "\n";
  return `<${pri}>${syslogTimestamp(now)} serf[${pid}]: ${message}${nl}`;
}

/** The facility's code; throws go-syslog's `invalid syslog facility: X`. */
export function syslogFacilityCode(facility: string): number {
  const upper = facility.toUpperCase();
  const code = FACILITIES[upper];
  if (code === undefined) throw new Error(`invalid syslog facility: ${upper}`);
  return code;
}

/**
 * Connects to the local syslog daemon as Go serf does. Rejects with go-syslog's messages
 * (`invalid syslog facility: X`, `Unix syslog delivery error`).
 */
export async function openSyslogSink(
  facility: string,
  options: SyslogSinkOptions = {},
): Promise<SyslogConnection> {
  const code = syslogFacilityCode(facility);
  const paths = options.socketPaths ?? SYSLOG_SOCKETS;
  const pid = options.pid ?? process.pid;
  const now = options.now ?? (() => new Date());
  const child = spawn(options.perl ?? "perl", ["-e", HELPER, "--", ...paths], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  const connectedTo = await helperReady(child, options.setupTimeoutMs ?? 10_000);
  // The helper must not keep the agent alive; it exits when our end of the pipe closes.
  child.unref();
  const stdin = child.stdin as NonNullable<ChildProcess["stdin"]> & { unref?: () => void };
  stdin.unref?.();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  stdin.on("error", () => {
    // The helper died: lines are lost, as Go loses them when the socket write fails twice.
  });
  let open = true;
  child.once("exit", () => {
    open = false;
  });
  return {
    connectedTo,
    helperPid: child.pid as number,
    write(priority, message) {
      if (!open) return;
      const frame = Buffer.from(formatSyslogDatagram(code, priority, message, pid, now()));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(frame.length);
      stdin.write(Buffer.concat([header, frame]));
    },
    close() {
      if (!open) return;
      open = false;
      stdin.end();
    },
  };
}

/** Waits for the helper's first line: `ok …` resolves, anything else rejects. */
function helperReady(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const finish = (err: Error | undefined, value?: string): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("error", onError);
      child.off("exit", onExit);
      if (err === undefined) resolve(value as string);
      else {
        if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      out += chunk.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      const line = out.slice(0, nl);
      if (line.startsWith("ok ")) finish(undefined, line.slice(3));
      else finish(new Error("Unix syslog delivery error"));
    };
    const onError = (err: Error): void => {
      finish(new Error(`Unix syslog delivery error (cannot run perl: ${err.message})`));
    };
    const onExit = (): void => finish(new Error("Unix syslog delivery error"));
    const timer = setTimeout(
      () => finish(new Error("Unix syslog delivery error (timed out)")),
      timeoutMs,
    );
    child.stdout?.on("data", onData);
    child.once("error", onError);
    child.once("exit", onExit);
  });
}
