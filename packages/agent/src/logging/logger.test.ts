import { describe, expect, it } from "vitest";
import { ConfigError } from "../config/config-error.ts";
import { checkLogLevel, parseLogLevel, passesLevel } from "./log-level.ts";
import { LogRing } from "./log-ring.ts";
import { formatLogTimestamp, Logger } from "./logger.ts";
import { type SyslogPriority, toSyslog } from "./syslog.ts";

const fixed = () => new Date(2026, 10, 24, 20, 0, 5);

function capture() {
  const chunks: string[] = [];
  return { chunks, output: { write: (chunk: string) => chunks.push(chunk) } };
}

describe("log levels", () => {
  it("parses any case and rejects others with Go's message", () => {
    expect(parseLogLevel("debug")).toBe("DEBUG");
    expect(parseLogLevel("Err")).toBe("ERR");
    expect(parseLogLevel("error")).toBeUndefined();
    expect(() => checkLogLevel("foo")).toThrow(ConfigError);
    expect(() => checkLogLevel("foo")).toThrow(
      "Invalid log level: FOO. Valid log levels are: [TRACE DEBUG INFO WARN ERR]",
    );
  });

  it("filters like logutils: unknown or missing tags pass", () => {
    expect(passesLevel("x [DEBUG] agent: y", "INFO")).toBe(false);
    expect(passesLevel("x [INFO] agent: y", "INFO")).toBe(true);
    expect(passesLevel("x [ERR] agent: y", "WARN")).toBe(true);
    expect(passesLevel("x [FOO] agent: y", "ERR")).toBe(true);
    expect(passesLevel("no level at all", "ERR")).toBe(true);
    expect(passesLevel("x [TRACE] memberlist: y", "TRACE")).toBe(true);
  });
});

describe("Logger", () => {
  it("writes serf's console format", () => {
    const { chunks, output } = capture();
    const logger = new Logger({ output, now: fixed });
    logger.child("agent").info("Serf agent starting");
    logger.child("agent").child("ipc").warn("slow", { client: "127.0.0.1:1", n: 2 });
    logger.log("ERR", "serf", "boom");
    expect(chunks).toEqual([
      "    2026/11/24 20:00:05 [INFO] agent: Serf agent starting\n",
      "    2026/11/24 20:00:05 [WARN] agent.ipc: slow client=127.0.0.1:1 n=2\n",
      "    2026/11/24 20:00:05 [ERR] serf: boom\n",
    ]);
    expect(formatLogTimestamp(new Date(2026, 0, 2, 3, 4, 5))).toBe("2026/01/02 03:04:05 ");
  });

  it("prefixes only the first line of a multi-line message", () => {
    const { chunks, output } = capture();
    const logger = new Logger({ output, now: fixed });
    logger.child("agent").warn("Join failed: 1 error occurred:\n\t* x\n\n, retrying in 30s");
    expect(chunks.join("")).toBe(
      "    2026/11/24 20:00:05 [WARN] agent: Join failed: 1 error occurred:\n\t* x\n\n, retrying in 30s\n",
    );
  });

  it("filters the console by level but keeps every line in the ring", () => {
    const { chunks, output } = capture();
    const logger = new Logger({ output, now: fixed, level: "INFO" });
    const agent = logger.child("agent");
    agent.trace("t");
    agent.debug("d");
    agent.info("i");
    expect(chunks).toEqual(["    2026/11/24 20:00:05 [INFO] agent: i\n"]);
    expect(logger.ring.snapshot()).toEqual([
      "2026/11/24 20:00:05 [TRACE] agent: t",
      "2026/11/24 20:00:05 [DEBUG] agent: d",
      "2026/11/24 20:00:05 [INFO] agent: i",
    ]);
    logger.setLevel("debug");
    expect(logger.level).toBe("DEBUG");
    agent.debug("d2");
    expect(chunks.at(-1)).toBe("    2026/11/24 20:00:05 [DEBUG] agent: d2\n");
    expect(() => logger.setLevel("nope")).toThrow("Invalid log level: NOPE");
    expect(logger.level).toBe("DEBUG");
  });

  it("holds console output until the gate opens", () => {
    const { chunks, output } = capture();
    const logger = new Logger({ output, now: fixed, gated: true });
    logger.child("agent").info("early");
    expect(chunks).toEqual([]);
    expect(logger.gated).toBe(true);
    logger.openGate();
    logger.child("agent").info("late");
    expect(chunks).toEqual([
      "    2026/11/24 20:00:05 [INFO] agent: early\n",
      "    2026/11/24 20:00:05 [INFO] agent: late\n",
    ]);
  });

  it("streams to subscribers after replaying the ring", () => {
    const logger = new Logger({ output: { write: () => true }, now: fixed, ring: 2 });
    const agent = logger.child("agent");
    agent.info("a");
    agent.info("b");
    agent.info("c");
    const seen: string[] = [];
    const stop = logger.subscribe((line) => seen.push(line));
    agent.debug("d");
    stop();
    agent.info("e");
    expect(seen).toEqual([
      "2026/11/24 20:00:05 [INFO] agent: b",
      "2026/11/24 20:00:05 [INFO] agent: c",
      "2026/11/24 20:00:05 [DEBUG] agent: d",
    ]);
  });

  it("sends lines passing the level to syslog without timestamp and tag", () => {
    const sent: Array<[SyslogPriority, string]> = [];
    const logger = new Logger({
      output: { write: () => true },
      now: fixed,
      syslog: { write: (p, m) => sent.push([p, m]) },
    });
    logger.child("agent").info("hello");
    logger.child("agent").debug("hidden");
    logger.child("agent").error("bad");
    expect(sent).toEqual([
      ["notice", "agent: hello\n"],
      ["err", "agent: bad\n"],
    ]);
    expect(toSyslog("2026/11/24 20:00:05 [TRACE] x: y")).toEqual({
      priority: "debug",
      message: "x: y",
    });
    expect(toSyslog("plain")).toEqual({ priority: "notice", message: "plain" });
  });
});

describe("LogRing", () => {
  it("keeps the last N lines and tolerates broken subscribers", () => {
    const ring = new LogRing(3);
    for (const l of ["1", "2\n", "3", "4"]) ring.write(l);
    expect(ring.snapshot()).toEqual(["2", "3", "4"]);
    const seen: string[] = [];
    const bad = () => {
      throw new Error("broken");
    };
    ring.subscribe(bad);
    const good = (line: string) => seen.push(line);
    const stop = ring.subscribe(good);
    ring.subscribe(good);
    ring.write("5");
    expect(seen).toEqual(["2", "3", "4", "5"]);
    expect(ring.subscriberCount).toBe(2);
    stop();
    expect(ring.subscriberCount).toBe(1);
    expect(() => new LogRing(0)).toThrow(RangeError);
  });
});
