import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "@serf-ts/memberlist/testing";
import type { Member, SerfEvent } from "@serf-ts/serf";
import { AGENT_COALESCING_WINDOWS } from "./coalescing-windows.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DurableEventPipeline,
  decodeJournalEvent,
  encodeJournalEvent,
} from "./durable-event-pipeline.ts";
import { encodeJournalLine, PendingJournal } from "./pending-journal.ts";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-durable-"));
  path = join(dir, "snap.pending");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const user = (name: string, lTime: number, coalesce = false): SerfEvent => ({
  type: "user",
  name,
  payload: enc(`p-${name}`),
  lTime,
  coalesce,
});
const member = (name: string, tags: Record<string, string> = {}): Member => ({
  name,
  addr: new Uint8Array([10, 0, 0, 1]),
  port: 7946,
  tags,
  status: "alive",
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 4,
});

interface Delivered {
  readonly event: SerfEvent;
  readonly done: (() => void) | undefined;
}

/** A pipeline on `path` ("one agent process"); `crash()` just forgets it (no close). */
function agentProcess(options: { maxBytes?: number } = {}) {
  const clock = new ManualClock(1000);
  const { journal } = PendingJournal.open(path, options);
  const delivered: Delivered[] = [];
  const warnings: string[] = [];
  const pipeline = new DurableEventPipeline({
    journal,
    windows: AGENT_COALESCING_WINDOWS,
    clock,
    emit: (event, done) => delivered.push({ event, done }),
    logger: { warn: (m) => warnings.push(m), debug: () => {} },
  });
  const label = (d: Delivered) =>
    d.event.type === "user"
      ? `${d.event.name}@${d.event.lTime}`
      : "members" in d.event
        ? `${d.event.type}:${d.event.members.map((m) => m.name).join(",")}`
        : d.event.type;
  return {
    clock,
    pipeline,
    delivered,
    warnings,
    labels: () => delivered.map(label),
    /** Runs the handlers of the first `n` delivered events not handled yet. */
    handle(n = Number.POSITIVE_INFINITY) {
      for (const d of delivered.splice(0, n)) d.done?.();
    },
  };
}

