/**
 * memberlist 0.2.2's log lines as structured records. The core emits them as `log` events
 * (it does no I/O); a driver hands them to its logger. `message` is Go's text after the
 * `[LEVEL] memberlist: ` prefix, word for word, so an agent printing
 * `[${level}] memberlist: ${message}` reads like Go's (state.go and net.go of v0.2.2).
 */

import { formatIp } from "@serf-ts/wire";

/** Go's level tags as memberlist writes them. */
export type MemberlistLogLevel = "DEBUG" | "INFO" | "WARN" | "ERR";

/** One log line of memberlist. */
export interface MemberlistLogRecord {
  readonly type: "log";
  readonly level: MemberlistLogLevel;
  /** Go's wording, without the `[LEVEL] memberlist: ` prefix. */
  readonly message: string;
}

function record(level: MemberlistLogLevel, message: string): MemberlistLogRecord {
  return { type: "log", level, message };
}

/** Go prints a `[]byte` with `%v` as `[1 2 3]`. */
function goBytes(bytes: Uint8Array | null | undefined): string {
  return `[${Array.from(bytes ?? []).join(" ")}]`;
}

/** The direct UDP ping got no ack within ProbeTimeout. */
export const failedPingLog = (node: string): MemberlistLogRecord =>
  record("DEBUG", `Failed ping: ${node} (timeout reached)`);

/** The TCP fallback ping connected but then failed (dial errors are not logged, as in Go). */
export const failedFallbackPingLog = (error: string): MemberlistLogRecord =>
  record("ERR", `Failed fallback ping: ${error}`);

/** Only the TCP fallback ping reached the node. */
export const fallbackOnlyLog = (node: string): MemberlistLogRecord =>
  record(
    "WARN",
    `Was able to connect to ${node} but other probes failed, network may be misconfigured`,
  );

/** A probe failed: the node becomes suspect. */
export const suspectFailedLog = (node: string): MemberlistLogRecord =>
  record("INFO", `Suspect ${node} has failed, no acks received`);

/** A suspicion timed out: the node is declared dead. */
export const markingFailedLog = (node: string, confirmations: number): MemberlistLogRecord =>
  record(
    "INFO",
    `Marking ${node} as failed, suspect timeout reached (${confirmations} peer confirmations)`,
  );

/** Someone suspects the local node. */
export const refuteSuspectLog = (from: string): MemberlistLogRecord =>
  record("WARN", `Refuting a suspect message (from: ${from})`);

/** Someone declared the local node dead. */
export const refuteDeadLog = (from: string): MemberlistLogRecord =>
  record("WARN", `Refuting a dead message (from: ${from})`);

/** An alive message about the local node disagrees with it. */
export function refuteAliveLog(
  node: string,
  addr: Uint8Array,
  port: number,
  theirMeta: Uint8Array | null | undefined,
  myMeta: Uint8Array,
  theirVsn: Uint8Array | null | undefined,
  myVsn: Uint8Array,
): MemberlistLogRecord {
  return record(
    "WARN",
    `Refuting an alive message for '${node}' (${formatIp(addr)}:${port}) meta:(${goBytes(theirMeta)} VS ${goBytes(myMeta)}), vsn:(${goBytes(theirVsn)} VS ${goBytes(myVsn)})`,
  );
}

/** An alive message claims a known name from another address. */
export function conflictingAddressLog(
  node: string,
  mine: { addr: Uint8Array; port: number; state: number },
  theirs: { addr: Uint8Array; port: number },
): MemberlistLogRecord {
  return record(
    "ERR",
    `Conflicting address for ${node}. Mine: ${formatIp(mine.addr)}:${mine.port} Theirs: ${formatIp(theirs.addr)}:${theirs.port} Old state: ${mine.state}`,
  );
}

/** A left (or long dead) node came back from another address. */
export function updatingAddressLog(
  node: string,
  from: { addr: Uint8Array; port: number },
  to: { addr: Uint8Array; port: number },
): MemberlistLogRecord {
  return record(
    "INFO",
    `Updating address for left or failed node ${node} from ${formatIp(from.addr)}:${from.port} to ${formatIp(to.addr)}:${to.port}`,
  );
}

/** An alive message with impossible protocol versions. */
export function badVersionsAliveLog(
  node: string,
  addr: Uint8Array,
  port: number,
  vsn: { pMin: number; pCur: number; pMax: number },
): MemberlistLogRecord {
  return record(
    "WARN",
    `Ignoring an alive message for '${node}' (${formatIp(addr)}:${port}) because protocol version(s) are wrong: ${vsn.pMin} <= ${vsn.pCur} <= ${vsn.pMax} should be >0`,
  );
}

/** An alive message without versions while an alive delegate is set. */
export const noVsnAliveLog = (node: string, addr: Uint8Array, port: number): MemberlistLogRecord =>
  record(
    "WARN",
    `ignoring alive message for '${node}' (${formatIp(addr)}:${port}) because Vsn is not present`,
  );

/** The alive delegate refused a node. */
export const refusedAliveLog = (node: string, reason: string): MemberlistLogRecord =>
  record("WARN", `ignoring alive message for '${node}': ${reason}`);

/** A periodic push/pull failed. */
export const pushPullFailedLog = (node: string, error: string): MemberlistLogRecord =>
  record("ERR", `Push/Pull with ${node} failed: ${error}`);

/** A UDP ping named another node. */
export const unexpectedPingLog = (node: string, from: string): MemberlistLogRecord =>
  record("WARN", `Got ping for unexpected node '${node}' from=${from}`);

/** A TCP ping named another node (Go's stream variant has no quotes). */
export const unexpectedStreamPingLog = (node: string, from: string): MemberlistLogRecord =>
  record("WARN", `Got ping for unexpected node ${node} from=${from}`);
