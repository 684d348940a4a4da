import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../errors.ts";
import { decodeTags, encodeTags, META_MAX_SIZE } from "./tags.ts";

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

const goString = fc.string({ unit: "binary", maxLength: 30 });

describe("tags in node Meta", () => {
  it("encodes no tags as ff 80 and the documented example", () => {
    expect(toHex(encodeTags(new Map()))).toBe("ff80");
    expect(toHex(encodeTags({}))).toBe("ff80");
    const tags = new Map([
      ["dc", "east"],
      ["role", "web"],
    ]);
    const meta = encodeTags(tags);
    expect(toHex(meta)).toBe("ff82a26463a465617374a4726f6c65a3776562");
    expect(toHex(encodeTags({ dc: "east", role: "web" }))).toBe(toHex(meta));
    expect(decodeTags(meta)).toEqual(tags);
  });

  it("keeps the given insertion order", () => {
    const meta = encodeTags(
      new Map([
        ["role", "web"],
        ["dc", "east"],
      ]),
    );
    expect(toHex(meta)).toBe("ff82a4726f6c65a3776562a26463a465617374");
    expect([...decodeTags(meta).keys()]).toEqual(["role", "dc"]);
  });

  it("enforces the 512-byte Meta limit with EncodeError", () => {
    // ff + 81 + a1 "k" + da 01f9 + 505 bytes = 512
    const fits = new Map([["k", "v".repeat(505)]]);
    expect(encodeTags(fits).length).toBe(META_MAX_SIZE);
    const tooBig = new Map([["k", "v".repeat(506)]]);
    expect(() => encodeTags(tooBig)).toThrow(EncodeError);
    expect(() => encodeTags({ role: "r".repeat(513) }, { protocolVersion: 2 })).toThrow(
      EncodeError,
    );
  });

  it("uses the raw role below protocol 3 and decodes legacy Meta as role", () => {
    expect(toHex(encodeTags({ role: "web", dc: "east" }, { protocolVersion: 2 }))).toBe("776562");
    expect(encodeTags(new Map(), { protocolVersion: 2 }).length).toBe(0);
    expect(decodeTags(fromHex("776562"))).toEqual(new Map([["role", "web"]]));
    expect(decodeTags(new Uint8Array(0))).toEqual(new Map([["role", ""]]));
  });

  it("accepts nil map and nil values, rejects malformed maps with DecodeError", () => {
    expect(decodeTags(fromHex("ffc0"))).toEqual(new Map());
    expect(decodeTags(fromHex("ff81a161c0"))).toEqual(new Map([["a", ""]]));
    expect(decodeTags(fromHex("ff81a161c4026869"))).toEqual(new Map([["a", "hi"]]));
    expect(() => decodeTags(fromHex("ff"))).toThrow(DecodeError);
    expect(() => decodeTags(fromHex("ff91a161"))).toThrow(DecodeError);
    expect(() => decodeTags(fromHex("ff81a16101"))).toThrow(DecodeError);
  });

  it("round-trips random tags byte for byte", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(goString, goString), { selector: (e) => e[0], maxLength: 8 }),
        (entries) => {
          const tags = new Map(entries);
          const meta = encodeTags(tags);
          const decoded = decodeTags(meta);
          expect([...decoded]).toEqual(entries);
          expect(toHex(encodeTags(decoded))).toBe(toHex(meta));
        },
      ),
    );
  });

  it("throws only DecodeError on random Meta", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.boolean(), (rest, magic) => {
        const meta = magic ? Uint8Array.from([0xff, ...rest]) : rest;
        try {
          decodeTags(meta);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
