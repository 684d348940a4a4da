/**
 * The pure output functions against golden strings copied from cli.md (captured from the Go
 * binary). Member, tag and key order follow the input order here (Go's is random).
 */

import type { Member, StatsResponse } from "@serf-ts/rpc-client";
import { describe, expect, it } from "vitest";
import { topLevelHelp } from "../run.ts";
import { formatStats } from "./info.ts";
import { formatKeyFailures, formatKeyList } from "./keys.ts";
import { formatMembers } from "./members.ts";
import { formatEventInfo } from "./monitor.ts";
import { formatQueryJson } from "./query.ts";
import { coordinateDistanceNs, formatRtt } from "./rtt.ts";

function member(name: string, ip: string, tags: [string, string][], status = "alive"): Member {
  return {
    name,
    addr: new Uint8Array(ip.split(".").map(Number)),
    port: 7946,
    tags: new Map(tags),
    status,
    protocolMin: 1,
    protocolMax: 5,
    protocolCur: 2,
    delegateMin: 2,
    delegateMax: 5,
    delegateCur: 5,
  };
}

const output = (r: { output: string } | { error: string }): string =>
  "output" in r ? r.output : `ERROR ${r.error}`;

describe("serf members", () => {
  const cluster = [
    member("n1", "127.0.0.1", [
      ["role", "web1"],
      ["dc", "east"],
    ]),
    member("n2", "127.0.0.2", [
      ["dc", "east"],
      ["role", "web2"],
    ]),
    member("n3", "127.0.0.3", [
      ["role", "web3"],
      ["dc", "east"],
    ]),
  ];

  it("text", () => {
    expect(output(formatMembers(cluster, { format: "text" }))).toBe(
      [
        "n1  127.0.0.1:7946  alive  role=web1,dc=east",
        "n2  127.0.0.2:7946  alive  dc=east,role=web2",
        "n3  127.0.0.3:7946  alive  role=web3,dc=east",
      ].join("\n"),
    );
  });

  it("text with a left member", () => {
    const members = [
      member("n2", "127.0.0.2", [
        ["dc", "east"],
        ["role", "web2"],
      ]),
      member("n3", "127.0.0.3", [
        ["dc", "east"],
        ["role", "web3"],
      ]),
      member("n5", "127.0.0.5", [["role", "worker"]], "left"),
      member("n1", "127.0.0.1", [
        ["role", "web1"],
        ["dc", "east"],
      ]),
    ];
    expect(output(formatMembers(members, { format: "text" }))).toBe(
      [
        "n2  127.0.0.2:7946  alive  dc=east,role=web2",
        "n3  127.0.0.3:7946  alive  dc=east,role=web3",
        "n5  127.0.0.5:7946  left   role=worker",
        "n1  127.0.0.1:7946  alive  role=web1,dc=east",
      ].join("\n"),
    );
  });

  it("detailed", () => {
    const n1 = member("n1", "127.0.0.1", [
      ["dc", "east"],
      ["role", "web1"],
    ]);
    expect(output(formatMembers([n1], { format: "text", detailed: true }))).toBe(
      "n1  127.0.0.1:7946  alive  dc=east,role=web1  Protocol Version: 5  Available Protocol Range: [2, 5]",
    );
    const notags = member("notags", "127.0.0.11", []);
    expect(output(formatMembers([notags], { format: "text", detailed: true }))).toBe(
      "notags  127.0.0.11:7946  alive    Protocol Version: 5  Available Protocol Range: [2, 5]",
    );
  });

  it("members without tags: trailing glue kept except on the last line", () => {
    const members = [member("e7", "127.0.0.7", []), member("e8", "127.0.0.8", [])];
    expect(output(formatMembers(members, { format: "text" }))).toBe(
      "e7  127.0.0.7:7946  alive  \ne8  127.0.0.8:7946  alive",
    );
    expect(output(formatMembers([member("auth6", "127.0.0.6", [])], { format: "text" }))).toBe(
      "auth6  127.0.0.6:7946  alive",
    );
    expect(output(formatMembers([], { format: "text" }))).toBe("");
  });

  it("json", () => {
    const n2 = member("n2", "127.0.0.2", [
      ["role", "web2"],
      ["dc", "east"],
    ]);
    expect(output(formatMembers([n2], { format: "json", detailed: true }))).toBe(
      `{
  "members": [
    {
      "name": "n2",
      "addr": "127.0.0.2:7946",
      "port": 7946,
      "tags": {
        "dc": "east",
        "role": "web2"
      },
      "status": "alive",
      "protocol": {
        "max": 5,
        "min": 2,
        "version": 5
      }
    }
  ]
}`,
    );
    expect(output(formatMembers([], { format: "json" }))).toBe('{\n  "members": null\n}');
    expect(output(formatMembers([member("x", "1.2.3.4", [])], { format: "json" }))).toContain(
      '"tags": {},',
    );
  });

  it("unknown format, and colours only when asked", () => {
    expect(output(formatMembers(cluster, { format: "xml" }))).toBe(
      'ERROR Invalid output format "xml"',
    );
    const failed = member("f", "127.0.0.9", [], "failed");
    expect(output(formatMembers([cluster[0]!, failed], { format: "text", color: true }))).toBe(
      "n1  127.0.0.1:7946  \u001b[32malive\u001b[0m   role=web1,dc=east\n" +
        "f   127.0.0.9:7946  \u001b[31mfailed\u001b[0m",
    );
  });
});

