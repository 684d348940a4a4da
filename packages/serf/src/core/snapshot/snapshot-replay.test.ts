import { loadVector } from "@serf-ts/wire/testing";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../random.ts";
import { parseSnapshot } from "./snapshot-format.ts";
import { rejoinCandidates, replaySnapshot, restoredClocks } from "./snapshot-replay.ts";

function vectorText(): string {
  const v = loadVector("snapshot-agent-a").data as unknown as { lines: string[] };
  return v.lines.map((l) => `${l}\n`).join("");
}

const replay = (text: string, rejoinAfterLeave = false) =>
  replaySnapshot(parseSnapshot(text).records, { rejoinAfterLeave });

describe("snapshot replay (§13)", () => {
  it("the Go vector: the agent left, so nothing to rejoin and clocks reset, then clock 26", () => {
    const s = replay(vectorText());
    expect(s.aliveNodes.size).toBe(0);
    expect(s.lastClock).toBe(26); // the clock line after `leave` still applies
    expect(s.lastEventClock).toBe(0);
    expect(s.lastQueryClock).toBe(0);
    expect(s.leaveSeen).toBe(true);
    expect(s.left).toBe(true);
    expect(s.warnings).toEqual([]);
    expect(restoredClocks(s)).toEqual({
      memberClock: 26,
      eventClock: 0,
      queryClock: 0,
      eventMinTime: 1,
      queryMinTime: 1,
    });
  });

  it("the Go vector with -rejoin: the leave is ignored", () => {
    const s = replay(vectorText(), true);
    expect([...s.aliveNodes]).toEqual([["node-a", "127.0.0.1:7946"]]);
    expect(s.lastClock).toBe(26);
    expect(s.lastEventClock).toBe(3);
    expect(s.lastQueryClock).toBe(5);
    expect(s.leaveSeen).toBe(true);
    expect(s.left).toBe(false);
    expect(restoredClocks(s).eventMinTime).toBe(4);
    expect(restoredClocks(s).queryMinTime).toBe(6);
  });

  it("applies lines in order: alive replaces, not-alive removes, last clock wins", () => {
    const s = replay(
      [
        "alive: a 10.0.0.1:7946",
        "alive: b 10.0.0.2:7946",
        "clock: 9",
        "alive: a 10.0.0.3:7946",
        "not-alive: b",
        "not-alive: never-seen",
        "clock: 4",
        "coordinate: ignored",
        "# note",
        "garbage",
        "",
      ].join("\n"),
    );
    expect([...s.aliveNodes]).toEqual([["a", "10.0.0.3:7946"]]);
    expect(s.lastClock).toBe(4);
    expect(s.leaveSeen).toBe(false);
    expect(s.left).toBe(false);
    expect(s.warnings).toEqual(["unrecognized snapshot line: garbage"]);
  });

  it("members that join after a leave make `left` false again", () => {
    const s = replay("leave\nalive: a 1.1.1.1:1\nevent-clock: 2\n");
    expect(s.leaveSeen).toBe(true);
    expect(s.left).toBe(false);
    expect(s.lastEventClock).toBe(2);
  });

  it("rejoin candidates: shuffled, local node skipped, `name/addr` join strings", () => {
    const s = replay("alive: me 1.1.1.1:1\nalive: b 2.2.2.2:2\nalive: c 3.3.3.3:3\n");
    const cands = rejoinCandidates(s, "me", seededRandom(5));
    expect(cands.map((c) => c.name).sort()).toEqual(["b", "c"]);
    expect(cands.find((c) => c.name === "b")?.joinAddress).toBe("b/2.2.2.2:2");
    const again = rejoinCandidates(s, "me", seededRandom(5));
    expect(again).toEqual(cands);
    const anon = replay("alive:  9.9.9.9:9\n");
    expect(rejoinCandidates(anon, "me", seededRandom(1))[0]?.joinAddress).toBe("9.9.9.9:9");
  });
});
