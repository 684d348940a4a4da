import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HandlerEvent, MemberEventType, QueryEventInput, SelfMember } from "./events.ts";
import {
  eventStdin,
  type HandlerLogger,
  invokeEventScript,
  SCRIPT_OUTPUT_LIMIT_BYTES,
  sanitizeTagName,
  scriptEnv,
} from "./script-invoker.ts";

let dir: string;
let dump: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-scripts-"));
  dump = join(dir, "dump.sh");
  // Writes the SERF_* environment and stdin to $OUT.env / $OUT.stdin, then prints to both
  // stdout and stderr.
  writeFileSync(
    dump,
    [
      "#!/bin/sh",
      'env | grep "^SERF_" | sort > "$OUT.env"',
      'cat > "$OUT.stdin"',
      "echo to-stdout",
      "echo to-stderr >&2",
      "",
    ].join("\n"),
  );
  chmodSync(dump, 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function recorder() {
  const lines: string[] = [];
  const logger: HandlerLogger = {
    debug: (m) => lines.push(`[DEBUG] ${m}`),
    warn: (m) => lines.push(`[WARN] ${m}`),
    error: (m) => lines.push(`[ERR] ${m}`),
  };
  return { lines, logger };
}

let counter = 0;
async function runDump(event: HandlerEvent, self: SelfMember, script = dump) {
  const out = join(dir, `run${++counter}`);
  const { lines, logger } = recorder();
  const result = await invokeEventScript(script, self, event, logger, {
    env: { ...process.env, OUT: out },
  });
  const env = Object.fromEntries(
    readFileSync(`${out}.env`, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const stdin = readFileSync(`${out}.stdin`);
  return { result, env, stdin, lines };
}

const self: SelfMember = {
  name: "n1",
  tags: { role: "web", "my-tag.x": "v1", ROLE: "up", "\u00e9": "1", "\u0131": "2" },
};
const enc = (s: string) => new TextEncoder().encode(s);

function query(
  name: string,
  payload: string,
  respond: QueryEventInput["respond"],
): QueryEventInput {
  return { type: "query", name, payload: enc(payload), lTime: 7, respond };
}

describe("script environment", () => {
  it("sanitizes tag names exactly like Go", () => {
    expect(sanitizeTagName("my-tag.x")).toBe("MY_TAG_X");
    expect(sanitizeTagName("role")).toBe("ROLE");
    expect(sanitizeTagName("a1_b")).toBe("A1_B");
    // Observed with serf 0.9.4: é → _, ı → I.
    expect(sanitizeTagName("\u00e9")).toBe("_");
    expect(sanitizeTagName("\u0131")).toBe("I");
    expect(sanitizeTagName("\u017f")).toBe("S");
    expect(sanitizeTagName("\u{1f600}x")).toBe("_X");
    expect(sanitizeTagName("")).toBe("");
  });

  it("builds the variables (serf's win over the agent's)", () => {
    const env = scriptEnv(
      self,
      { type: "user", name: "deploy", payload: enc(""), lTime: 42n },
      {
        SERF_EVENT: "stale",
        PATH: "/bin",
        UNSET: undefined,
      },
    );
    expect(env).toMatchObject({
      PATH: "/bin",
      SERF_EVENT: "user",
      SERF_SELF_NAME: "n1",
      SERF_SELF_ROLE: "web",
      SERF_TAG_MY_TAG_X: "v1",
      SERF_TAG__: "1",
      SERF_TAG_I: "2",
      SERF_USER_EVENT: "deploy",
      SERF_USER_LTIME: "42",
    });
    expect("UNSET" in env).toBe(false);
  });
});

describe("invokeEventScript (real /bin/sh)", () => {
  it("passes raw (non-UTF-8) bytes of names and tags through, as Go does", async () => {
    // "\udcff" is how @serf-ts/wire keeps the raw byte 0xFF of a Go string.
    const rawSelf: SelfMember = { name: "n\udcff1", tags: { role: "r\udcfe", t: "a\n\udcff" } };
    const hexDump = join(dir, "hex.sh");
    writeFileSync(
      hexDump,
      [
        "#!/bin/sh",
        'for v in "$SERF_USER_EVENT" "$SERF_SELF_NAME" "$SERF_SELF_ROLE" "$SERF_TAG_T" "$SERF_EVENT"; do',
        '  printf %s "$v" | od -An -tx1 | tr -d " \n"; echo',
        'done > "$OUT.env"',
        'od -An -tx1 | tr -d " \n" > "$OUT.stdin"',
        "",
      ].join("\n"),
    );
    chmodSync(hexDump, 0o755);
    const out = join(dir, `run${++counter}`);
    const { logger } = recorder();
    const name = "\udcffev'$x\"%\\n\n";
    const result = await invokeEventScript(
      hexDump,
      rawSelf,
      { type: "user", name, payload: Uint8Array.of(0xff, 0x0a), lTime: 1n },
      logger,
      { env: { ...process.env, OUT: out } },
    );
    expect(result.exitCode).toBe(0);
    expect(readFileSync(`${out}.env`, "utf8").split("\n")).toEqual([
      "ff657627247822255c6e0a", // \xff ev ' $ x " % \ n \n: byte for byte, trailing newline kept
      "6eff31",
      "72fe",
      "610aff",
      "75736572", // "user"
      "",
    ]);
    expect(readFileSync(`${out}.stdin`, "utf8")).toBe("ff0a");
    // Member lines on stdin keep raw bytes too.
    const lines = eventStdin({
      type: "member-join",
      members: [{ name: "m\udcff", addr: "127.0.0.1", tags: { role: "\udcfe" } }],
    });
    expect(Buffer.from(lines).toString("hex")).toBe(
      Buffer.from("m\xff\t127.0.0.1\t\xfe\trole=\xfe\n", "latin1").toString("hex"),
    );
  });

  it.each<MemberEventType>([
    "member-join",
    "member-leave",
    "member-failed",
    "member-update",
    "member-reap",
  ])("%s: env and member lines on stdin", async (type) => {
    const { result, env, stdin, lines } = await runDump(
      {
        type,
        members: [
          { name: "n1", addr: "127.0.0.1", port: 7946, tags: { role: "web1", dc: "east" } },
          { name: "s9", addr: "::1", tags: new Map() },
          {
            name: "h8",
            addr: "127.0.0.8",
            tags: new Map([
              ["role", "with\ttab"],
              ["nl", "a\nb"],
            ]),
          },
        ],
      },
      self,
    );
    expect(result.exitCode).toBe(0);
    expect(result.error).toBeUndefined();
    expect(env).toEqual({
      SERF_EVENT: type,
      SERF_SELF_NAME: "n1",
      SERF_SELF_ROLE: "web",
      SERF_TAG_I: "2",
      SERF_TAG_MY_TAG_X: "v1",
      SERF_TAG_ROLE: "up",
      SERF_TAG__: "1",
    });
    expect(stdin.toString("utf8")).toBe(
      "n1\t127.0.0.1\tweb1\trole=web1,dc=east\n" +
        "s9\t::1\t\t\n" +
        "h8\t127.0.0.8\twith\\ttab\trole=with\\ttab,nl=a\\nb\n",
    );
    expect(lines).toContain(`[DEBUG] Event '${type}' script output: to-stdout\nto-stderr\n`);
  });

  it("user event: payload on stdin with a newline appended, name and Lamport time in env", async () => {
    const noRole: SelfMember = { name: "solo", tags: {} };
    const { env, stdin } = await runDump(
      { type: "user", name: "deploy", payload: enc("pay load"), lTime: 3 },
      noRole,
    );
    expect(env).toEqual({
      SERF_EVENT: "user",
      SERF_SELF_NAME: "solo",
      SERF_SELF_ROLE: "",
      SERF_USER_EVENT: "deploy",
      SERF_USER_LTIME: "3",
    });
    expect(stdin.toString()).toBe("pay load\n");

    const withNewline = await runDump(
      { type: "user", name: "d", payload: enc("x\n"), lTime: 1 },
      noRole,
    );
    expect(withNewline.stdin.toString()).toBe("x\n");
    const empty = await runDump({ type: "user", name: "d", payload: enc(""), lTime: 1 }, noRole);
    expect(empty.stdin.length).toBe(0);
    const binary = await runDump(
      { type: "user", name: "d", payload: Uint8Array.from([0, 255, 10, 1]), lTime: 1 },
      noRole,
    );
    expect([...binary.stdin]).toEqual([0, 255, 10, 1, 10]);
  });

  it("query: stdout and stderr in order become the response", async () => {
    const responses: string[] = [];
    const { result, env, stdin } = await runDump(
      query("uptime", "", (bytes) => {
        responses.push(Buffer.from(bytes).toString());
      }),
      self,
    );
    expect(result.exitCode).toBe(0);
    expect(env.SERF_EVENT).toBe("query");
    expect(env.SERF_QUERY_NAME).toBe("uptime");
    expect(env.SERF_QUERY_LTIME).toBe("7");
    expect(stdin.length).toBe(0);
    expect(responses).toEqual(["to-stdout\nto-stderr\n"]);
  });

  it("query: interleaved writes keep their order (one pipe, as in Go)", async () => {
    const responses: string[] = [];
    const script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done";
    const { logger } = recorder();
    await invokeEventScript(
      script,
      self,
      query("q", "", (b) => {
        responses.push(Buffer.from(b).toString());
      }),
      logger,
    );
    expect(responses).toEqual(["out1\nerr1\nout2\nerr2\nout3\nerr3\nout4\nerr4\nout5\nerr5\n"]);
  });

  it("query: no response on failure or without output; respond errors are logged", async () => {
    const calls: Uint8Array[] = [];
    const { lines, logger } = recorder();
    const failed = await invokeEventScript(
      "echo partial; exit 3",
      self,
      query("q", "", (b) => {
        calls.push(b);
      }),
      logger,
    );
    expect(failed.exitCode).toBe(3);
    expect(failed.error).toBe("exit status 3");
    const silent = await invokeEventScript(
      "true",
      self,
      query("q", "", (b) => {
        calls.push(b);
      }),
      logger,
    );
    expect(silent.error).toBeUndefined();
    expect(calls).toEqual([]);

    await invokeEventScript(
      "echo big",
      self,
      query("big", "", async () => {
        throw new Error("failed to respond to key query: response exceeds limit of 1024 bytes");
      }),
      logger,
    );
    expect(lines).toContain(
      "[WARN] Failed to respond to query 'query: big': failed to respond to key query: response exceeds limit of 1024 bytes",
    );
  });

  it("keeps only the last 8192 bytes of output", async () => {
    let response: Uint8Array | undefined;
    const { logger } = recorder();
    const result = await invokeEventScript(
      // 10000 bytes: 9999 x 'a' then 'b' (head -c is POSIX enough for coreutils/busybox).
      "head -c 9999 /dev/zero | tr '\\0' a; printf b",
      self,
      query("q", "", (b) => {
        response = b;
      }),
      logger,
    );
    expect(result.totalOutputBytes).toBe(10000);
    expect(result.output.length).toBe(SCRIPT_OUTPUT_LIMIT_BYTES);
    expect(response?.length).toBe(SCRIPT_OUTPUT_LIMIT_BYTES);
    expect(Buffer.from(response ?? []).toString()).toBe(`${"a".repeat(8191)}b`);
  });

  it("reads the payload when the script wants it", async () => {
    let response = "";
    const { logger } = recorder();
    await invokeEventScript(
      "tr a-z A-Z",
      self,
      query("q", "hello", (b) => {
        response = Buffer.from(b).toString();
      }),
      logger,
    );
    expect(response).toBe("HELLO\n");
  });

  it("does not mind scripts that ignore stdin", async () => {
    const { logger } = recorder();
    const big = new Uint8Array(1 << 20).fill(0x61);
    const result = await invokeEventScript(
      "exit 0",
      self,
      { type: "user", name: "u", payload: big, lTime: 1 },
      logger,
    );
    expect(result.error).toBeUndefined();
  });

  it("reports exit statuses and signals with Go's texts", async () => {
    const { lines, logger } = recorder();
    const user: HandlerEvent = { type: "user", name: "u", payload: enc(""), lTime: 1 };
    expect((await invokeEventScript("exit 1", self, user, logger)).error).toBe("exit status 1");
    expect((await invokeEventScript("kill -KILL $$", self, user, logger)).error).toBe(
      "signal: killed",
    );
    expect((await invokeEventScript("kill -TERM $$", self, user, logger)).error).toBe(
      "signal: terminated",
    );
    const missing = await invokeEventScript("x", self, user, logger, { shell: "/nonexistent/sh" });
    expect(missing.error).toBe("fork/exec /nonexistent/sh: no such file or directory");
    expect(lines.filter((l) => l.startsWith("[DEBUG] Event 'user' script output:"))).toHaveLength(
      4,
    );
  });

  it("warns once about slow scripts", async () => {
    const { lines, logger } = recorder();
    await invokeEventScript("sleep 0.3", self, { type: "member-join", members: [] }, logger, {
      slowWarningMs: 50,
    });
    expect(lines.filter((l) => l.startsWith("[WARN]"))).toEqual([
      "[WARN] Script 'sleep 0.3' slow, execution exceeding 50ms",
    ]);
  });

  it("kills scripts that exceed the timeout, including their children", async () => {
    const { lines, logger } = recorder();
    const started = Date.now();
    const result = await invokeEventScript(
      "sleep 30 & sleep 30",
      self,
      { type: "member-join", members: [] },
      logger,
      { timeoutMs: 150, killGraceMs: 500 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.timedOut).toBe(true);
    expect(result.error).toBe("signal: terminated");
    expect(lines).toContain("[ERR] Script 'sleep 30 & sleep 30' timed out after 150ms, killing it");
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const { logger } = recorder();
    const started = Date.now();
    const result = await invokeEventScript(
      "trap '' TERM; while :; do sleep 0.05; done",
      self,
      { type: "member-join", members: [] },
      logger,
      { timeoutMs: 100, killGraceMs: 200 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.error).toBe("signal: killed");
  });

  it("stops on abort", async () => {
    const { logger } = recorder();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await invokeEventScript(
      "sleep 30",
      self,
      { type: "member-join", members: [] },
      logger,
      {
        signal: controller.signal,
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.error).toBe("signal: terminated");
  });

  it("runs in the given working directory", async () => {
    let response = "";
    const { logger } = recorder();
    await invokeEventScript(
      "pwd",
      self,
      query("q", "", (b) => {
        response = Buffer.from(b).toString();
      }),
      logger,
      { cwd: dir },
    );
    expect(response.trim()).toBe(dir);
  });

  it("builds stdin for each kind", () => {
    expect(
      eventStdin({ type: "query", name: "q", payload: enc("p"), lTime: 1, respond: () => {} }),
    ).toEqual(enc("p\n"));
    expect(
      eventStdin({ type: "member-update", members: [{ name: "a", addr: "1.2.3.4", tags: {} }] }),
    ).toEqual(enc("a\t1.2.3.4\t\t\n"));
  });
});
