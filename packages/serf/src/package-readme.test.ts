import { runReadmeExample } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: two nodes join, exchange a user event and a query, leave", async () => {
    const example = await runReadmeExample<{
      acks: string[];
      answers: string[];
      contacted: number;
      members: string[];
      received: string;
      statusOfB: string | undefined;
      updates: string[];
    }>(import.meta.url);
    expect(example.contacted).toBe(1);
    expect([...example.members].sort()).toEqual(["a alive role=web", "b alive role=db"]);
    expect(example.received).toBe("deploy v42");
    expect(example.answers).toEqual(["b: 0.42, asked by a"]);
    expect(example.acks).toEqual(["b"]);
    expect(example.updates).toEqual(["b v2"]);
    expect(example.statusOfB).toBe("left");
  });
});
