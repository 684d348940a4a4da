import { describe, expect, it } from "vitest";
import { SerfSimCluster } from "../testing/serf-sim.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function scenario(seed: number, codec: "typed" | "bytes"): string[] {
  const c = new SerfSimCluster({
    seed,
    options: { protocolVersion: 5 },
    network: { loss: 0.05 },
    codec,
  });
  c.addNodes(6);
  for (let i = 1; i < 6; i++) c.join(`node-${i}`, ["node-0"]);
  c.runFor(5_000);
  c.act("node-3", (m, now) => m.userEvent("ev", enc("x"), true, now));
  c.act("node-4", (m, now) => m.query({ name: "q", requestAck: true }, now));
  c.runFor(5_000);
  c.crash("node-5");
  c.leave("node-2");
  c.runFor(30_000);
  const log: string[] = [];
  for (const n of c.nodes) {
    for (const r of n.events) {
      if (r.event.type === "memberlist") continue;
      log.push(
        `${r.at.toFixed(3)} ${n.name} ${JSON.stringify(r.event, (_k, v) => (v instanceof Uint8Array ? [...v] : v))}`,
      );
    }
  }
  return log;
}

describe("determinism", () => {
  it("same seed, same script → identical event log (typed and bytes codecs agree)", () => {
    const a = scenario(131, "typed");
    const b = scenario(131, "typed");
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    // The codec only changes how memberlist messages travel, not the outcome.
    expect(scenario(131, "bytes")).toEqual(a);
  });
});
