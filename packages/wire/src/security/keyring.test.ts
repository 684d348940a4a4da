import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, ErrorCode, KeyError } from "../errors.ts";
import {
  decodeBase64Std,
  decodeKeyBase64,
  encodeKeyBase64,
  Keyring,
  validateKey,
} from "./keyring.ts";

function key(fill: number, size = 32): Uint8Array {
  return new Uint8Array(size).fill(fill);
}

function expectKeyError(fn: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(KeyError);
  expect((thrown as KeyError).code).toBe(ErrorCode.KEY);
  expect((thrown as KeyError).message).toBe(message);
}

const K1 = key(1);
const K2 = key(2);
const K3 = key(3, 16);
const K4 = key(4, 24);

describe("validateKey", () => {
  it("accepts 16, 24 and 32 byte keys", () => {
    for (const size of [16, 24, 32]) expect(() => validateKey(key(9, size))).not.toThrow();
  });

  it("rejects every other size with Go's text", () => {
    for (const size of [0, 1, 3, 15, 17, 23, 25, 31, 33, 64]) {
      expectKeyError(() => validateKey(key(9, size)), "key size must be 16, 24 or 32 bytes");
    }
  });
});

describe("Keyring", () => {
  it("uses keys[0] as primary by default and drops duplicates", () => {
    const ring = Keyring.create([K1, K2, K1, K3, K2]);
    expect(ring.size).toBe(3);
    expect(ring.keys()).toEqual([K1, K2, K3]);
    expect(ring.primaryKey).toEqual(K1);
  });

  it("puts an explicit primary first", () => {
    const ring = Keyring.create([K1, K2, K3], K2);
    expect(ring.keys()).toEqual([K2, K1, K3]);
    const other = Keyring.create([K1], K4);
    expect(other.keys()).toEqual([K4, K1]);
  });

  it("requires a primary key", () => {
    expectKeyError(() => Keyring.create([]), "Empty primary key not allowed");
    expectKeyError(() => Keyring.create([K1], new Uint8Array(0)), "Empty primary key not allowed");
  });

  it("validates every key on create", () => {
    expectKeyError(() => Keyring.create([K1, key(1, 5)]), "key size must be 16, 24 or 32 bytes");
    expectKeyError(() => Keyring.create([], key(1, 7)), "key size must be 16, 24 or 32 bytes");
  });

  it("install appends when absent and is a no-op otherwise", () => {
    const ring = Keyring.create([K1]);
    ring.install(K2);
    ring.install(K3);
    ring.install(K2);
    ring.install(K1);
    expect(ring.keys()).toEqual([K1, K2, K3]);
    expectKeyError(() => ring.install(key(5, 3)), "key size must be 16, 24 or 32 bytes");
    expect(ring.size).toBe(3);
    expect(ring.has(K3)).toBe(true);
    expect(ring.has(K4)).toBe(false);
  });

  it("use makes an installed key primary and keeps the others' order", () => {
    const ring = Keyring.create([K1, K2, K3, K4]);
    ring.use(K3);
    expect(ring.keys()).toEqual([K3, K1, K2, K4]);
    ring.use(K3);
    expect(ring.keys()).toEqual([K3, K1, K2, K4]);
    ring.use(K4);
    expect(ring.primaryKey).toEqual(K4);
    expect(ring.keys()).toEqual([K4, K3, K1, K2]);
  });

  it("use of a key that is not installed fails", () => {
    const ring = Keyring.create([K1, K2]);
    expectKeyError(() => ring.use(K3), "Requested key is not in the keyring");
    expect(ring.keys()).toEqual([K1, K2]);
  });

  it("remove drops a secondary key, ignores absent keys, refuses the primary", () => {
    const ring = Keyring.create([K1, K2, K3]);
    ring.remove(K2);
    expect(ring.keys()).toEqual([K1, K3]);
    ring.remove(K4);
    expect(ring.keys()).toEqual([K1, K3]);
    expectKeyError(() => ring.remove(K1), "Removing the primary key is not allowed");
    expect(ring.keys()).toEqual([K1, K3]);
  });

  it("follows the rotation sequence install / use / remove", () => {
    const ring = Keyring.create([K1]);
    ring.install(K2);
    expect(ring.primaryKey).toEqual(K1);
    ring.use(K2);
    expect(ring.keys()).toEqual([K2, K1]);
    expectKeyError(() => ring.remove(K2), "Removing the primary key is not allowed");
    ring.remove(K1);
    expect(ring.keys()).toEqual([K2]);
    expectKeyError(() => ring.use(K1), "Requested key is not in the keyring");
  });

  it("copies keys in and out", () => {
    const mine = key(7);
    const ring = Keyring.create([mine]);
    mine.fill(0);
    expect(ring.primaryKey).toEqual(key(7));
    const out = ring.keys();
    out[0]!.fill(1);
    const primary = ring.primaryKey;
    primary.fill(2);
    expect(ring.keys()).toEqual([key(7)]);
  });

  it("matches a model under random operations", () => {
    const pool = [K1, K2, K3, K4, key(5), key(6, 16)];
    const op = fc.record({
      kind: fc.constantFrom("install", "use", "remove"),
      k: fc.integer({ min: 0, max: pool.length - 1 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const ring = Keyring.create([pool[0]!]);
        let model: number[] = [0];
        for (const { kind, k } of ops) {
          const keyBytes = pool[k]!;
          if (kind === "install") {
            ring.install(keyBytes);
            if (!model.includes(k)) model.push(k);
          } else if (kind === "use") {
            if (model.includes(k)) {
              ring.use(keyBytes);
              model = [k, ...model.filter((x) => x !== k)];
            } else {
              expect(() => ring.use(keyBytes)).toThrow(KeyError);
            }
          } else if (model[0] === k) {
            expect(() => ring.remove(keyBytes)).toThrow(KeyError);
          } else {
            ring.remove(keyBytes);
            model = model.filter((x) => x !== k);
          }
          expect(ring.keys()).toEqual(model.map((i) => pool[i]!));
        }
      }),
    );
  });
});

describe("base64 keys", () => {
  it("round-trips 16/24/32 byte keys", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (k) => {
          const s = encodeKeyBase64(k);
          expect(s).toBe(Buffer.from(k).toString("base64"));
          expect(decodeKeyBase64(s)).toEqual(k);
        },
      ),
    );
  });

  it("decodes the captured keys", () => {
    const s = "9VwJUzR8EhxcBqe02lq5mQ6833LyYLgxUkQ2gEbXMaY=";
    const k = decodeKeyBase64(s);
    expect(k.length).toBe(32);
    expect(encodeKeyBase64(k)).toBe(s);
    expect(encodeKeyBase64(k.subarray(0, 16))).toBe(
      Buffer.from(k.subarray(0, 16)).toString("base64"),
    );
  });

  it("reports bad base64 with Go's offsets", () => {
    const cases: [string, number][] = [
      ["notbase64!!", 9], // serf keys -install=notbase64!! (cli.md)
      ["!", 0],
      ["YWJ", 0], // missing padding: reported at the start of the last quantum
      ["YWJjZA", 4],
      ["YWJjZA=", 7], // "==" expected, input ends
      ["YWJjZA=x", 6], // "==" expected, wrong second char: reported at the first "="
      ["YWJjZ===", 5], // "=" in position 1 of a quantum
      ["=AAA", 0],
      ["YWJj=", 4],
      ["YWJjZA==YWJj", 8], // trailing data after padding
      ["YWJjZGU=x", 8],
      ["YW-j", 2], // URL-safe alphabet is not accepted
      ["YWJj ZGVm", 4],
      ["éYWJj", 0],
      ["YWJjé", 4],
      ["YWJjZGVmZ2hp\u00e9", 12],
    ];
    for (const [input, offset] of cases) {
      const message = `illegal base64 data at input byte ${offset}`;
      expect(() => decodeBase64Std(input), input).toThrow(message);
      expect(() => decodeBase64Std(input)).toThrow(DecodeError);
      expectKeyError(() => decodeKeyBase64(input), message);
    }
  });

  it("accepts what Go accepts", () => {
    expect(decodeBase64Std("")).toEqual(new Uint8Array(0));
    expect(decodeBase64Std("YWJj")).toEqual(new TextEncoder().encode("abc"));
    expect(decodeBase64Std("YWJjZA==")).toEqual(new TextEncoder().encode("abcd"));
    expect(decodeBase64Std("YWJjZGU=")).toEqual(new TextEncoder().encode("abcde"));
    expect(decodeBase64Std("YW\r\nJj\nZA=\n=\n")).toEqual(new TextEncoder().encode("abcd"));
    expect(decodeBase64Std("YR==")).toEqual(new Uint8Array([0x61])); // non-zero trailing bits
  });

  it("agrees with Node on valid padded base64", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64Std(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
      }),
    );
  });

  it("only ever throws DecodeError", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."AZaz09+/=\r\n-_!é ".split("")), maxLength: 24 }),
        (s) => {
          try {
            decodeBase64Std(s);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
            expect((err as Error).message).toMatch(/^illegal base64 data at input byte \d+$/);
          }
        },
      ),
    );
  });

  it("checks base64 before size, then reports the size", () => {
    expectKeyError(() => decodeKeyBase64("YWJj"), "key size must be 16, 24 or 32 bytes");
    expectKeyError(() => decodeKeyBase64(""), "key size must be 16, 24 or 32 bytes");
    expectKeyError(() => decodeKeyBase64("YWJ!"), "illegal base64 data at input byte 3");
  });
});
