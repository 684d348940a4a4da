import { describe, expect, it } from "vitest";
import type { ComponentLogger } from "../logging/logger.ts";
import { warnIfExposed } from "./agent-http-backend.ts";
import { isLoopbackHost } from "./loopback.ts";

function recorder(): { log: ComponentLogger; lines: string[] } {
  const lines: string[] = [];
  const fn = (m: string) => {
    lines.push(m);
  };
  const log = {
    component: "agent.http",
    trace: fn,
    debug: fn,
    info: fn,
    warn: fn,
    error: fn,
  } as unknown as ComponentLogger;
  return { log, lines };
}

describe("warnIfExposed", () => {
  it.each(["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"])(
    "is quiet on loopback %s",
    (host) => {
      const { log, lines } = recorder();
      expect(isLoopbackHost(host)).toBe(true);
      expect(warnIfExposed(host, false, log)).toBe(false);
      expect(lines).toEqual([]);
    },
  );

  it.each(["0.0.0.0", "10.0.0.5", "::", "128.0.0.1"])(
    "WARNs on %s without rpc_auth, not with it",
    (host) => {
      const { log, lines } = recorder();
      expect(warnIfExposed(host, false, log)).toBe(true);
      expect(lines[0]).toMatch(
        new RegExp(`non-loopback address ${host.replace(/\./g, "\\.")} without rpc_auth`),
      );
      expect(warnIfExposed(host, true, log)).toBe(false);
      expect(lines).toHaveLength(1);
    },
  );
});
