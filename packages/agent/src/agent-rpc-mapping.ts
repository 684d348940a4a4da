/** Serf's values in the RPC schema and in Go's log formats (members, key results, query responses). */

import { ipFromBytes } from "@serf-ts/memberlist";
import type { KeyOperationResult, Member as SerfMember } from "@serf-ts/serf";
import type { Member as RpcMember, RpcCoordinate } from "@serf-ts/wire/rpc";
import type { AgentKeyResult, AgentQueryResponse } from "./rpc/agent-backend.ts";

/** A serf member in the RPC schema. */
export function toRpcMember(m: SerfMember): RpcMember {
  return {
    name: m.name,
    addr: m.addr,
    port: m.port,
    tags: new Map(Object.entries(m.tags)),
    status: m.status,
    protocolMin: m.protocolMin,
    protocolMax: m.protocolMax,
    protocolCur: m.protocolCur,
    delegateMin: m.delegateMin,
    delegateMax: m.delegateMax,
    delegateCur: m.delegateCur,
  };
}

export function toKeyResult(r: KeyOperationResult): AgentKeyResult {
  return {
    keys: r.keys,
    messages: r.messages,
    numErr: r.numErr,
    numNodes: r.numNodes,
    numResp: r.numResp,
    error: r.error,
  };
}

export async function* mapResponses(
  responses: AsyncIterable<{ readonly from: string; readonly payload: Uint8Array }>,
): AsyncIterable<AgentQueryResponse> {
  for await (const r of responses) yield { from: r.from, payload: r.payload };
}

/** Go's `%s` of a member's IP. */
export function memberIp(m: SerfMember): string {
  try {
    return ipFromBytes(m.addr);
  } catch {
    return "<nil>";
  }
}

/** A serf coordinate in the RPC schema. */
export function toRpcCoordinate(c: {
  readonly vec: readonly number[];
  readonly error: number;
  readonly adjustment: number;
  readonly height: number;
}): RpcCoordinate {
  return { vec: [...c.vec], error: c.error, adjustment: c.adjustment, height: c.height };
}
