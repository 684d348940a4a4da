import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseEventScripts } from "./event-filter.ts";
import { EventHandlerRunner, type ScriptInvoker } from "./event-handler-runner.ts";
import type { HandlerEvent, QueryEventInput, SelfMember } from "./events.ts";
import type { HandlerLogger, ScriptResult } from "./script-invoker.ts";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-runner-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const enc = (s: string) => new TextEncoder().encode(s);
const self: SelfMember = { name: "node1", tags: { role: "web" } };

function recorder() {
  const lines: string[] = [];
  const logger: HandlerLogger = {
    debug: (m) => lines.push(`[DEBUG] ${m}`),
    warn: (m) => lines.push(`[WARN] ${m}`),
    error: (m) => lines.push(`[ERR] ${m}`),
  };
  return { lines, logger };
}

/** A handler script that appends `LABEL SERF_EVENT [name] <stdin>` to log.txt. */
function script(label: string): string {
  const path = join(dir, `${label}.sh`);
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      `printf '%s %s %s%s|' "${label}" "$SERF_EVENT" "$SERF_USER_EVENT" "$SERF_QUERY_NAME" >> "${dir}/log.txt"`,
      `cat >> "${dir}/log.txt"`,
      `printf ';\\n' >> "${dir}/log.txt"`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  return path;
}

