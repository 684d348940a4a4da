/**
 * The main entry is the product API, at most 60 runtime exports (issue 15); building blocks go
 * to a subpath export. This counts what `import("@serf-ts/cli")` hands out at run time.
 */

import { describe, expect, it } from "vitest";
import * as entry from "./index.ts";

const MAX_RUNTIME_EXPORTS = 60;

describe("@serf-ts/cli main entry", () => {
  it(`has at most ${MAX_RUNTIME_EXPORTS} runtime exports`, () => {
    const names = Object.keys(entry);
    expect(names.length, names.join(", ")).toBeLessThanOrEqual(MAX_RUNTIME_EXPORTS);
  });
});
