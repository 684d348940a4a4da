import { runReadmeExample } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: two nodes join, exchange messages, leave and shut down", async () => {
    const example = await runReadmeExample<{
      contacted: number;
      members: { name: string }[];
      received: string[];
    }>(import.meta.url);
    expect(example.contacted).toBe(1);
    expect(example.members.map((m) => m.name).sort()).toEqual(["a", "b"]);
    expect(example.received).toContain("over TCP");
  });
});