describe("serf info", () => {
  const stats: StatsResponse = new Map([
    [
      "serf",
      new Map([
        ["members", "3"],
        ["encrypted", "false"],
      ]),
    ],
    ["agent", new Map([["name", "n1"]])],
    ["event_handlers", new Map([["*:", "./handler.sh"]])],
    ["empty", new Map()],
  ]);

  it("text: sections and keys sorted", () => {
    expect(output(formatStats(stats, "text"))).toBe(
      [
        "agent:",
        "\tname = n1",
        "empty:",
        "event_handlers:",
        "\t*: = ./handler.sh",
        "serf:",
        "\tencrypted = false",
        "\tmembers = 3",
      ].join("\n"),
    );
  });

  it("json", () => {
    expect(output(formatStats(stats, "json"))).toBe(
      `{
  "agent": {
    "name": "n1"
  },
  "empty": {},
  "event_handlers": {
    "*:": "./handler.sh"
  },
  "serf": {
    "encrypted": "false",
    "members": "3"
  }
}`,
    );
    expect(output(formatStats(stats, "yaml"))).toBe('ERROR Invalid output format "yaml"');
  });
});

describe("serf keys", () => {
  it("failure table and key list", () => {
    expect(
      formatKeyFailures(
        new Map([
          ["n1", "Keyring is empty (encryption not enabled)"],
          ["n22", "Keyring is empty (encryption not enabled)"],
        ]),
      ),
    ).toBe(
      "failed:  n1   Keyring is empty (encryption not enabled)\n" +
        "failed:  n22  Keyring is empty (encryption not enabled)",
    );
    expect(
      formatKeyList(
        new Map([
          ["T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=", 2],
          ["HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=", 2],
        ]),
        2,
      ),
    ).toBe(
      "T9jncgl9mbLus+baTTa7q7nPSUrXwbDi2dhbtqir37s=  [2/2]\n" +
        "HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=  [2/2]",
    );
  });
});

describe("serf query -format=json", () => {
  const enc = (s: string) => new Uint8Array(Buffer.from(s));
  it("acks in arrival order, responses sorted", () => {
    expect(
      formatQueryJson(
        ["n1", "n3", "n2"],
        new Map([
          ["n3", enc("resp-from-n3")],
          ["n1", enc("resp-from-n1")],
          ["n2", enc("resp-from-n2")],
        ]),
      ),
    ).toBe(`{
  "Acks": [
    "n1",
    "n3",
    "n2"
  ],
  "Responses": {
    "n1": "resp-from-n1",
    "n2": "resp-from-n2",
    "n3": "resp-from-n3"
  }
}`);
    expect(formatQueryJson([], new Map([["n1", enc("to-stdout\nto-stderr\n")]]))).toBe(`{
  "Acks": null,
  "Responses": {
    "n1": "to-stdout\\nto-stderr\\n"
  }
}`);
    expect(formatQueryJson([], new Map())).toBe('{\n  "Acks": null,\n  "Responses": {}\n}');
  });
});

