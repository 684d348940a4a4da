import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../errors.ts";
import {
  canonicalIp,
  formatIp,
  formatTcpAddr,
  GoAddrError,
  isIPv4,
  isIPv6,
  joinHostPort,
  MISSING_PORT_IN_ADDRESS,
  parseIp,
  splitHostPort,
} from "./ip.ts";

const v6 = (...groups: number[]): Uint8Array => {
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
};

describe("formatIp (Go net.IP.String)", () => {
  it("formats IPv4 and IPv4-mapped IPv6 as dotted quads", () => {
    expect(formatIp(Uint8Array.of(127, 0, 0, 1))).toBe("127.0.0.1");
    const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3);
    expect(formatIp(mapped)).toBe("10.1.2.3");
    const mapped9 = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 9]);
    expect(formatIp(mapped9)).toBe("10.0.0.9");
  });

  it("formats IPv6 per RFC 5952", () => {
    expect(formatIp(v6(0, 0, 0, 0, 0, 0, 0, 1))).toBe("::1");
    const doc = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1);
    expect(formatIp(doc)).toBe("2001:db8::1:0:0:1");
    expect(formatIp(new Uint8Array(16))).toBe("::");
    const one = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1);
    expect(formatIp(one)).toBe("2001:db8:1:0:1:1:1:1");
    expect(formatIp(v6(1, 0, 0, 2, 0, 0, 0, 3))).toBe("1:0:0:2::3");
    expect(formatIp(v6(1, 0, 0, 2, 0, 0, 3, 4))).toBe("1::2:0:0:3:4");
    expect(formatIp(v6(0xfe80, 0, 0, 0, 0, 0, 0, 0))).toBe("fe80::");
    expect(formatIp(v6(0, 0, 0, 0, 0, 0, 0x7f00, 1))).toBe("::7f00:1");
    expect(formatIp(v6(0xabcd, 1, 2, 3, 4, 5, 6, 7))).toBe("abcd:1:2:3:4:5:6:7");
  });

  it("marks malformed lengths like Go", () => {
    expect(formatIp(Uint8Array.of(1, 2))).toBe("?0102");
    expect(formatIp(Uint8Array.of(0xab, 0, 0x0c, 1, 2))).toBe("?ab000c0102");
    expect(formatIp(new Uint8Array(0))).toBe("<nil>");
  });

  it("agrees with the WHATWG IPv6 serializer (RFC 5952) on non-mapped addresses", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 6 }),
        (bytes, zeroed) => {
          for (const g of zeroed) bytes.fill(0, g * 2, g * 2 + 2);
          const text = formatIp(bytes);
          if (text.includes(".")) return; // IPv4-mapped: Go prints a dotted quad
          expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
          expect(parseIp(text)).toEqual(bytes);
        },
      ),
    );
  });
});

describe("formatTcpAddr (Go net.TCPAddr.String)", () => {
  it("joins the IP text and the port", () => {
    expect(formatTcpAddr(Uint8Array.of(127, 0, 0, 1), 7946)).toBe("127.0.0.1:7946");
    expect(formatTcpAddr(v6(0, 0, 0, 0, 0, 0, 0, 1), 7946)).toBe("[::1]:7946");
    expect(formatTcpAddr(new Uint8Array(0), 5)).toBe(":5");
  });
});

describe("parseIp", () => {
  it("gives 4 bytes for IPv4 and 16 for IPv6", () => {
    expect(parseIp("127.0.0.1")).toEqual(Uint8Array.of(127, 0, 0, 1));
    expect(parseIp("0.0.0.0")).toEqual(new Uint8Array(4));
    expect(parseIp("255.255.255.255")).toEqual(Uint8Array.of(255, 255, 255, 255));
    expect(parseIp("::1")).toEqual(v6(0, 0, 0, 0, 0, 0, 0, 1));
    expect(parseIp("::")).toEqual(new Uint8Array(16));
    expect(parseIp("1::")).toEqual(v6(1));
    expect(parseIp("1:2:3:4:5:6:7::")).toEqual(v6(1, 2, 3, 4, 5, 6, 7, 0));
    expect(parseIp("2001:DB8::1")).toEqual(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    expect(parseIp("::ffff:10.1.2.3")).toEqual(
      Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3),
    );
    expect(parseIp("1::2:3.4.5.6")).toEqual(v6(1, 0, 0, 0, 0, 2, 0x304, 0x506));
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "256.1.1.1",
    "1.2.3.-4",
    "host",
    "::1%lo",
    "[::1]",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7",
    ":::",
    ":",
    "1:2",
    "1:",
    "12345::1",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1.2.3.4::",
    "::ffff:1.2.3",
  ])("rejects %j", (text) => {
    expect(parseIp(text)).toBeUndefined();
    expect(isIPv4(text) || isIPv6(text)).toBe(false);
  });

  it("classifies", () => {
    expect(isIPv4("10.0.0.1")).toBe(true);
    expect(isIPv6("10.0.0.1")).toBe(false);
    expect(isIPv4("::1")).toBe(false);
    expect(isIPv6("::1")).toBe(true);
    expect(isIPv6("::ffff:10.0.0.1")).toBe(true);
  });

  it("accepts what node:net accepts (without zones or leading zeros)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        expect(parseIp(text)?.length).toBe(isIP(text) === 4 ? 4 : 16);
      }),
    );
  });
});

