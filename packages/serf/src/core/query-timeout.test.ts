import { describe, expect, it } from "vitest";
import { MemberStatus } from "@serf-ts/wire";
import { defaultQueryTimeoutMs, kRandomMembers, selectRelayTargets } from "./query-timeout.ts";
import { type Random, seededRandom } from "./random.ts";

describe("defaultQueryTimeoutMs (§7.1)", () => {
  it("is GossipInterval × 16 × ceil(log10(n + 1))", () => {
    // LAN gossip interval 200 ms: 1–9 live nodes → 3.2 s, as captured on the wire.
    for (let n = 1; n <= 9; n++) expect(defaultQueryTimeoutMs(200, n)).toBe(3200);
    for (const n of [10, 50, 99]) expect(defaultQueryTimeoutMs(200, n)).toBe(6400);
    expect(defaultQueryTimeoutMs(200, 100)).toBe(9600);
    expect(defaultQueryTimeoutMs(200, 999)).toBe(9600);
    expect(defaultQueryTimeoutMs(200, 1000)).toBe(12800);
    // WAN gossip interval 500 ms, custom multiplier.
    expect(defaultQueryTimeoutMs(500, 3)).toBe(8000);
    expect(defaultQueryTimeoutMs(200, 3, 4)).toBe(800);
    expect(defaultQueryTimeoutMs(200, 0)).toBe(0);
    expect(() => defaultQueryTimeoutMs(200, -1)).toThrow(RangeError);
  });
});

interface Node {
  readonly name: string;
  readonly status: MemberStatus;
  readonly protocolMax: number;
}
const node = (name: string, status: MemberStatus = MemberStatus.ALIVE, protocolMax = 5): Node => ({
  name,
  status,
  protocolMax,
});

/** A Random returning the given floats in a cycle. */
function scripted(...floats: number[]): Random {
  let i = 0;
  return {
    nextFloat: () => floats[i++ % floats.length] as number,
    nextUint32: () => 0,
  };
}

describe("relay target selection (§7.5)", () => {
  const members = [node("self"), node("a"), node("b"), node("old", MemberStatus.ALIVE, 4)];

  it("picks alive, non-local members with PMax ≥ 5, distinct", () => {
    const picked = selectRelayTargets(
      [...members, node("gone", MemberStatus.FAILED), node("bye", MemberStatus.LEFT)],
      2,
      "self",
      seededRandom(42),
    );
    expect(picked).toHaveLength(2);
    expect(picked.map((m) => m.name).sort()).toEqual(["a", "b"]);
  });

  it("returns none without a relay factor or with too few members", () => {
    expect(selectRelayTargets(members, 0, "self", seededRandom(1))).toEqual([]);
    expect(selectRelayTargets(members.slice(0, 2), 2, "self", seededRandom(1))).toEqual([]);
  });

  it("gives up after 3n draws (Go kRandomMembers)", () => {
    // Always draws index 0 ("self"), which is excluded: nothing after 3n attempts.
    expect(selectRelayTargets(members, 1, "self", scripted(0))).toEqual([]);
    // Index order from the scripted floats: 0.3 → 1 ("a"), 0.3 again (dup), 0.6 → 2 ("b").
    expect(kRandomMembers(2, members, scripted(0.3, 0.3, 0.6)).map((m) => m.name)).toEqual([
      "a",
      "b",
    ]);
    expect(kRandomMembers(3, [], seededRandom(1))).toEqual([]);
  });
});