function log(): string[] {
  try {
    return readFileSync(join(dir, "log.txt"), "utf8")
      .split(";\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

function query(name: string, responses: string[]): QueryEventInput {
  return {
    type: "query",
    name,
    payload: enc(""),
    lTime: 9,
    respond: (b) => {
      responses.push(Buffer.from(b).toString());
    },
  };
}

const join1: HandlerEvent = {
  type: "member-join",
  members: [{ name: "n2", addr: "127.0.0.2", tags: { role: "db" } }],
};
const leave1: HandlerEvent = {
  type: "member-leave",
  members: [{ name: "n3", addr: "127.0.0.3", tags: {} }],
};
const failed1: HandlerEvent = {
  type: "member-failed",
  members: [{ name: "n4", addr: "127.0.0.4", tags: {} }],
};
const deploy: HandlerEvent = { type: "user", name: "deploy", payload: enc("v1.2"), lTime: 5 };
const other: HandlerEvent = { type: "user", name: "other", payload: enc(""), lTime: 6 };

describe("EventHandlerRunner (real scripts)", () => {
  it("dispatches by filter: member-join,member-leave=h.sh / user:deploy=d.sh / query:uptime=uptime", async () => {
    const h = script("h");
    const d = script("d");
    const all = script("all");
    const responses: string[] = [];
    const { lines, logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts([
        `member-join,member-leave=${h}`,
        `user:deploy=${d}`,
        "query:uptime=uptime",
        all,
      ]),
      self: () => self,
      logger,
    });
    for (const e of [
      join1,
      leave1,
      failed1,
      deploy,
      other,
      query("uptime", responses),
      query("other", []),
    ]) {
      expect(runner.handleEvent(e)).toBe(true);
    }
    await runner.whenIdle();
    expect(log()).toEqual([
      "h member-join |n2\t127.0.0.2\tdb\trole=db\n",
      "all member-join |n2\t127.0.0.2\tdb\trole=db\n",
      "h member-leave |n3\t127.0.0.3\t\t\n",
      "all member-leave |n3\t127.0.0.3\t\t\n",
      "all member-failed |n4\t127.0.0.4\t\t\n",
      "d user deploy|v1.2\n",
      "all user deploy|v1.2\n",
      "all user other|",
      "all query uptime|",
      "all query other|",
    ]);
    // `uptime` answered the query (its output, "... load average: ...").
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatch(/load average/);
    expect(lines.filter((l) => l.startsWith("[ERR]"))).toEqual([]);
  });

  it("handles events one at a time, in order, without blocking the caller", async () => {
    const slow = join(dir, "slow.sh");
    writeFileSync(
      slow,
      `#!/bin/sh\necho "start $SERF_USER_EVENT" >> "${dir}/seq.txt"\nsleep 0.15\necho "end $SERF_USER_EVENT" >> "${dir}/seq.txt"\n`,
    );
    chmodSync(slow, 0o755);
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts([`user=${slow}`, `user:b=${slow}`]),
      self: () => self,
      logger,
    });
    const started = Date.now();
    for (const name of ["a", "b", "c"]) {
      runner.handleEvent({ type: "user", name, payload: enc(""), lTime: 1 });
    }
    expect(Date.now() - started).toBeLessThan(100);
    expect(runner.queueLength).toBe(2);
    await runner.whenIdle();
    expect(readFileSync(join(dir, "seq.txt"), "utf8").trim().split("\n")).toEqual([
      "start a",
      "end a",
      "start b",
      "end b",
      "start b",
      "end b",
      "start c",
      "end c",
    ]);
  });

  it("logs failing scripts with Go's message and goes on", async () => {
    const { lines, logger } = recorder();
    const ok = script("ok");
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["exit 2", ok]),
      self: () => self,
      logger,
    });
    runner.handleEvent(deploy);
    await runner.whenIdle();
    expect(lines).toContain("[ERR] Error invoking script 'exit 2': exit status 2");
    expect(log()).toEqual(["ok user deploy|v1.2\n"]);
  });

  it("applies updated scripts from the next event on", async () => {
    const a = script("a");
    const b = script("b");
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts([a]),
      self: () => self,
      logger,
    });
    runner.handleEvent(deploy);
    runner.handleEvent(other);
    runner.updateScripts(parseEventScripts([`user:other=${b}`]));
    await runner.whenIdle();
    // The update landed while "deploy" ran; "other" already used the new list.
    expect(log()).toEqual(["a user deploy|v1.2\n", "b user other|"]);
    expect(runner.currentScripts).toEqual(parseEventScripts([`user:other=${b}`]));
  });

  it("never hands serf's internal queries to scripts", async () => {
    const all = script("all");
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts([all]),
      self: () => self,
      logger,
    });
    runner.handleEvent(query("_serf_ping", []));
    runner.handleEvent(query("_serf_install-key", []));
    await runner.whenIdle();
    expect(log()).toEqual([]);
  });

  it("reads the local member at handling time", async () => {
    const tagDump = join(dir, "tags.sh");
    writeFileSync(tagDump, `#!/bin/sh\necho "$SERF_SELF_ROLE $SERF_TAG_DC" >> "${dir}/tags.txt"\n`);
    chmodSync(tagDump, 0o755);
    let tags: Record<string, string> = { role: "a", dc: "x" };
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts([tagDump]),
      self: () => ({ name: "me", tags }),
      logger,
    });
    runner.handleEvent(deploy);
    await runner.whenIdle();
    tags = { role: "b", dc: "y" };
    runner.handleEvent(deploy);
    await runner.whenIdle();
    expect(readFileSync(join(dir, "tags.txt"), "utf8")).toBe("a x\nb y\n");
  });
});

