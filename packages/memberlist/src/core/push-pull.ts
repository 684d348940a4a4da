/**
 * Anti-entropy state exchange (memberlist.md §8.2, §9.7, §10.2): building the local state,
 * `verifyProtocol`, and the merge order of Go `mergeRemoteState` (verify → merge delegate on
 * joins → node states → delegate user state). Scheduling (`pushPullScaleMs`, stagger) lives in
 * the machine.
 */

import { NodeStateCode, type PushNodeState, type PushPullMessage } from "@serf-ts/wire";
import { formatAddress } from "./address.ts";
import type { CoreContext } from "./context.ts";
import { type MemberTable, normalizeVsn } from "./members.ts";
import type { NodeInfo } from "./types.ts";

const EMPTY = new Uint8Array(0);

/** The version fields verifyProtocol looks at. */
interface Versions {
  readonly state: number;
  readonly vsn: Uint8Array;
}

/**
 * Go `verifyProtocol`: over all alive nodes (remote ones with a Vsn, and local ones) take the
 * highest minimum and lowest maximum of the memberlist and delegate protocols, then require
 * every node (remote and local, any state) to speak versions inside both ranges.
 * @returns an error message, or `undefined` when compatible.
 */
export function verifyProtocol(
  remote: readonly (PushNodeState | (Versions & { name: string }))[],
  local: readonly (Versions & { name: string })[],
): string | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  const widen = (vsn: Uint8Array): void => {
    const v = normalizeVsn(vsn);
    maxPMin = Math.max(maxPMin, v[0] as number);
    minPMax = Math.min(minPMax, v[1] as number);
    maxDMin = Math.max(maxDMin, v[3] as number);
    minDMax = Math.min(minDMax, v[4] as number);
  };
  for (const r of remote) {
    if (r.state !== NodeStateCode.ALIVE) continue;
    // A node without versions is skipped here (it will fail the check below).
    if (r.vsn === null || r.vsn.length === 0) continue;
    widen(r.vsn);
  }
  for (const n of local) {
    if (n.state !== NodeStateCode.ALIVE) continue;
    widen(n.vsn);
  }
  const check = (name: string, vsn: Uint8Array | null): string | undefined => {
    const v = vsn === null || vsn.length === 0 ? undefined : normalizeVsn(vsn);
    const pCur = v === undefined ? 0 : (v[2] as number);
    const dCur = v === undefined ? 0 : (v[5] as number);
    if (pCur < maxPMin || pCur > minPMax) {
      return `Node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`;
    }
    if (dCur < maxDMin || dCur > minDMax) {
      return `Node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`;
    }
    return undefined;
  };
  for (const r of remote) {
    const err = check(r.name, r.vsn);
    if (err !== undefined) return err;
  }
  for (const n of local) {
    const err = check(n.name, n.vsn);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** Our side of an exchange: every entry of the table plus the delegate's state. */
export function localPushPull(
  ctx: CoreContext,
  table: MemberTable,
  join: boolean,
): PushPullMessage {
  const userState = ctx.delegates.localState?.(join) ?? EMPTY;
  return { type: "push-pull", join, nodes: table.pushStates(), userState };
}

function pushStateInfo(s: PushNodeState): NodeInfo {
  return {
    name: s.name,
    addr: s.addr,
    port: s.port,
    address: formatAddress(s.addr, s.port),
    meta: s.meta ?? EMPTY,
    state: s.state,
    incarnation: s.incarnation,
    vsn: normalizeVsn(s.vsn),
    stateChangeMs: 0,
  };
}

/**
 * Go `mergeRemoteState`: verify versions (reject everything on mismatch), consult the merge
 * delegate for joins, merge node states, then hand non-empty user state to the delegate.
 * @param join the initiator's Join flag (the responder uses the request's flag).
 * @returns an error message when the remote state was rejected.
 */
export function mergeRemoteState(
  ctx: CoreContext,
  table: MemberTable,
  remote: PushPullMessage,
  join: boolean,
): string | undefined {
  const err = verifyProtocol(remote.nodes, table.nodes);
  if (err !== undefined) {
    ctx.emit({ type: "rejected", kind: "merge", node: undefined, reason: err });
    return err;
  }
  const admit = ctx.delegates.notifyMerge;
  if (join && admit !== undefined) {
    const reason = admit.call(ctx.delegates, remote.nodes.map(pushStateInfo));
    if (reason !== undefined) {
      ctx.emit({ type: "rejected", kind: "merge", node: undefined, reason });
      return reason;
    }
  }
  table.mergeState(remote.nodes);
  const user = remote.userState;
  if (user !== null && user.length > 0) ctx.delegates.mergeRemoteState?.(user, join);
  return undefined;
}