describe("DurableEventPipeline", () => {
  it("user and member events round-trip through the journal encoding", () => {
    const u = user("deploy", 42, true);
    const m: SerfEvent = { type: "member-update", members: [member("a", { role: "web" })] };
    expect(decodeJournalEvent(JSON.parse(JSON.stringify(encodeJournalEvent(u as never))))).toEqual(
      u,
    );
    expect(decodeJournalEvent(JSON.parse(JSON.stringify(encodeJournalEvent(m as never))))).toEqual(
      m,
    );
    expect(decodeJournalEvent({ t: "user", n: 1 })).toBeUndefined();
    expect(decodeJournalEvent({ t: "member-join", m: [{ n: "x" }] })).toBeUndefined();
  });

  it("after a crash, events not yet handled are handed to the handlers again; handled ones are not", () => {
    const a = agentProcess();
    for (let i = 1; i <= 5; i++) a.pipeline.handle(user(`e${i}`, i));
    expect(a.labels()).toEqual(["e1@1", "e2@2", "e3@3", "e4@4", "e5@5"]);
    a.handle(2); // e1, e2 handled; e3 was running at the crash; e4, e5 waiting.
    const b = agentProcess();
    expect(b.pipeline.replay()).toBe(3);
    expect(b.labels()).toEqual(["e3@3", "e4@4", "e5@5"]);
  });

  it("events gossip offers again after a restart are not handled twice (pending or handled)", () => {
    const a = agentProcess();
    for (let i = 1; i <= 3; i++) a.pipeline.handle(user(`e${i}`, i));
    a.handle(1);
    const b = agentProcess();
    b.pipeline.replay();
    b.handle();
    // Push/pull re-delivers all three (above the snapshot's clock), plus one new event.
    for (let i = 1; i <= 4; i++) b.pipeline.handle(user(`e${i}`, i));
    expect(b.delivered.map((d) => (d.event as { name: string }).name)).toEqual(["e4"]);
    // Same name and LTime but another payload is another event.
    b.pipeline.handle({ ...(user("e1", 1) as object), payload: enc("other") } as SerfEvent);
    expect(b.delivered).toHaveLength(2);
  });

  it("coalesced user events waiting in the coalescer at the crash are released at restart", () => {
    const a = agentProcess();
    a.pipeline.handle(user("deploy", 1, true));
    a.pipeline.handle(user("deploy", 2, true));
    a.pipeline.handle(user("other", 3, true));
    expect(a.delivered).toEqual([]); // held for the 1 s quiescence
    const b = agentProcess();
    b.pipeline.replay();
    // Coalesced among themselves (latest per name), released at once.
    expect(b.labels()).toEqual(["deploy@2", "other@3"]);
    b.handle();
    // The coalesced-away deploy@1 counts as handled: a re-delivery is ignored.
    b.pipeline.handle(user("deploy", 1, true));
    b.clock.advance(5000);
    expect(b.delivered).toEqual([]);
  });

  it("a coalescer flush is journaled: released but unhandled events survive the crash", () => {
    const a = agentProcess();
    a.pipeline.handle(user("deploy", 1, true));
    a.pipeline.handle(user("deploy", 2, true));
    a.clock.advance(1000);
    expect(a.labels()).toEqual(["deploy@2"]);
    const b = agentProcess();
    b.pipeline.replay();
    expect(b.labels()).toEqual(["deploy@2"]);
  });

  it("a member event waiting at the crash is handled after the restart, before the rejoin's member-join", () => {
    const a = agentProcess();
    a.pipeline.handle({ type: "member-update", members: [member("web1", { v: "2" })] });
    const b = agentProcess();
    b.pipeline.replay();
    expect(b.labels()).toEqual(["member-update:web1"]);
    // The restarted agent rejoins and reports web1 joining: a new event, coalesced on its own.
    b.pipeline.handle({ type: "member-join", members: [member("web1", { v: "2" })] });
    b.clock.advance(3000);
    expect(b.labels()).toEqual(["member-update:web1", "member-join:web1"]);
    b.handle();
    const c = agentProcess();
    expect(c.pipeline.replay()).toBe(0);
  });

  it("member events coalesced in a round are retired together once the output is handled", () => {
    const a = agentProcess();
    a.pipeline.handle({ type: "member-join", members: [member("x")] });
    a.pipeline.handle({ type: "member-failed", members: [member("x")] });
    a.pipeline.handle({ type: "member-join", members: [member("y")] });
    a.clock.advance(1000);
    expect(a.labels()).toEqual(["member-failed:x", "member-join:y"]);
    a.handle(1);
    const b = agentProcess();
    b.pipeline.replay();
    expect(b.labels()).toEqual(["member-join:y"]);
  });

  it("queries are passed through and not journaled", () => {
    const a = agentProcess();
    const q = { type: "query", name: "q", payload: enc(""), lTime: 1 } as unknown as SerfEvent;
    a.pipeline.handle(q);
    expect(a.delivered).toHaveLength(1);
    expect(a.delivered[0]?.done).toBeUndefined();
    expect(agentProcess().pipeline.replay()).toBe(0);
  });

  it("over the cap, events are still handled, without the journal, and it is logged", () => {
    const line = encodeJournalLine({
      k: "a",
      s: 0,
      c: "p",
      e: encodeJournalEvent(user("e1", 1) as never),
    }).length;
    const a = agentProcess({ maxBytes: line * 2 + 4 });
    for (let i = 1; i <= 4; i++) a.pipeline.handle(user(`e${i}`, i));
    expect(a.labels()).toEqual(["e1@1", "e2@2", "e3@3", "e4@4"]);
    expect(a.pipeline.notJournaled).toBe(2);
    expect(a.warnings.join("\n")).toMatch(/Event journal full/);
    const b = agentProcess();
    expect(b.labels()).toEqual([]);
    expect(b.pipeline.replay()).toBe(2);
  });
});
