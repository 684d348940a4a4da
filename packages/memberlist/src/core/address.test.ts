import { describe, expect, it } from "vitest";
import { formatAddress } from "./address.ts";

describe("formatAddress (Go net.JoinHostPort(ip.String(), port))", () => {
  it("formats IPv4 and IPv4-mapped IPv6 as dotted quads", () => {
    expect(formatAddress(Uint8Array.of(127, 0, 0, 1), 7946)).toBe("127.0.0.1:7946");
    const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3);
    expect(formatAddress(mapped, 1)).toBe("10.1.2.3:1");
  });
  it("formats IPv6 per RFC 5952 in brackets", () => {
    const loop = new Uint8Array(16);
    loop[15] = 1;
    expect(formatAddress(loop, 7946)).toBe("[::1]:7946");
  });
});
