/**
 * Members, coordinates and RTTs as the HTTP API shows them: the RPC member plus its formatted
 * `address`, its status and the Vivaldi RTT from this agent; `?status=`, `?name=`,
 * `?tag.<key>=` filters (RE2, `^expr$`, ANDed; a missing tag matches as empty, as Go's
 * `members-filtered`).
 */

import { distanceSeconds } from "@serf-ts/serf";
import type { Coordinate } from "@serf-ts/wire";
import type { HttpCoordinate, HttpMember } from "@serf-ts/wire/http";
import type { Member, RpcCoordinate } from "@serf-ts/wire/rpc";
import { ipFromBytes } from "@serf-ts/memberlist";
import { compileFilterRegexp, type FilterRegexp } from "./filter-regexp.ts";

/** `ip:port`, IPv6 in brackets (Go `net.JoinHostPort`). */
export function formatMemberAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function memberIp(addr: Uint8Array): string {
  try {
    return ipFromBytes(addr);
  } catch {
    return "";
  }
}

/** Estimated RTT in ms between two coordinates, or `null` when they are not comparable. */
export function rttMs(a: RpcCoordinate | undefined, b: RpcCoordinate | undefined): number | null {
  if (a === undefined || b === undefined || a.vec === null || b.vec === null) return null;
  try {
    const seconds = distanceSeconds(a as Coordinate, b as Coordinate);
    return Number.isFinite(seconds) ? seconds * 1000 : null;
  } catch {
    return null;
  }
}

/** An RPC coordinate in the API's JSON. */
export function toHttpCoordinate(c: RpcCoordinate): HttpCoordinate {
  return { vec: c.vec ?? [], error: c.error, adjustment: c.adjustment, height: c.height };
}

/** An RPC member in the API's JSON. */
export function toHttpMember(m: Member, rtt: number | null): HttpMember {
  const addr = memberIp(m.addr);
  return {
    name: m.name,
    addr,
    port: m.port,
    address: formatMemberAddress(addr, m.port),
    tags: Object.fromEntries(m.tags),
    status: m.status,
    protocolMin: m.protocolMin,
    protocolMax: m.protocolMax,
    protocolCur: m.protocolCur,
    delegateMin: m.delegateMin,
    delegateMax: m.delegateMax,
    delegateCur: m.delegateCur,
    rttMs: rtt,
  };
}

/** Compiled `GET /v1/members` filters. */
export interface MemberFilters {
  readonly status?: FilterRegexp;
  readonly name?: FilterRegexp;
  readonly tags: ReadonlyArray<readonly [string, FilterRegexp]>;
}

/** Most `tag.<key>` filters in one request. */
export const MAX_TAG_FILTERS = 64;

/**
 * Compiles the filters of a query string; unknown parameters are ignored, an empty value is no
 * filter. @throws FilterRegexpError (or RangeError for too many tag filters)
 */
export function parseMemberFilters(params: URLSearchParams): MemberFilters {
  let status: FilterRegexp | undefined;
  let name: FilterRegexp | undefined;
  const tags: Array<readonly [string, FilterRegexp]> = [];
  for (const [key, value] of params) {
    if (value === "") continue;
    if (key === "status") status = compileFilterRegexp(value);
    else if (key === "name") name = compileFilterRegexp(value);
    else if (key.startsWith("tag.") && key.length > 4) {
      if (tags.length >= MAX_TAG_FILTERS)
        throw new RangeError(`more than ${MAX_TAG_FILTERS} tag filters`);
      tags.push([key.slice(4), compileFilterRegexp(value)]);
    }
  }
  return {
    ...(status === undefined ? {} : { status }),
    ...(name === undefined ? {} : { name }),
    tags,
  };
}

/** Whether a member passes every filter. */
export function memberMatches(m: HttpMember, f: MemberFilters): boolean {
  if (f.status !== undefined && !f.status.test(m.status)) return false;
  if (f.name !== undefined && !f.name.test(m.name)) return false;
  for (const [tag, re] of f.tags) {
    if (!re.test(m.tags[tag] ?? "")) return false;
  }
  return true;
}
