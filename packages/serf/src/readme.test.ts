import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: two nodes join, exchange a user event and a query, leave", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toContain("Serf.create");
    // Inside the package, so that "@serf-ts/serf" resolves to this package's sources.
    const dir = mkdtempSync(join(new URL(".", import.meta.url).pathname, ".readme-"));
    try {
      const file = join(dir, "example.ts");
      writeFileSync(file, code as string);
      const example = (await import(file)) as {
        acks: string[];
        answers: string[];
        contacted: number;
        members: string[];
        received: string;
        statusOfB: string | undefined;
        updates: string[];
      };
      expect(example.contacted).toBe(1);
      expect([...example.members].sort()).toEqual(["a alive role=web", "b alive role=db"]);
      expect(example.received).toBe("deploy v42");
      expect(example.answers).toEqual(["b: 0.42, asked by a"]);
      expect(example.acks).toEqual(["b"]);
      expect(example.updates).toEqual(["b v2"]);
      expect(example.statusOfB).toBe("left");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