describe("canonicalIp (Go net.ParseIP(s).String())", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["::", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["fe80::0001", "fe80::1"],
    ["::ffff:127.9.9.9", "127.9.9.9"],
    ["::127.0.0.1", "::7f00:1"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ])("%s", (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each([
    "1.2.3.4.5",
    "01.2.3.4",
    "256.1.1.1",
    "host",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    ":::",
    "1:2",
  ])("rejects %j", (text) => {
    expect(canonicalIp(text)).toBeUndefined();
  });
});

describe("splitHostPort / joinHostPort (Go net)", () => {
  it("splits", () => {
    expect(splitHostPort("127.0.0.1:7946")).toEqual({ host: "127.0.0.1", port: "7946" });
    expect(splitHostPort("[::1]:5")).toEqual({ host: "::1", port: "5" });
    expect(splitHostPort("[fe80::1%lo]:5")).toEqual({ host: "fe80::1%lo", port: "5" });
    expect(splitHostPort("host.example:http")).toEqual({ host: "host.example", port: "http" });
    expect(splitHostPort(":5")).toEqual({ host: "", port: "5" });
    expect(splitHostPort("[]:5")).toEqual({ host: "", port: "5" });
    expect(splitHostPort("a:")).toEqual({ host: "a", port: "" });
  });

  // Reasons captured from serf 0.9.4 (`==> Invalid bind address: address X: REASON`).
  it.each([
    ["127.0.0.1", "address 127.0.0.1: missing port in address"],
    ["::1", "address ::1: too many colons in address"],
    ["[::1", "address [::1: missing ']' in address"],
    ["::1]:5", "address ::1]:5: too many colons in address"],
    ["a[b:5", "address a[b:5: unexpected '[' in address"],
    ["[::1]]:5", "address [::1]]:5: missing port in address"],
    ["[::1]", "address [::1]: missing port in address"],
    ["[a]b:5", "address [a]b:5: missing port in address"],
    ["[a]:b:5", "address [a]:b:5: too many colons in address"],
    ["a]:5", "address a]:5: unexpected ']' in address"],
    ["[a[b]:5", "address [a[b]:5: unexpected '[' in address"],
  ])("rejects %j", (text, message) => {
    expect(() => splitHostPort(text)).toThrow(GoAddrError);
    expect(() => splitHostPort(text)).toThrow(message);
  });

  it("throws a SerfError with the address, Go's reason and code ADDRESS", () => {
    let caught: unknown;
    try {
      splitHostPort("10.0.0.1");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GoAddrError);
    expect(caught).toMatchObject({
      name: "GoAddrError",
      code: ErrorCode.ADDRESS,
      addr: "10.0.0.1",
      reason: MISSING_PORT_IN_ADDRESS,
    });
  });

  it("joins", () => {
    expect(joinHostPort("::1", 5)).toBe("[::1]:5");
    expect(joinHostPort("1.2.3.4", 5)).toBe("1.2.3.4:5");
    expect(joinHostPort("", 5)).toBe(":5");
    expect(joinHostPort("fe80::1%lo", "http")).toBe("[fe80::1%lo]:http");
  });

  it("round-trips", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
        fc.integer({ min: 0, max: 65535 }),
        (host, port) => {
          expect(splitHostPort(joinHostPort(host, port))).toEqual({ host, port: String(port) });
        },
      ),
    );
  });
});
