/**
 * The dashboard in a real browser (chromium via playwright-core) against a 3-agent mixed
 * cluster: TS node 0 serves the API and the page (`-http-addr`), node 1 is Go serf, node 2 is
 * TS. The page must list every member, show a Go-CLI user event in its timeline, send an
 * event that reaches every agent's handler (Go's included), run a query, turn a SIGKILLed
 * member `failed` without a reload, and log no console errors. A second agent with `rpc_auth`
 * answers 401 without the key, and its page asks for the key once.
 */

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort, randomLoopbackIp, stopAll, trackedPids } from "@serf-ts/testkit";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, requireChromium, type TestBrowser } from "../src/harness/browser.ts";
import type { Cluster } from "../src/harness/cluster.ts";
import { e2eEnvironment, removeTempDirs, tempDir, writeScript } from "../src/harness/suite.ts";

const env = await e2eEnvironment();
const haveChromium = requireChromium();
const IMPLS = ["ts", "go", "ts"] as const;
const runnable = haveChromium && env.runnable(IMPLS);

/** Local profile: failure detection and gossip are bounded by one push/pull plus margin. */
const BOUND_MS = 35_000;

let cluster: Cluster | undefined;
let browser: TestBrowser | undefined;
let page: Page;
let base = "";
let handlerDir = "";
const consoleErrors: string[] = [];

