/**
 * Runs a package README's example as a test: the first ```ts block is written to a temporary
 * `.readme-*` folder inside the package's `src` (so that the package's own name resolves to its
 * sources, as it would for a user who installed it) and imported; the caller checks what it
 * exports. TypeScript and Biome skip dot-folders, and the folder is removed afterwards.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The first ```ts block of a Markdown text. @throws Error when there is none. */
export function firstTypeScriptBlock(markdown: string): string {
  const code = /```ts\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (code === undefined) throw new Error("no ```ts block in the README");
  return code;
}

/**
 * Imports the first ```ts block of the package's README as a module placed beside the calling
 * test. `testModule` is that test's `import.meta.url`, in the package's `src`; the README is
 * the package's `README.md`, one folder up.
 * @returns the module's exports.
 */
export async function runReadmeExample<T>(testModule: string | URL): Promise<T> {
  const code = firstTypeScriptBlock(readFileSync(new URL("../README.md", testModule), "utf8"));
  const dir = mkdtempSync(join(fileURLToPath(new URL(".", testModule)), ".readme-"));
  try {
    const file = join(dir, "example.ts");
    writeFileSync(file, code);
    return (await import(file)) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
