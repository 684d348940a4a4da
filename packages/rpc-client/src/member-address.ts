/**
 * `Member.address`: the member's `ip:port` as Go's `serf members` prints it (Go
 * `net.TCPAddr.String()`: IPv6 in brackets, IPv4-mapped IPv6 as a dotted quad), next to the raw
 * `addr` bytes of the RPC schema.
 */

import { formatTcpAddr } from "@serf-ts/wire";
import type { Member } from "@serf-ts/wire/rpc";

/** A member as `RpcClient.members()` returns it: the schema's record plus `address`. */
export interface RpcMember extends Member {
  /** `"10.0.0.1:7946"`, `"[fd00::1]:7946"`: `addr` and `port` formatted as Go's CLI does. */
  readonly address: string;
}

/** `ip:port` of a member record (also of the members inside `member-*` stream events). */
export function memberAddress(member: Pick<Member, "addr" | "port">): string {
  return formatTcpAddr(member.addr, member.port);
}

/** The record with its `address` added. */
export function withAddress(member: Member): RpcMember {
  return { ...member, address: memberAddress(member) };
}
