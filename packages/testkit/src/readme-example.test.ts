import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { firstTypeScriptBlock, runReadmeExample } from "./readme-example.ts";

let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe("runReadmeExample", () => {
  it("imports the first ts block, returns its exports and removes the temporary folder", async () => {
    root = mkdtempSync(join(tmpdir(), "readme-example-"));
    mkdirSync(join(root, "src"));
    const readme = [
      "# pkg",
      "```sh",
      "npm i pkg",
      "```",
      "```ts",
      "const answer: number = 6 * 7;",
      "export { answer };",
      "```",
      "```ts",
      'export const second = "not run";',
      "```",
    ].join("\n");
    writeFileSync(join(root, "README.md"), readme);
    const mod = await runReadmeExample<{ answer: number; second?: string }>(
      pathToFileURL(join(root, "src", "readme.test.ts")),
    );
    expect(mod.answer).toBe(42);
    expect(mod.second).toBeUndefined();
    expect(readdirSync(join(root, "src"))).toEqual([]);
  });

  it("throws when the README has no ts block", () => {
    expect(() => firstTypeScriptBlock("# nothing\n```sh\nls\n```\n")).toThrow(/no ```ts block/);
  });
});