function handled(node: { name: string }): string[] {
  const file = join(handlerDir, `${node.name}.events`);
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

function watchConsole(p: Page): void {
  p.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`console: ${m.text()}`);
  });
  p.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));
  p.on("requestfailed", (r) => {
    // Streams cut when the page or browser closes are not errors of the page.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? "")) {
      consoleErrors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ""}`);
    }
  });
}

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
  await stopAll();
  expect(trackedPids()).toEqual([]);
  removeTempDirs();
});

describe.skipIf(!runnable)("dashboard on a mixed cluster (TS serves, Go + TS members)", () => {
  beforeAll(async () => {
    handlerDir = tempDir("dashboard");
    const script = writeScript(
      handlerDir,
      "on-user.sh",
      `printf '%s %s %s\\n' "$SERF_EVENT" "$SERF_USER_EVENT" "$(cat)" >> "${handlerDir}/$SERF_SELF_NAME.events"`,
    );
    const ip = randomLoopbackIp();
    const httpPort = await freePort(ip);
    base = `http://${ip}:${httpPort}`;
    cluster = await env.start({
      impls: IMPLS,
      agentOptions: { profile: "local", eventHandlers: [`user=${script}`] },
      nodeOptions: (index, impl) => ({
        tags: { role: index === 1 ? "db" : "web", impl },
        ...(index === 0 ? { ip, extraArgs: [`-http-addr=${ip}:${httpPort}`] } : {}),
      }),
    });
    await cluster.waitForConvergence(BOUND_MS);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    watchConsole(page);
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/ui/`);
    // A marker on the page's global object: gone if the page ever reloads.
    await page.evaluate("globalThis.loadMarker = 42");
  }, 90_000);

  it("lists every member, with address, status and RTT", async () => {
    const c = cluster as Cluster;
    for (const n of c.nodes) {
      const row = page.locator(`#members tr[data-member="${n.name}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.getAttribute("data-status")).toBe("alive");
      expect(await row.locator("td").first().textContent()).toBe(n.bindAddress);
    }
    expect(await page.locator("#members tbody tr").count()).toBe(3);
    await page.locator("#cluster-map g.node").nth(2).waitFor({ timeout: 15_000 });
    // The filter box narrows the table (keyboard: type into the labelled field).
    await page.getByLabel("Filter members").fill((c.nodes[1] as { name: string }).name);
    expect(await page.locator("#members tbody tr").count()).toBe(1);
    await page.getByLabel("Filter members").fill("");
  });

  it("is accessible: every field labelled, a semantic table, keyboard focus reaches the forms", async () => {
    const unlabelled = await page.evaluate(`[...document.querySelectorAll("input")]
      .filter((i) => i.labels === null || i.labels.length === 0)
      .map((i) => i.id || i.outerHTML)`);
    expect(unlabelled).toEqual([]);
    expect(await page.locator("#members caption").count()).toBe(1);
    expect(await page.locator('#members thead th[scope="col"]').count()).toBe(5);
    expect(await page.locator('#members tbody th[scope="row"]').count()).toBe(3);
    await page.locator("body").click({ position: { x: 2, y: 2 } });
    const focused = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      focused.add(
        String(await page.evaluate("document.activeElement && document.activeElement.id")),
      );
    }
    expect([...focused]).toEqual(
      expect.arrayContaining(["member-filter", "event-name", "event-payload", "query-name"]),
    );
  });

  it("filters members as Go serf's `members -name/-status/-tag` does (RE2, ^expr$)", async () => {
    const c = cluster as Cluster;
    const goNode = c.node(1);
    const cases: Array<[api: string, goFlags: string[]]> = [
      ["name=.*-go-.*", ["-name=.*-go-.*"]],
      ["name=.*ts|zz", ["-name=.*ts|zz"]],
      ["status=alive|failed", ["-status=alive|failed"]],
      ["tag.role=web", ["-tag=role=web"]],
      ["tag.role=d.&name=.*go.*", ["-tag=role=d.", "-name=.*go.*"]],
      ["tag.missing=", ["-tag=missing="]],
      ["name=%5Cp%7BL%7D%2B", ["-name=\\p{L}+"]],
    ];
    for (const [api, goFlags] of cases) {
      const res = await fetch(`${base}/v1/members?${api}`);
      const { members } = (await res.json()) as { members: Array<{ name: string }> };
      const out = await goNode.cli(["members", ...goFlags], { via: "go" });
      const goNames = out
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => l.split(/\s+/)[0]);
      expect(
        members.map((m) => m.name).sort(),
        `${api} vs serf members ${goFlags.join(" ")}`,
      ).toEqual(goNames.sort());
    }
  });

  it("shows a user event sent with the Go CLI in the timeline", async () => {
    const goNode = (cluster as Cluster).node(1);
    const out = await goNode.cli(["event", "from-go-cli", "hello"], { via: "go" });
    expect(out).toContain("Event 'from-go-cli' dispatched!");
    const t0 = Date.now();
    await page
      .locator('#timeline li[data-type="user"]', { hasText: "from-go-cli: hello" })
      .waitFor({ timeout: BOUND_MS });
    console.info(`e2e dashboard: Go CLI event on the page after ${Date.now() - t0} ms`);
  });

  it("sends an event from the page that reaches every agent's handler, Go's included", async () => {
    await page.locator("#event-name").fill("from-page");
    await page.locator("#event-payload").fill("v7");
    await page.locator("#event-form button[type=submit]").press("Enter");
    await page
      .locator("#event-result", { hasText: "Sent user event from-page." })
      .waitFor({ timeout: 5000 });
    const c = cluster as Cluster;
    const t0 = Date.now();
    for (;;) {
      const missing = c.nodes.filter((n) => !handled(n).includes("user from-page v7"));
      if (missing.length === 0) break;
      if (Date.now() - t0 > BOUND_MS) {
        throw new Error(
          `from-page not handled by ${missing.map((n) => `${n.name} (${n.impl})`).join(", ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    console.info(`e2e dashboard: page event in every handler after ${Date.now() - t0} ms`);
    await page
      .locator('#timeline li[data-type="user"]', { hasText: "from-page: v7" })
      .waitFor({ timeout: 10_000 });
  });

  it("runs a query from the page and streams the acks", async () => {
    await page.locator("#query-name").fill("who");
    await page.locator("#query-timeout").fill("3s");
    await page.locator("#query-form button[type=submit]").click();
    await page.locator("#query-state", { hasText: "Done:" }).waitFor({ timeout: 15_000 });
    expect(await page.locator("#query-state").textContent()).toMatch(
      /^Done: 3 acks, 0 responses\.$/,
    );
    const acks = await page.locator("#query-results li").allTextContents();
    expect(acks.sort()).toEqual((cluster as Cluster).nodes.map((n) => `ack from ${n.name}`).sort());
  });

  it("turns a SIGKILLed member failed on the open page, without a reload", async () => {
    const victim = (cluster as Cluster).node(2);
    const t0 = Date.now();
    await victim.crash();
    await page
      .locator(`#members tr[data-member="${victim.name}"][data-status="failed"]`)
      .waitFor({ timeout: BOUND_MS });
    console.info(`e2e dashboard: SIGKILL -> failed on the page after ${Date.now() - t0} ms`);
    expect(await page.evaluate("globalThis.loadMarker")).toBe(42);
    await page
      .locator(`#cluster-map g.status-failed[data-node="${victim.name}"]`)
      .waitFor({ timeout: 15_000 });
    await page
      .locator('#timeline li[data-type="member-failed"]')
      .first()
      .waitFor({ timeout: 5000 });
    const shot = process.env.SERF_TS_DASHBOARD_SCREENSHOT ?? join(tempDir("shot"), "dashboard.png");
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
  });

  it("logged no console errors", () => {
    expect(consoleErrors).toEqual([]);
  });
});

describe.skipIf(!(haveChromium && env.runnable(["ts"])))("dashboard with rpc_auth", () => {
  it("answers 401 without the key; the page asks for it once and keeps it for the session", async () => {
    const ip = randomLoopbackIp();
    const httpPort = await freePort(ip);
    const url = `http://${ip}:${httpPort}`;
    const authed = await env.start({
      impls: ["ts"],
      agentOptions: { profile: "local", rpcAuth: "s3cret-key" },
      nodeOptions: () => ({ ip, extraArgs: [`-http-addr=${ip}:${httpPort}`] }),
    });
    const b = await launchBrowser();
    try {
      for (const path of ["/v1/members", "/v1/stats", "/v1/events", "/v1/openapi.json"]) {
        const res = await fetch(`${url}${path}`);
        expect(res.status, path).toBe(401);
        await res.body?.cancel();
      }
      const post = await fetch(`${url}/v1/event`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer wrong" },
        body: '{"name":"x"}',
      });
      expect(post.status).toBe(401);
      const ok = await fetch(`${url}/v1/members`, {
        headers: { Authorization: "Bearer s3cret-key" },
      });
      expect(ok.status).toBe(200);

      const p = await b.context.newPage();
      const errors: string[] = [];
      p.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      p.on("pageerror", (e) => errors.push(e.message));
      await p.goto(`${url}/ui/`);
      await p.getByLabel("RPC auth key").fill("s3cret-key");
      await p.getByLabel("RPC auth key").press("Enter");
      const name = authed.node(0).name;
      await p.locator(`#members tr[data-member="${name}"]`).waitFor({ timeout: 10_000 });
      expect(await p.evaluate('sessionStorage.getItem("serf-ts.rpc-auth")')).toBe("s3cret-key");
      await p.reload();
      await p.locator(`#members tr[data-member="${name}"]`).waitFor({ timeout: 10_000 });
      expect(await p.locator("#auth-key").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await b.close();
      await authed.close();
    }
  });
});
