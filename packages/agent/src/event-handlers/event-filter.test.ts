import { describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode } from "../config/config-error.ts";
import {
  describeEventScript,
  eventFilterMatches,
  isValidEventFilter,
  parseEventFilter,
  parseEventScript,
  parseEventScripts,
  validateEventScripts,
} from "./event-filter.ts";
import type { HandlerEvent } from "./events.ts";

const payload = new Uint8Array(0);
const member = (
  type: "member-join" | "member-leave" | "member-failed" | "member-update" | "member-reap",
): HandlerEvent => ({
  type,
  members: [],
});
const user = (name: string): HandlerEvent => ({ type: "user", name, payload, lTime: 1 });
const query = (name: string): HandlerEvent => ({
  type: "query",
  name,
  payload,
  lTime: 1,
  respond: () => {},
});

const EVENTS: Record<string, HandlerEvent> = {
  join: member("member-join"),
  leave: member("member-leave"),
  failed: member("member-failed"),
  update: member("member-update"),
  reap: member("member-reap"),
  "user:deploy": user("deploy"),
  "user:other": user("other"),
  "query:uptime": query("uptime"),
  "query:other": query("other"),
};

/** Which of EVENTS each filter spec selects. */
const MATRIX: Array<[string, string[]]> = [
  ["*", Object.keys(EVENTS)],
  ["", Object.keys(EVENTS)],
  ["member-join", ["join"]],
  ["member-leave", ["leave"]],
  ["member-failed", ["failed"]],
  ["member-update", ["update"]],
  ["member-reap", ["reap"]],
  ["member-join,member-leave", ["join", "leave"]],
  ["user", ["user:deploy", "user:other"]],
  ["user:", ["user:deploy", "user:other"]],
  ["user:deploy", ["user:deploy"]],
  ["query", ["query:uptime", "query:other"]],
  ["query:", ["query:uptime", "query:other"]],
  ["query:uptime", ["query:uptime"]],
  ["user:deploy,query:uptime,member-reap", ["user:deploy", "query:uptime", "reap"]],
];

describe("event filters", () => {
  it.each(MATRIX)("%j selects %j", (spec, expected) => {
    const scripts = parseEventScript(`${spec}=s.sh`);
    const selected = Object.keys(EVENTS).filter((k) =>
      scripts.some((s) => eventFilterMatches(s, EVENTS[k] as HandlerEvent)),
    );
    expect(selected.sort()).toEqual([...expected].sort());
  });

  it("parses specs like Go", () => {
    expect(parseEventScript("member-join,member-leave=./h.sh")).toEqual([
      { event: "member-join", name: "", script: "./h.sh" },
      { event: "member-leave", name: "", script: "./h.sh" },
    ]);
    expect(parseEventScript("user:deploy=./d.sh")).toEqual([
      { event: "user", name: "deploy", script: "./d.sh" },
    ]);
    expect(parseEventScript("query:uptime=uptime")).toEqual([
      { event: "query", name: "uptime", script: "uptime" },
    ]);
    expect(parseEventScript("./all.sh")).toEqual([{ event: "*", name: "", script: "./all.sh" }]);
    // Split at the first "=": the script may contain "=" when a filter is given.
    expect(parseEventScript("*=FOO=1 ./x.sh")).toEqual([
      { event: "*", name: "", script: "FOO=1 ./x.sh" },
    ]);
    expect(parseEventScript("FOO=1 ./x.sh")).toEqual([
      { event: "FOO", name: "", script: "1 ./x.sh" },
    ]);
    expect(parseEventScript("=x.sh")).toEqual([{ event: "*", name: "", script: "x.sh" }]);
    expect(parseEventScript("user:a=b=c")).toEqual([{ event: "user", name: "a", script: "b=c" }]);
    expect(parseEventFilter("user:x,query:y")).toEqual([
      { event: "user", name: "x" },
      { event: "query", name: "y" },
    ]);
    expect(parseEventScripts(["a.sh", "user=b.sh"])).toHaveLength(2);
  });

  it.each(["member-*", "foo", "USER", "user ", " member-join", "members-join", "Member-Join"])(
    "rejects %j",
    (filter) => {
      const [script] = parseEventScript(`${filter}=s.sh`);
      expect(script).toBeDefined();
      if (script === undefined) return;
      expect(isValidEventFilter(script)).toBe(false);
    },
  );

  it("reports the first invalid element with Go's message", () => {
    const scripts = parseEventScripts([
      "member-join=a.sh",
      "member-join,bogus,user:x,other=bar.sh",
    ]);
    try {
      validateEventScripts(scripts);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe(ConfigErrorCode.INVALID_EVENT_SCRIPT);
      expect((err as ConfigError).message).toBe(
        "Invalid event script: Event 'bogus' invoking 'bar.sh'",
      );
    }
    expect(describeEventScript({ event: "user", name: "deploy", script: "d.sh" })).toBe(
      "Event 'user:deploy' invoking 'd.sh'",
    );
    expect(describeEventScript({ event: "USER:x", name: "", script: "a.sh" })).toBe(
      "Event 'USER:x' invoking 'a.sh'",
    );
  });
});
