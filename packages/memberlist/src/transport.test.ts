import { describe, expect, it } from "vitest";
import {
  addressFromBytes,
  addressToBytes,
  ipFromBytes,
  normalizeAddress,
  parseAddress,
  TransportError,
  TransportErrorCode,
  withDefaultPort,
} from "./transport.ts";

function addressError(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(TransportErrorCode.ADDRESS);
    return err as TransportError;
  }
  throw new Error("expected a TransportError");
}

describe("address helpers (wire's Go net functions with TransportError)", () => {
  it("parses host:port with a numeric port", () => {
    expect(parseAddress("10.0.0.1:7946")).toEqual({ host: "10.0.0.1", port: 7946 });
    expect(parseAddress("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseAddress("[]:1")).toEqual({ host: "", port: 1 });
    expect(parseAddress("node.example:65535")).toEqual({ host: "node.example", port: 65535 });
  });

  it.each([
    ["10.0.0.1", "missing port in address"],
    ["::1:7946", "too many colons in address"],
    ["[::1", "missing ']' in address"],
    ["[::1]", "missing port in address"],
    [":7946", "missing host"],
    ["10.0.0.1:http", "port must be a number"],
    ["10.0.0.1:", "port must be a number"],
    ["10.0.0.1:65536", "port out of range"],
  ])("rejects %j (%s)", (text, why) => {
    expect(addressError(() => parseAddress(text)).message).toBe(
      `invalid address "${text}": ${why}`,
    );
  });

  it("converts between IP bytes and address text", () => {
    const v6 = new Uint8Array(16);
    v6[15] = 1;
    expect(addressFromBytes(v6, 7946)).toBe("[::1]:7946");
    expect(addressToBytes("[::1]:7946")).toEqual({ ip: v6, port: 7946 });
    expect(addressToBytes("127.0.0.1:1")).toEqual({ ip: Uint8Array.of(127, 0, 0, 1), port: 1 });
    addressError(() => addressToBytes("localhost:1"));
    addressError(() => ipFromBytes(Uint8Array.of(1, 2)));
    addressError(() => ipFromBytes(new Uint8Array(0)));
  });

  it("normalises and defaults", () => {
    expect(normalizeAddress("[::ffff:10.0.0.1]:1")).toBe("10.0.0.1:1");
    expect(normalizeAddress("[2001:DB8:0:0:0:0:0:1]:1")).toBe("[2001:db8::1]:1");
    expect(normalizeAddress("host:1")).toBe("host:1");
    expect(withDefaultPort("10.0.0.1", 7946)).toBe("10.0.0.1:7946");
    expect(withDefaultPort("::1", 7946)).toBe("[::1]:7946");
    expect(withDefaultPort("[::1]:5", 7946)).toBe("[::1]:5");
  });
});
