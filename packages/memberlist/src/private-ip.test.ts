import { describe, expect, it } from "vitest";
import { NetTransport } from "./net-transport.ts";
import { defaultRouteInterface, getPrivateIP, selectPrivateIP } from "./private-ip.ts";
import { TransportErrorCode } from "./transport.ts";

const a = (iface: string, address: string, netmask: string) => ({ iface, address, netmask });
const LO = [
  a("lo", "127.0.0.1", "255.0.0.0"),
  a("lo", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
];

describe("selectPrivateIP (go-sockaddr GetPrivateIP)", () => {
  it("prefers a private address over the public one on the default interface", () => {
    const addrs = [
      ...LO,
      a("eth0", "93.184.216.34", "255.255.255.0"),
      a("eth1", "10.1.2.3", "255.255.255.0"),
    ];
    expect(selectPrivateIP(addrs, "eth0")).toBe("10.1.2.3");
  });

  it("takes RFC 6598 shared space, and none of loopback, link-local or public", () => {
    expect(selectPrivateIP([...LO, a("eth0", "100.64.7.1", "255.192.0.0")], undefined)).toBe(
      "100.64.7.1",
    );
    const none = [
      ...LO,
      a("eth0", "93.184.216.34", "255.255.255.0"),
      a("eth0", "169.254.1.1", "255.255.0.0"),
      a("eth0", "fe80::1", "ffff:ffff:ffff:ffff::"),
    ];
    expect(selectPrivateIP(none, "eth0")).toBeUndefined();
  });

  it("orders by default interface, then IPv4 before IPv6, then larger networks first", () => {
    const addrs = [
      a("eth0", "fd00::5", "ffff:ffff:ffff:ffff::"),
      a("eth0", "192.168.1.5", "255.255.255.0"),
      a("eth1", "10.0.0.5", "255.0.0.0"),
    ];
    expect(selectPrivateIP(addrs, "eth0")).toBe("192.168.1.5");
    expect(selectPrivateIP(addrs, undefined)).toBe("10.0.0.5");
    // A documentation address is not forwardable: a ULA IPv6 address wins (as Go on such hosts).
    expect(
      selectPrivateIP(
        [a("eth0", "192.0.2.2", "255.255.255.0"), a("eth0", "fd00::2", "ffff:ffff:ffff:ffff::")],
        "eth0",
      ),
    ).toBe("fd00::2");
  });

  it("reads the default route's interface from /proc/net/route", () => {
    const table = [
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
      "eth1\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
    ].join("\n");
    expect(defaultRouteInterface(table)).toBe("eth0");
    expect(defaultRouteInterface(table.split("\n").slice(0, 2).join("\n"))).toBeUndefined();
    expect(
      getPrivateIP({
        networkInterfaces: () => ({
          eth0: [
            {
              address: "93.184.216.34",
              netmask: "255.255.255.0",
              family: "IPv4",
              mac: "",
              internal: false,
              cidr: null,
            },
          ],
        }),
        procNetRoute: () => table,
      }),
    ).toBeUndefined();
  });

  it("NetTransport refuses a 0.0.0.0 bind without a private address, with Go's text", async () => {
    const err = await NetTransport.create({
      bindAddress: "0.0.0.0",
      bindPort: 0,
      privateIP: () => undefined,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: TransportErrorCode.ADVERTISE,
      message:
        "Failed to get final advertise address: No private IP address found, and explicit IP not provided",
    });
    const t = await NetTransport.create({
      bindAddress: "0.0.0.0",
      bindPort: 0,
      privateIP: () => "10.9.8.7",
    });
    try {
      expect(t.localAddress).toBe(`10.9.8.7:${t.port}`);
    } finally {
      await t.close();
    }
  });
});
