import { runReadmeExample } from "@serf-ts/testkit";
import { describe, expect, it } from "vitest";
import { parseKey } from "./index.ts";

/** The README's example, extracted from its first `ts` block and run as a module. */
describe("README example", () => {
  it("runs as written: generates, parses and validates keys", async () => {
    const example = await runReadmeExample<{
      aes128: boolean;
      badBase64: string;
      fixed: string;
      GENERATED_KEY_BYTES: number;
      key: string;
      raw: Uint8Array;
      tooShort: boolean;
      VALID_KEY_SIZES: readonly number[];
    }>(import.meta.url);
    // `serf keygen`'s format: standard padded base64 of 32 bytes.
    expect(example.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(example.raw).toHaveLength(32);
    expect(example.GENERATED_KEY_BYTES).toBe(32);
    expect(Buffer.from(example.raw).toString("base64")).toBe(example.key);
    expect(example.VALID_KEY_SIZES).toEqual([16, 24, 32]);
    expect(example.aes128).toBe(true);
    expect(example.tooShort).toBe(false);
    expect(example.badBase64).toBe("illegal base64 data at input byte 3");
    expect(example.fixed).toBe(Buffer.alloc(32, 0xab).toString("base64"));
    expect(parseKey(example.fixed)).toEqual(new Uint8Array(32).fill(0xab));
  });
});
