import { describe, expect, it } from "vitest";
import { FlagSet } from "./flags.ts";

function setup() {
  const err: string[] = [];
  let usage = 0;
  const flags = new FlagSet(
    (t) => err.push(t),
    () => {
      usage++;
    },
  );
  return {
    flags,
    err,
    usage: () => usage,
    node: flags.string("node", "dflt"),
    ack: flags.bool("no-ack", false),
    coalesce: flags.bool("coalesce", true),
    relay: flags.int("relay-factor", 0),
    timeout: flags.duration("timeout", 0),
    tags: flags.list("tag"),
  };
}

describe("Go flag semantics", () => {
  it("accepts -x=v, -x v, --x v, --x=v and boolean forms", () => {
    const s = setup();
    expect(
      s.flags.parse([
        "-node=a",
        "--tag",
        "k=v",
        "--tag=k2=v2",
        "-no-ack",
        "-coalesce=false",
        "-relay-factor",
        "0x10",
        "-timeout=1m30s",
        "name",
        "-node=ignored",
      ]),
    ).toBe(true);
    expect(s.node.value).toBe("a");
    expect(s.tags.value).toEqual(["k=v", "k2=v2"]);
    expect(s.ack.value).toBe(true);
    expect(s.coalesce.value).toBe(false);
    expect(s.relay.value).toBe(16);
    expect(s.timeout.value).toBe(90e9);
    expect(s.flags.args()).toEqual(["name", "-node=ignored"]);
  });

  it("stops at --, at - and at the first positional; a bool takes no separate value", () => {
    const a = setup();
    a.flags.parse(["--", "-node=x"]);
    expect(a.flags.args()).toEqual(["-node=x"]);
    const b = setup();
    b.flags.parse(["-", "x"]);
    expect(b.flags.args()).toEqual(["-", "x"]);
    const c = setup();
    c.flags.parse(["-no-ack", "false"]);
    expect(c.ack.value).toBe(true);
    expect(c.flags.args()).toEqual(["false"]);
  });

  it("reports errors on stderr and prints the usage", () => {
    const cases: [string[], string][] = [
      [["-bogus"], "flag provided but not defined: -bogus\n"],
      [["-coalesce=x"], 'invalid boolean value "x" for -coalesce: parse error\n'],
      [["-relay-factor=x"], 'invalid value "x" for flag -relay-factor: parse error\n'],
      [
        ["-relay-factor=99999999999999999999"],
        'invalid value "99999999999999999999" for flag -relay-factor: value out of range\n',
      ],
      [["-timeout=5"], 'invalid value "5" for flag -timeout: parse error\n'],
      // One past Go's int64 nanoseconds: time.ParseDuration rejects it.
      [
        ["-timeout=9223372036854775808ns"],
        'invalid value "9223372036854775808ns" for flag -timeout: parse error\n',
      ],
      [["-node"], "flag needs an argument: -node\n"],
      [["---x"], "bad flag syntax: ---x\n"],
      [["-=x"], "bad flag syntax: -=x\n"],
    ];
    for (const [args, message] of cases) {
      const s = setup();
      expect(s.flags.parse(args)).toBe(false);
      expect(s.err).toEqual([message]);
      expect(s.usage()).toBe(1);
    }
  });

  it("-h and -help inside the flags only print the usage", () => {
    const s = setup();
    expect(s.flags.parse(["--h"])).toBe(false);
    expect(s.err).toEqual([]);
    expect(s.usage()).toBe(1);
  });
});