describe("serf monitor event records", () => {
  it("prints Go's %#v of each field", () => {
    expect(
      formatEventInfo({
        event: "query",
        id: 1,
        lTime: 27,
        name: "monq",
        payload: new Uint8Array([0x71, 0x70]),
      }),
    ).toEqual([
      "Event Info:",
      '\tEvent: "query"',
      "\tID: 1",
      "\tLTime: 27",
      '\tName: "monq"',
      "\tPayload: []byte{0x71, 0x70}",
    ]);
    expect(
      formatEventInfo({
        event: "user",
        lTime: 0x86,
        name: "final",
        payload: new Uint8Array([0x61, 0x62, 0x63]),
        coalesce: true,
      }),
    ).toEqual([
      "Event Info:",
      "\tCoalesce: true",
      '\tEvent: "user"',
      "\tLTime: 0x86",
      '\tName: "final"',
      "\tPayload: []byte{0x61, 0x62, 0x63}",
    ]);
    const lines = formatEventInfo({
      event: "member-join",
      members: [member("n4", "127.0.0.4", [["role", "db"]])],
    });
    expect(lines[1]).toBe('\tEvent: "member-join"');
    expect(lines[2]).toBe(
      '\tMembers: []interface {}{map[interface {}]interface {}{"Addr":[]uint8{0x7f, 0x0, 0x0, 0x4}, ' +
        '"DelegateCur":5, "DelegateMax":5, "DelegateMin":2, "Name":"n4", "Port":0x1f0a, ' +
        '"ProtocolCur":2, "ProtocolMax":5, "ProtocolMin":1, "Status":"alive", ' +
        '"Tags":map[interface {}]interface {}{"role":"db"}}}',
    );
  });
});

describe("serf rtt", () => {
  it("computes Go's DistanceTo and formats milliseconds", () => {
    const a = { vec: [0.0001, 0, 0, 0, 0, 0, 0, 0], error: 0, adjustment: 0, height: 0.0001 };
    const b = { vec: [0.0004, 0, 0, 0, 0, 0, 0, 0], error: 0, adjustment: 0, height: 0.0002 };
    const ns = coordinateDistanceNs(a, b);
    expect(ns).toBe(600000);
    expect(formatRtt("n2", "n1", ns)).toBe("Estimated n2 <-> n1 rtt: 0.600 ms");
    // A negative adjustment that would make the distance non-positive is ignored.
    const c = { ...a, adjustment: -1 };
    expect(coordinateDistanceNs(c, b)).toBe(600000);
    expect(formatRtt("n1", "n1", 1174321)).toBe("Estimated n1 <-> n1 rtt: 1.174 ms");
  });
});

describe("top-level help", () => {
  it("matches cli.md", () => {
    expect(topLevelHelp()).toBe(`Usage: serf [--version] [--help] <command> [<args>]

Available commands are:
    agent           Runs a Serf agent
    event           Send a custom event through the Serf cluster
    force-leave     Forces a member of the cluster to enter the "left" state
    info            Provides debugging information for operators
    join            Tell Serf agent to join cluster
    keygen          Generates a new encryption key
    keys            Manipulate the internal encryption keyring used by Serf
    leave           Gracefully leaves the Serf cluster and shuts down
    members         Lists the members of a Serf cluster
    monitor         Stream logs from a Serf agent
    query           Send a query to the Serf cluster
    reachability    Test network reachability
    rtt             Estimates network round trip time between nodes
    tags            Modify tags of a running Serf agent
    version         Prints the Serf version
`);
  });
});
