import { describe, expect, it } from "vitest";
import { CollectRejection, PendingQueries, QueryCollector } from "./query-collector.ts";

const resp = (from: string, flags = 0, payload: Uint8Array | null = null, id = 7, lTime = 3) => ({
  lTime,
  id,
  from,
  flags,
  payload,
});
const reason = (o: { kind: string; reason?: string }): string | undefined =>
  o.kind === "rejected" ? o.reason : undefined;

describe("QueryCollector (§7.6)", () => {
  const make = (requestAck = true, maxResponses = 10) =>
    new QueryCollector({ lTime: 3, id: 7, deadline: 1000, requestAck, maxResponses });

  it("accepts acks and responses once per node, separately", () => {
    const q = make();
    expect(q.collect(resp("a", 1), 0)).toEqual({ kind: "ack", from: "a" });
    expect(reason(q.collect(resp("a", 1), 1))).toBe(CollectRejection.DUPLICATE_ACK);
    const payload = new Uint8Array([1, 2]);
    expect(q.collect(resp("a", 0, payload), 2)).toEqual({ kind: "response", from: "a", payload });
    expect(reason(q.collect(resp("a", 0, payload), 3))).toBe(CollectRejection.DUPLICATE_RESPONSE);
    expect([...q.acks]).toEqual(["a"]);
    expect([...q.responders]).toEqual(["a"]);
  });

  it("rejects wrong IDs, closed queries and late replies", () => {
    const q = make();
    expect(reason(q.collect(resp("a", 0, null, 8), 0))).toBe(CollectRejection.ID_MISMATCH);
    expect(q.collect(resp("a"), 1000).kind).toBe("response"); // at the deadline: still open
    expect(reason(q.collect(resp("b"), 1001))).toBe(CollectRejection.PAST_DEADLINE);
    expect(q.isFinished(1000)).toBe(false);
    expect(q.isFinished(1001)).toBe(true);
    q.close();
    expect(q.isFinished(0)).toBe(true);
    expect(reason(q.collect(resp("c"), 0))).toBe(CollectRejection.CLOSED);
  });

  it("drops acks when none were requested", () => {
    const q = make(false);
    const out = q.collect(resp("a", 1), 0);
    expect(reason(out)).toBe(CollectRejection.ACK_NOT_REQUESTED);
    expect(out.kind === "rejected" && out.message).toContain("without the ack flag");
  });

  it("enforces count and size limits with clear messages", () => {
    const q = new QueryCollector({
      lTime: 3,
      id: 7,
      deadline: 1000,
      requestAck: true,
      maxResponses: 1,
      maxAcks: 2,
      maxPayloadBytes: 4,
    });
    expect(q.collect(resp("a", 0, new Uint8Array(4)), 0).kind).toBe("response");
    const limit = q.collect(resp("b"), 0);
    expect(reason(limit)).toBe(CollectRejection.RESPONSE_LIMIT);
    expect(limit.kind === "rejected" && limit.message).toBe(
      "failed to deliver query response from b: limit of 1 responses reached",
    );
    const big = q.collect(resp("c", 0, new Uint8Array(5)), 0);
    expect(big.kind === "rejected" && big.message).toBe(
      "response from c is 5 bytes, over the limit of 4",
    );
    expect(q.collect(resp("a", 1), 0).kind).toBe("ack");
    expect(q.collect(resp("b", 1), 0).kind).toBe("ack");
    expect(reason(q.collect(resp("c", 1), 0))).toBe(CollectRejection.ACK_LIMIT);
  });
});

describe("PendingQueries", () => {
  it("routes by LTime, closes at the deadline", () => {
    const p = new PendingQueries();
    const q1 = new QueryCollector({
      lTime: 3,
      id: 7,
      deadline: 100,
      requestAck: false,
      maxResponses: 5,
    });
    const q2 = new QueryCollector({
      lTime: 4,
      id: 9,
      deadline: 200,
      requestAck: false,
      maxResponses: 5,
    });
    p.register(q1);
    p.register(q2);
    expect(p.size).toBe(2);
    expect(p.nextDeadline()).toBe(100);
    expect(p.dispatch(resp("a"), 0).kind).toBe("response");
    expect(p.dispatch(resp("a", 0, null, 9, 4), 0).kind).toBe("response");
    const unknown = p.dispatch(resp("a", 0, null, 1, 99), 0);
    expect(reason(unknown)).toBe(CollectRejection.UNKNOWN_QUERY);
    expect(unknown.kind === "rejected" && unknown.message).toBe(
      "reply for non-running query (LTime: 99, ID: 1) from a",
    );
    expect(p.handleTimeout(99)).toEqual([]);
    expect(p.handleTimeout(100)).toEqual([q1]);
    expect(q1.isFinished(0)).toBe(true);
    expect(p.get(3)).toBeUndefined();
    expect(p.nextDeadline()).toBe(200);
    expect(p.close(4)).toBe(true);
    expect(q2.isFinished(0)).toBe(true);
    expect(p.nextDeadline()).toBeUndefined();
  });

  it("replacing a query with the same LTime closes the old one", () => {
    const p = new PendingQueries();
    const opts = { lTime: 1, id: 1, deadline: 10, requestAck: false, maxResponses: 1 };
    const a = new QueryCollector(opts);
    p.register(a);
    p.register(new QueryCollector({ ...opts, id: 2 }));
    expect(a.isFinished(0)).toBe(true);
  });
});
