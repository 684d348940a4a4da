/**
 * Payload types from plain JavaScript (issue 11 item 4): a child process runs
 * `test/plain-js/payloads.mjs` against the BUILT package (`dist/`, as an npm user gets it), so
 * TypeScript cannot hide a wrong type. Strings go out as UTF-8, `Uint8Array`s as is, anything
 * else is a `TypeError` and nothing is sent. A fake agent records the decoded request bodies.
 */

import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FakeAgent } from "./testing/fake-agent.ts";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "../test/plain-js/payloads.mjs");
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function runScript(addr: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, addr], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let agent: FakeAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

describe("payloads from plain JavaScript (built package)", () => {
  it("sends strings as UTF-8 and bytes as is; rejects anything else with a TypeError", async () => {
    agent = await FakeAgent.start((req, conn) => {
      if (req.command === "event") {
        conn.reply("event", req.seq, "");
        return true;
      }
      if (req.command === "respond") {
        conn.reply("respond", req.seq, "");
        return true;
      }
      if (req.command === "query") {
        conn.reply("query", req.seq, "");
        conn.record("query", req.seq, { type: "done", from: "", payload: null });
        return true;
      }
      return false;
    });
    const lines = (await runScript(agent.addr)).trim().split("\n");
    const results = new Map(
      lines.map((l) => {
        const r = JSON.parse(l) as { call: string; ok?: true; error?: string };
        return [r.call, r.error ?? "ok"];
      }),
    );
    for (const call of [
      "event string",
      "event bytes",
      "event buffer",
      "event none",
      "query string",
      "query bytes",
      "respond string",
      "respond bytes",
    ]) {
      expect([call, results.get(call)]).toEqual([call, "ok"]);
    }
    for (const label of ["number", "object", "array", "arraybuffer", "boolean"]) {
      for (const [call, what] of [
        ["event", "userEvent payload"],
        ["query", "query payload"],
        ["respond", "respond payload"],
      ]) {
        expect([call, label, results.get(`${call} ${label}`)]).toEqual([
          call,
          label,
          expect.stringMatching(new RegExp(`^TypeError: ${what} must be a string or a Uint8Array`)),
        ]);
      }
    }

    // What reached the agent: exactly the good calls, with the right bytes.
    const bodies = agent.last.requests
      .filter((r) => r.command !== "handshake")
      .map((r) => [r.command, r.body] as const);
    const payloadOf = (command: string, key: string, value: unknown) =>
      (
        bodies.find(
          ([c, b]) => c === command && (b as Record<string, unknown>)[key] === value,
        )?.[1] as { payload: Uint8Array | null } | undefined
      )?.payload;
    expect(bodies.map(([c]) => c)).toEqual([
      "event",
      "event",
      "event",
      "event",
      "query",
      "query",
      "respond",
      "respond",
    ]);
    expect(payloadOf("event", "name", "ev-string")).toEqual(utf8("hello"));
    expect(payloadOf("event", "name", "ev-bytes")).toEqual(new Uint8Array([0, 255, 1]));
    expect(payloadOf("event", "name", "ev-buffer")).toEqual(utf8("buf"));
    expect(payloadOf("event", "name", "ev-none") ?? null).toEqual(null);
    expect(payloadOf("query", "name", "q-string")).toEqual(utf8("héllo ☺"));
    expect(payloadOf("query", "name", "q-bytes")).toEqual(new Uint8Array([7]));
    expect(payloadOf("respond", "id", 11)).toEqual(utf8("pong"));
    expect(payloadOf("respond", "id", 12)).toEqual(new Uint8Array([0xff]));
  });
});
