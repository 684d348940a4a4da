import { describe, expect, it } from "vitest";
import { ConfigErrorCode } from "./config-error.ts";
import {
  checkAdvertiseAddr,
  checkBindAddr,
  checkProfile,
  decodeEncryptKey,
  formatResolvedAddr,
  resolveAgentAddr,
} from "./setup-checks.ts";

const lookup = async (host: string) => {
  if (host === "localhost") return ["127.0.0.1"];
  throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
};

describe("addresses", () => {
  it("adds the default port 7946", async () => {
    await expect(resolveAgentAddr("127.0.0.1", lookup)).resolves.toEqual({
      ip: "127.0.0.1",
      port: 7946,
    });
    await expect(resolveAgentAddr("0.0.0.0", lookup)).resolves.toEqual({
      ip: "0.0.0.0",
      port: 7946,
    });
    await expect(resolveAgentAddr("[::1]", lookup)).resolves.toEqual({ ip: "::1", port: 7946 });
    await expect(resolveAgentAddr("localhost:5", lookup)).resolves.toEqual({
      ip: "127.0.0.1",
      port: 5,
    });
    await expect(resolveAgentAddr("127.0.0.1:", lookup)).resolves.toEqual({
      ip: "127.0.0.1",
      port: 0,
    });
    await expect(resolveAgentAddr("127.0.0.1:ssh", lookup)).resolves.toEqual({
      ip: "127.0.0.1",
      port: 22,
    });
    // Go would loop forever here; we report the error.
    await expect(resolveAgentAddr("[::1]]:5", lookup)).rejects.toThrow("missing port in address");
  });

  it("formats like TCPAddr.String", () => {
    expect(formatResolvedAddr({ ip: "127.0.0.1", port: 7946 })).toBe("127.0.0.1:7946");
    expect(formatResolvedAddr({ ip: "::1", port: 7946 })).toBe("[::1]:7946");
  });

  // Messages captured from serf 0.9.4.
  it.each([
    ["127.0.0.1:x", "Invalid bind address: address tcp/x: unknown port"],
    ["::1", "Invalid bind address: address ::1: too many colons in address"],
    ["127.0.0.1:70000", "Invalid bind address: address 70000: invalid port"],
    ["127.0.0.1:-1", "Invalid bind address: address -1: invalid port"],
    ["127.0.0.1:99999999999", "Invalid bind address: address 99999999999: invalid port"],
    ["[::1", "Invalid bind address: address [::1: missing ']' in address"],
    ["::1]:5", "Invalid bind address: address ::1]:5: too many colons in address"],
    ["a[b:5", "Invalid bind address: address a[b:5: unexpected '[' in address"],
    ["1.2.3.4.5:6", "Invalid bind address: lookup 1.2.3.4.5: no such host"],
  ])("bind %j", async (address, message) => {
    await expect(checkBindAddr(address, lookup)).rejects.toMatchObject({
      code: ConfigErrorCode.INVALID_BIND_ADDRESS,
      message,
    });
  });

  it("advertise errors", async () => {
    await expect(checkAdvertiseAddr("1.2.3.4:x", lookup)).rejects.toMatchObject({
      code: ConfigErrorCode.INVALID_ADVERTISE_ADDRESS,
      message: "Invalid advertise address: address tcp/x: unknown port",
    });
    await expect(checkAdvertiseAddr("[::ffff:127.9.9.8]", lookup)).resolves.toEqual({
      ip: "127.9.9.8",
      port: 7946,
    });
  });
});

describe("encryption key and profile", () => {
  it("decodes keys with Go's errors", () => {
    expect(decodeEncryptKey("")).toHaveLength(0);
    expect(decodeEncryptKey(Buffer.alloc(16, 1).toString("base64"))).toHaveLength(16);
    // A wrong length is memberlist's business, as in Go.
    expect(decodeEncryptKey("abc=")).toHaveLength(2);
    expect(() => decodeEncryptKey("abc")).toThrow(
      "Invalid encryption key: illegal base64 data at input byte 0",
    );
  });

  it("checks profiles", () => {
    expect(checkProfile("lan")).toBe("lan");
    expect(checkProfile("wan")).toBe("wan");
    expect(checkProfile("local")).toBe("local");
    expect(() => checkProfile("foo")).toThrow("Unknown profile: foo");
    expect(() => checkProfile("LAN")).toThrow("Unknown profile: LAN");
  });
});
