import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: two nodes join, exchange messages, leave and shut down", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toContain("Memberlist.create");
    // Inside the package, so that "@serf-ts/memberlist" resolves to this package's sources.
    const dir = mkdtempSync(join(new URL(".", import.meta.url).pathname, ".readme-"));
    try {
      const file = join(dir, "example.ts");
      writeFileSync(file, code as string);
      const example = (await import(file)) as {
        contacted: number;
        members: { name: string }[];
        received: string[];
      };
      expect(example.contacted).toBe(1);
      expect(example.members.map((m) => m.name).sort()).toEqual(["a", "b"]);
      expect(example.received).toContain("over TCP");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