describe("EventHandlerRunner queue", () => {
  /** An invoker that waits until released, recording what it ran. */
  function gatedInvoker() {
    const ran: string[] = [];
    const releases: Array<() => void> = [];
    const invoke: ScriptInvoker = (scriptText, _self, event) => {
      ran.push(`${scriptText}:${event.type === "user" ? event.name : event.type}`);
      return new Promise<ScriptResult>((resolve) => {
        releases.push(() =>
          resolve({
            exitCode: 0,
            signal: null,
            output: new Uint8Array(0),
            totalOutputBytes: 0,
            timedOut: false,
            aborted: false,
          }),
        );
      });
    };
    const releaseAll = async () => {
      // The first event's scripts start on the next turn of the event loop.
      await new Promise((r) => setImmediate(r));
      while (releases.length > 0) {
        releases.shift()?.();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    return { ran, invoke, releaseAll, releases };
  }

  const user = (name: string): HandlerEvent => ({ type: "user", name, payload: enc(""), lTime: 1 });

  it("starts scripts after handleEvent returned (no spawning on the gossip path)", async () => {
    const { ran, invoke, releaseAll } = gatedInvoker();
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["s"]),
      self: () => self,
      logger,
      invoke,
    });
    expect(runner.handleEvent(user("e1"))).toBe(true);
    expect(ran).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(["s:e1"]);
    await releaseAll();
    await runner.whenIdle();
  });

  it("drops and counts events beyond its capacity, logging once per burst", async () => {
    const { ran, invoke, releaseAll } = gatedInvoker();
    const { lines, logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["s"]),
      self: () => self,
      logger,
      queueCapacity: 2,
      invoke,
    });
    const accepted = ["e1", "e2", "e3", "e4", "e5"].map((n) => runner.handleEvent(user(n)));
    // e1 is running, e2 and e3 wait, e4 and e5 are dropped.
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(runner.droppedEvents).toBe(2);
    expect(lines).toEqual([
      "[WARN] Event handler queue full (2 events), dropping event: user-event: e4",
    ]);
    await releaseAll();
    expect(runner.handleEvent(user("e6"))).toBe(true);
    expect(lines.at(-1)).toBe(
      "[WARN] Event handler queue accepting events again, dropped 2 event(s)",
    );
    await releaseAll();
    await runner.whenIdle();
    expect(ran).toEqual(["s:e1", "s:e2", "s:e3", "s:e6"]);
  });

  it("onHandled runs once every script finished an event, never for one cut short by close()", async () => {
    const { invoke, releases } = gatedInvoker();
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["s1", "s2"]),
      self: () => self,
      logger,
      invoke,
    });
    const handled: string[] = [];
    for (const n of ["a", "b", "c"]) runner.handleEvent(user(n), () => handled.push(n));
    // Ends the running script: waits until one is running (scripts start on a later turn of
    // the event loop than handleEvent), releases it, and lets the runner move on.
    const step = async () => {
      for (let i = 0; i < 100 && releases.length === 0; i++) {
        await new Promise((r) => setImmediate(r));
      }
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    };
    await step(); // a: s1 done, s2 running
    expect(handled).toEqual([]);
    await step(); // a: s2 done
    expect(handled).toEqual(["a"]);
    await step(); // b: s1 done, s2 running: the crash point
    const closing = runner.close();
    await step();
    await closing;
    expect(handled).toEqual(["a"]);
  });

  it("close() drops queued events, stops the running script and refuses new ones", async () => {
    const { logger } = recorder();
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["sleep 30"]),
      self: () => self,
      logger,
      invokeOptions: { killGraceMs: 500 },
    });
    runner.handleEvent(user("a"));
    runner.handleEvent(user("b"));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await runner.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(runner.queueLength).toBe(0);
    expect(runner.handleEvent(user("c"))).toBe(false);
    await runner.whenIdle();
  });

  it("survives a failing self() and a throwing invoker", async () => {
    const { lines, logger } = recorder();
    let calls = 0;
    const runner = new EventHandlerRunner({
      scripts: parseEventScripts(["s"]),
      self: () => {
        calls++;
        if (calls === 1) throw new Error("serf is shutting down");
        return self;
      },
      logger,
      invoke: async () => {
        throw new Error("boom");
      },
    });
    runner.handleEvent(user("a"));
    runner.handleEvent(user("b"));
    await runner.whenIdle();
    expect(lines).toEqual([
      "[ERR] Failed to get the local member: serf is shutting down",
      "[ERR] Error invoking script 's': boom",
    ]);
    expect(
      () => new EventHandlerRunner({ scripts: [], self: () => self, logger, queueCapacity: 0 }),
    ).toThrow(RangeError);
  });
});
