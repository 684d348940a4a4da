import { describe, expect, it } from "vitest";
import {
  columnize,
  goArray,
  goBytesOrNil,
  goFixed,
  goJson,
  goJsonString,
  goMap,
  goSharpV,
  goString,
  goUint,
  utf8,
} from "./go-format.ts";
import { Ui } from "./ui.ts";

describe("goJson (json.MarshalIndent)", () => {
  it("indents, sorts map keys, keeps struct order, escapes HTML", () => {
    const v = {
      b: 1,
      a: new Map<string, string>([
        ["z", "<&>"],
        ["y", "\u2028\b"],
      ]),
      e: [],
      m: new Map(),
      n: null,
    };
    expect(goJson(v)).toBe(
      [
        "{",
        '  "b": 1,',
        '  "a": {',
        '    "y": "\\u2028\\u0008",',
        '    "z": "\\u003c\\u0026\\u003e"',
        "  },",
        '  "e": [],',
        '  "m": {},',
        '  "n": null',
        "}",
      ].join("\n"),
    );
  });
});

describe("columnize.SimpleFormat", () => {
  it("pads all but the last column and keeps trailing glue of empty last cells", () => {
    expect(columnize(["e7|127.0.0.7:7946|alive|", "e8|127.0.0.8:7946|alive|"])).toBe(
      "e7  127.0.0.7:7946  alive  \ne8  127.0.0.8:7946  alive  ",
    );
    expect(columnize(["failed: | n1 | Keyring is empty", "failed: | n22 | x"])).toBe(
      "failed:  n1   Keyring is empty\nfailed:  n22  x",
    );
  });

  it("counts widths in bytes and pads in runes, like Go's %-Ns", () => {
    expect(columnize(["é|x", "ab|y"])).toBe("é   x\nab  y");
  });

  it("lets a decorator wrap cell text without touching the padding", () => {
    expect(columnize(["a|alive|t", "bb|failed|u"], (_l, c, t) => (c === 1 ? `<${t}>` : t))).toBe(
      "a   <alive>   t\nbb  <failed>  u",
    );
  });
});

describe("goFixed (%.Nf)", () => {
  it("rounds exact ties half to even, like Go", () => {
    expect(goFixed(0.0625, 3)).toBe("0.062");
    expect(goFixed(0.1875, 3)).toBe("0.188");
    expect(goFixed(0.125, 2)).toBe("0.12");
    expect(goFixed(1.174, 3)).toBe("1.174");
    expect(goFixed(3.2049, 2)).toBe("3.20");
  });
});

describe("goSharpV (%#v of decoded msgpack)", () => {
  it("prints the member list example of cli.md", () => {
    const member = goMap([
      ["Addr", goBytesOrNil(new Uint8Array([127, 0, 0, 4]))],
      ["DelegateCur", goUint(5)],
      ["DelegateMax", goUint(5)],
      ["DelegateMin", goUint(2)],
      ["Name", goString("n4")],
      ["Port", goUint(7946)],
      ["ProtocolCur", goUint(2)],
      ["ProtocolMax", goUint(5)],
      ["ProtocolMin", goUint(1)],
      ["Status", goString("alive")],
      ["Tags", goMap([["role", goString("db")]])],
    ]);
    expect(goSharpV(goArray([member]))).toBe(
      '[]interface {}{map[interface {}]interface {}{"Addr":[]uint8{0x7f, 0x0, 0x0, 0x4}, ' +
        '"DelegateCur":5, "DelegateMax":5, "DelegateMin":2, "Name":"n4", "Port":0x1f0a, ' +
        '"ProtocolCur":2, "ProtocolMax":5, "ProtocolMin":1, "Status":"alive", ' +
        '"Tags":map[interface {}]interface {}{"role":"db"}}}',
    );
  });

  it("prints top-level values", () => {
    expect(goSharpV(goBytesOrNil(new Uint8Array([0x71, 0x70])))).toBe("[]byte{0x71, 0x70}");
    expect(goSharpV(goBytesOrNil(new Uint8Array([])))).toBe("[]byte{}");
    expect(goSharpV(goBytesOrNil(null))).toBe("<nil>");
    expect(goSharpV(goUint(127))).toBe("127");
    expect(goSharpV(goUint(0x86))).toBe("0x86");
    expect(goSharpV(goString("monq"))).toBe('"monq"');
  });
});

describe("raw bytes of Go strings (issue 11 item 9)", () => {
  it("prints a name holding byte 0xFF as 0xFF, as Go's CLI does", () => {
    // "\udcff" is how @serf-ts/wire keeps the raw byte 0xFF it received.
    expect(utf8("n\udcff1")).toEqual(Uint8Array.of(0x6e, 0xff, 0x31));
    const written: (string | Uint8Array)[] = [];
    new Ui({ write: (c) => written.push(c) }).output("n\udcff1  alive");
    expect(written).toEqual([Uint8Array.from([0x6e, 0xff, 0x31, ...utf8("  alive\n")])]);
    // Go's encoding/json writes an invalid byte as \ufffd.
    expect(goJsonString("n\udcff")).toBe('"n\\ufffd"');
  });
});
