// Plain JavaScript (no TypeScript to catch a wrong type) against the BUILT package: the
// payloads a JS caller may pass to userEvent, query and respond. Prints one JSON line per call:
// {"call": ..., "ok": true} or {"call": ..., "error": "<name>: <message>"}.
// Usage: node payloads.mjs <agent rpc addr>
import { RpcClient } from "@serf-ts/rpc-client";

const addr = process.argv[2];
const client = await RpcClient.connect({ addr });

async function attempt(call, fn) {
  try {
    await fn();
    process.stdout.write(`${JSON.stringify({ call, ok: true })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ call, error: `${err.name}: ${err.message}` })}\n`);
  }
}

async function drainQuery(params) {
  const sub = await client.query(params);
  for await (const _record of sub) {
    // the fake agent ends the query at once
  }
}

await attempt("event string", () => client.userEvent("ev-string", "hello"));
await attempt("event bytes", () => client.userEvent("ev-bytes", new Uint8Array([0, 255, 1])));
await attempt("event buffer", () => client.userEvent("ev-buffer", Buffer.from("buf")));
await attempt("event none", () => client.userEvent("ev-none"));
await attempt("query string", () => drainQuery({ name: "q-string", payload: "héllo ☺" }));
await attempt("query bytes", () => drainQuery({ name: "q-bytes", payload: new Uint8Array([7]) }));
await attempt("respond string", () => client.respond(11, "pong"));
await attempt("respond bytes", () => client.respond(12, new Uint8Array([0xff])));
for (const [label, bad] of [
  ["number", 42],
  ["object", { a: 1 }],
  ["array", [104, 105]],
  ["arraybuffer", new ArrayBuffer(2)],
  ["boolean", true],
]) {
  await attempt(`event ${label}`, () => client.userEvent(`ev-bad-${label}`, bad));
  await attempt(`query ${label}`, () => drainQuery({ name: `q-bad-${label}`, payload: bad }));
  await attempt(`respond ${label}`, () => client.respond(99, bad));
}
await client.close();
