/** `Member.address` as Go's `serf members` prints it, on records from `members()`. */

import { afterEach, describe, expect, it } from "vitest";
import { RpcClient } from "./client.ts";
import { memberAddress, type RpcMember } from "./index.ts";
import { FakeAgent } from "./testing/fake-agent.ts";

const member = (name: string, addr: number[], port = 7946) => ({
  name,
  addr: Uint8Array.from(addr),
  port,
  tags: new Map<string, string>(),
  status: "alive",
  protocolMin: 1,
  protocolMax: 5,
  protocolCur: 2,
  delegateMin: 2,
  delegateMax: 5,
  delegateCur: 5,
});

const V6_DOC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7];

describe("member addresses", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it("format IPv4, IPv6 in brackets and IPv4-mapped IPv6 as Go's CLI does", () => {
    expect(memberAddress(member("a", [10, 1, 2, 3]))).toBe("10.1.2.3:7946");
    expect(memberAddress(member("b", V6_DOC, 8000))).toBe("[2001:db8::1]:8000");
    expect(memberAddress(member("c", V4_MAPPED))).toBe("10.0.0.7:7946");
  });

  it("come with every record of members() and membersFiltered()", async () => {
    const records = [member("a", [127, 0, 0, 1]), member("b", V6_DOC, 7947)];
    const agent = await FakeAgent.start((req, conn) => {
      if (req.command !== "members" && req.command !== "members-filtered") return false;
      conn.reply(req.command, req.seq, "", { members: records });
      return true;
    });
    cleanup.push(() => agent.close());
    const client = await RpcClient.connect({ addr: agent.addr });
    cleanup.push(() => client.close());
    const pick = (ms: RpcMember[]) => ms.map((m) => [m.name, m.address, [...m.addr]]);
    const expected = [
      ["a", "127.0.0.1:7946", [127, 0, 0, 1]],
      ["b", "[2001:db8::1]:7947", V6_DOC],
    ];
    expect(pick(await client.members())).toEqual(expected);
    expect(pick(await client.membersFiltered({ name: ".*" }))).toEqual(expected);
  });
});
