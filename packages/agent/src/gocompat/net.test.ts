import { describe, expect, it } from "vitest";
import { GoLookupError, lookupTcpPort, resolveTcpAddr } from "./net.ts";

// splitHostPort / joinHostPort / canonicalIP are @serf-ts/wire's: tested in wire's net/ip.test.ts.

describe("lookupTcpPort", () => {
  it("parses numbers and service names like Go", () => {
    expect(lookupTcpPort("7946")).toBe(7946);
    expect(lookupTcpPort("+7002")).toBe(7002);
    expect(lookupTcpPort("")).toBe(0);
    expect(lookupTcpPort("ssh")).toBe(22);
    expect(lookupTcpPort("HTTP")).toBe(80);
  });

  it.each([
    ["x", "address tcp/x: unknown port"],
    ["70000", "address 70000: invalid port"],
    ["-1", "address -1: invalid port"],
    ["99999999999", "address 99999999999: invalid port"],
    ["0x10", "address tcp/0x10: unknown port"],
  ])("rejects %j", (text, message) => {
    expect(() => lookupTcpPort(text)).toThrow(message);
  });
});

describe("resolveTcpAddr", () => {
  const lookup = async (host: string) => {
    if (host === "dual.test") return ["::1", "10.0.0.1"];
    if (host === "v6.test") return ["fe80::0001"];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  };

  it("resolves literals and names (IPv4 first)", async () => {
    await expect(resolveTcpAddr("127.0.0.1:1", lookup)).resolves.toEqual({
      ip: "127.0.0.1",
      port: 1,
    });
    await expect(resolveTcpAddr("[fe80::1%lo]:2", lookup)).resolves.toEqual({
      ip: "fe80::1",
      port: 2,
    });
    await expect(resolveTcpAddr("dual.test:3", lookup)).resolves.toEqual({
      ip: "10.0.0.1",
      port: 3,
    });
    await expect(resolveTcpAddr("v6.test:4", lookup)).resolves.toEqual({ ip: "fe80::1", port: 4 });
    await expect(resolveTcpAddr(":5", lookup)).resolves.toEqual({ ip: "", port: 5 });
    await expect(resolveTcpAddr("[::ffff:127.9.9.9]:7003", lookup)).resolves.toEqual({
      ip: "127.9.9.9",
      port: 7003,
    });
  });

  it("reports lookup failures like Go", async () => {
    await expect(resolveTcpAddr("nope.invalid:1", lookup)).rejects.toThrow(GoLookupError);
    await expect(resolveTcpAddr("nope.invalid:1", lookup)).rejects.toThrow(
      "lookup nope.invalid: no such host",
    );
    await expect(resolveTcpAddr("1.2.3.4.5:6", lookup)).rejects.toThrow(
      "lookup 1.2.3.4.5: no such host",
    );
  });
});
