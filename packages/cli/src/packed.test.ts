/**
 * The packages as npm users get them: every publishable package packed with pnpm (as
 * `changeset publish` does, `prepack` building it), the tarballs checked (contents, manifest,
 * internal ranges, publint --strict, attw --profile esm-only), then installed with
 * `npm install <tarballs>` into an empty directory and used from plain JavaScript (`.mjs`):
 * two encrypted memberlist nodes, `npx serf version`, `npx serf keygen`, and an rpc-client
 * script against a `serf-ts agent` started from the installed bin.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomLoopbackIp, runCommand, startAgentProcess, stopAll } from "@serf-ts/testkit";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PUBLISHED = ["wire", "keygen", "memberlist", "serf", "agent", "rpc-client", "cli"] as const;
const rootRequire = createRequire(join(ROOT, "package.json"));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  keywords?: string[];
}

interface Packed {
  readonly dir: string;
  readonly tarball: string;
  readonly files: string[];
  readonly manifest: Manifest;
}

/** `pnpm` as the test runner was started with it (`pnpm test`), else through npx. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath ?? "";
  if (/pnpm/.test(execPath) && /\.c?js$/.test(execPath)) return [process.execPath, [execPath]];
  return ["npx", ["-y", "pnpm@10"]];
}

/** Runs `task` over `items`, at most `width` at a time (the CI machine has 2 cores). */
async function inPool<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>) {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** A step that must succeed (tracked, killed by PID on timeout). */
async function exec(file: string, args: readonly string[], cwd: string, timeoutMs = 120_000) {
  const r = await runCommand(file, args, { cwd, timeoutMs });
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} in ${cwd}: code ${r.code}\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

/** Whether a caret range (`^x.y.z`, the only form workspace:^ becomes) accepts `version`. */
export function caretAccepts(range: string, version: string): boolean {
  const r = SEMVER.exec(range.startsWith("^") ? range.slice(1) : "");
  const v = SEMVER.exec(version);
  if (r === null || v === null) return false;
  const [rm, rn, rp] = [Number(r[1]), Number(r[2]), Number(r[3])];
  const [vm, vn, vp] = [Number(v[1]), Number(v[2]), Number(v[3])];
  const cmp = (a: number[], b: number[]) => a.findIndex((x, i) => x !== b[i]);
  const at = cmp([vm, vn, vp], [rm, rn, rp]);
  const atLeast = at < 0 || [vm, vn, vp][at]! > [rm, rn, rp][at]!;
  // ^1.2.3 := <2.0.0, ^0.2.3 := <0.3.0, ^0.0.3 := <0.0.4 (the left-most non-zero part is fixed).
  const below =
    rm > 0 ? vm === rm : rn > 0 ? vm === 0 && vn === rn : vm === 0 && vn === 0 && vp === rp;
  return atLeast && below;
}

function nextPatch(version: string): string {
  const [major, minor, patch] = version.split(".").map(Number);
  return `${major}.${minor}.${(patch ?? 0) + 1}`;
}

describe("caretAccepts", () => {
  it("reads caret ranges as semver does", () => {
    expect(caretAccepts("^0.1.0", "0.1.1")).toBe(true);
    expect(caretAccepts("^0.1.0", "0.2.0")).toBe(false);
    expect(caretAccepts("^0.0.0", "0.0.1")).toBe(false);
    expect(caretAccepts("^1.2.3", "1.9.0")).toBe(true);
    expect(caretAccepts("^1.2.3", "1.2.2")).toBe(false);
    expect(caretAccepts("workspace:^", "0.1.1")).toBe(false);
  });
});

describe("the packed packages, installed from their tarballs with npm", () => {
  let dir = "";
  let app = "";
  const packed = new Map<string, Packed>();
  const rootLicense = readFileSync(join(ROOT, "LICENSE"), "utf8");
  const rootVersion = (
    JSON.parse(readFileSync(join(ROOT, "packages", "cli", "package.json"), "utf8")) as Manifest
  ).version;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-packed-"));
    const tgz = join(dir, "tgz");
    mkdirSync(tgz);
    // Build everything once, so that the packs' `prepack` builds, two at a time, write nothing.
    const tsc = rootRequire.resolve("typescript/bin/tsc");
    await exec(process.execPath, [tsc, "-b", join(ROOT, "packages", "cli")], ROOT);
    const [pnpm, pnpmArgs] = pnpmCommand();
    const unordered = new Map<string, Packed>();
    await inPool(PUBLISHED, 2, async (pkg) => {
      const pkgDir = join(ROOT, "packages", pkg);
      const out = join(dir, "tgz", pkg);
      await exec(pnpm, [...pnpmArgs, "pack", "--pack-destination", out], pkgDir);
      const [name] = readdirSync(out);
      const tarball = join(out, name!);
      const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" })
        .split("\n")
        .filter((f) => f !== "")
        .map((f) => f.replace(/^package\//, ""));
      const manifest = JSON.parse(
        execFileSync("tar", ["xzOf", tarball, "package/package.json"], { encoding: "utf8" }),
      ) as Manifest;
      unordered.set(pkg, { dir: pkgDir, tarball, files, manifest });
    });
    for (const pkg of PUBLISHED) packed.set(pkg, unordered.get(pkg)!);

    app = join(dir, "app");
    mkdirSync(app);
    // As after `npm init -y`: no "type": "module", so the scripts below are `.mjs`.
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0" }));
    // The third-party dependencies (multicast-dns, prom-client, re2js) come from the registry.
    const tarballs = [...packed.values()].map((p) => p.tarball);
    await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], app);
  }, 400_000);

  afterAll(async () => {
    await stopAll();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("ship LICENSE, README, dist and the sources, but no tests", () => {
    const publishable = readdirSync(join(ROOT, "packages"))
      .filter((d) => {
        const m = JSON.parse(readFileSync(join(ROOT, "packages", d, "package.json"), "utf8"));
        return m.private !== true;
      })
      .sort();
    expect(publishable).toEqual([...PUBLISHED].sort());
    for (const [pkg, p] of packed) {
      expect(p.files, pkg).toEqual(
        expect.arrayContaining(["LICENSE", "README.md", "package.json"]),
      );
      expect(p.files, pkg).toContain("dist/index.js");
      expect(p.files, pkg).toContain("dist/index.d.ts");
      expect(p.files, pkg).toContain("src/index.ts");
      const stray = p.files.filter((f) =>
        /\.test\.|\.harness\.|(^|\/)\.readme-|\.tsbuildinfo$/.test(f),
      );
      expect(stray, pkg).toEqual([]);
      const installed = join(app, "node_modules", "@serf-ts", pkg);
      expect(readFileSync(join(installed, "LICENSE"), "utf8"), pkg).toBe(rootLicense);
    }
  });

  it("carry one version, metadata, and internal ranges that accept the next patch", () => {
    expect(rootVersion).not.toBe("0.0.0");
    for (const [pkg, { manifest: m }] of packed) {
      expect(m.version, pkg).toBe(rootVersion);
      expect(m.license, pkg).toBe("MPL-2.0");
      expect(m.private, pkg).toBeUndefined();
      expect(m.repository, pkg).toEqual({
        type: "git",
        url: "git+https://github.com/serf-ts/serf-ts.git",
        directory: `packages/${pkg}`,
      });
      expect(m.homepage, pkg).toMatch(/^https:\/\/github\.com\/serf-ts\/serf-ts\//);
      expect(m.bugs?.url, pkg).toBe("https://github.com/serf-ts/serf-ts/issues");
      expect(m.keywords?.length, pkg).toBeGreaterThan(2);
      expect(m.peerDependencies, pkg).toBeUndefined();
      for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
        if (!dep.startsWith("@serf-ts/")) continue;
        expect(range, `${pkg} -> ${dep}`).toBe(`^${rootVersion}`);
        expect(caretAccepts(range, nextPatch(rootVersion)), `${pkg} -> ${dep} ${range}`).toBe(true);
      }
      for (const [dep, range] of Object.entries(m.devDependencies ?? {})) {
        expect(range, `${pkg} devDependency ${dep}`).not.toMatch(/^workspace:/);
      }
    }
    expect(Object.keys(packed.get("cli")?.manifest.bin ?? {}).sort()).toEqual(["serf", "serf-ts"]);
  });

  it("build before packing, also after dist/ was deleted", () => {
    for (const [pkg, p] of packed) {
      const manifest = JSON.parse(readFileSync(join(p.dir, "package.json"), "utf8"));
      // prepack is the package's build (tsc -b, then any bundling step of its own).
      expect(manifest.scripts?.prepack, pkg).toBe(manifest.scripts?.build);
      expect(manifest.scripts?.prepack, pkg).toMatch(/(^|&& )tsc -b( &&|$)/);
      // tsc -b trusts its build info: kept inside dist/, it goes when dist/ goes.
      const tsconfig = JSON.parse(readFileSync(join(p.dir, "tsconfig.json"), "utf8"));
      expect(tsconfig.compilerOptions.outDir, pkg).toBe("dist");
      expect(tsconfig.compilerOptions.tsBuildInfoFile, pkg).toMatch(/^dist\//);
    }
  });

  it("pass publint --strict", async () => {
    const problems: string[] = [];
    for (const [pkg, p] of packed) {
      const tarball = readFileSync(p.tarball);
      const result = await publint({
        pack: {
          tarball: tarball.buffer.slice(
            tarball.byteOffset,
            tarball.byteOffset + tarball.byteLength,
          ),
        },
        strict: true,
      });
      for (const m of result.messages) {
        problems.push(`${pkg} ${m.type}: ${formatMessage(m, result.pkg) ?? m.code}`);
      }
    }
    expect(problems.filter((p) => !/ suggestion: /.test(p))).toEqual([]);
  });

  it("pass attw --profile esm-only", async () => {
    const attw = join(
      rootRequire.resolve("@arethetypeswrong/cli/package.json"),
      "..",
      "dist",
      "index.js",
    );
    const failures: string[] = [];
    await inPool([...packed], 2, async ([pkg, p]) => {
      const r = await runCommand(
        process.execPath,
        [attw, p.tarball, "--profile", "esm-only", "--format", "ascii", "--no-color"],
        { cwd: dir, timeoutMs: 150_000 },
      );
      if (r.code !== 0) failures.push(`${pkg}: code ${r.code}\n${r.stdout}${r.stderr}`);
    });
    expect(failures).toEqual([]);
  }, 300_000);

  it("install cleanly: `npm ls --all` finds nothing missing, invalid or duplicated", async () => {
    const r = await runCommand("npm", ["ls", "--all", "--offline"], {
      cwd: app,
      timeoutMs: 60_000,
    });
    // (npm may warn on stderr about the machine's own npm configuration.)
    const complaints = r.stderr.split("\n").filter((l) => l !== "" && !/^npm warn /i.test(l));
    expect([r.code, complaints], r.stdout + r.stderr).toEqual([0, []]);
    const memberlists = r.stdout.split("\n").filter((l) => /@serf-ts\/memberlist@/.test(l));
    expect(
      memberlists.filter((l) => !/deduped/.test(l)),
      r.stdout,
    ).toHaveLength(1);
  }, 90_000);

  it("load every export subpath from plain JavaScript; main entries hold at most 60 values", async () => {
    const specifiers: string[] = [];
    for (const [pkg, { manifest: m }] of packed) {
      for (const [subpath, target] of Object.entries(m.exports ?? {})) {
        if (target === null || subpath.includes("*") || subpath.endsWith(".json")) continue;
        specifiers.push(`@serf-ts/${pkg}${subpath.slice(1)}`);
      }
    }
    // The building blocks moved out of the main entries (issue 15) are among these.
    expect(specifiers).toEqual(
      expect.arrayContaining([
        "@serf-ts/serf/core",
        "@serf-ts/agent/toolkit",
        "@serf-ts/wire/codec",
      ]),
    );
    writeFileSync(
      join(app, "entries.mjs"),
      `const counts = {};
for (const specifier of ${JSON.stringify(specifiers)}) {
  counts[specifier] = Object.keys(await import(specifier)).length;
}
console.log(JSON.stringify(counts));
`,
    );
    const r = await runCommand(process.execPath, ["entries.mjs"], { cwd: app, timeoutMs: 60_000 });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const counts: Record<string, number> = JSON.parse(r.stdout);
    for (const pkg of PUBLISHED) {
      expect(counts[`@serf-ts/${pkg}`], pkg).toBeGreaterThan(0);
      expect(counts[`@serf-ts/${pkg}`], pkg).toBeLessThanOrEqual(60);
    }
  }, 90_000);

  it("run two encrypted memberlist nodes from plain JavaScript", async () => {
    writeFileSync(
      join(app, "two-nodes.mjs"),
      `import { Keyring, Memberlist, nodeStateName } from "@serf-ts/memberlist";

const ip = process.argv[2];
const keyring = Keyring.create([crypto.getRandomValues(new Uint8Array(32))]);
const start = (name) =>
  Memberlist.create({ options: { name, bindAddr: ip, bindPort: 0, profile: "local" }, keyring });
const a = await start("a");
const b = await start("b");
await b.join([a.localAddress]);
const deadline = Date.now() + 10_000;
while (a.members().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
console.log(JSON.stringify(a.members().map((m) => [m.name, nodeStateName(m.state)]).sort()));
await b.leave(5_000);
await b.shutdown();
await a.shutdown();
`,
    );
    const r = await runCommand(process.execPath, ["two-nodes.mjs", randomLoopbackIp()], {
      cwd: app,
      timeoutMs: 60_000,
    });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toEqual([
      ["a", "alive"],
      ["b", "alive"],
    ]);
  }, 90_000);

  it("run `npx serf version` (also as serf-ts and @serf-ts/cli) and `npx serf keygen`", async () => {
    const env = { ...process.env, npm_config_cache: join(dir, "npm-cache") };
    const npx = (args: string[]) =>
      runCommand("npx", ["--offline", ...args], { cwd: app, env, timeoutMs: 30_000 });
    const expected = `${rootVersion}\nAgent Protocol: 5 (Understands back to: 2)\n`;
    // `npx @serf-ts/cli` picks a bin only because both names point at the same file.
    for (const args of [["serf"], ["serf-ts"], ["@serf-ts/cli"]]) {
      const version = await npx([...args, "version"]);
      expect([version.code, version.stdout], args[0]).toEqual([0, expected]);
    }
    const key = await npx(["serf", "keygen"]);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
  }, 180_000);

  it("drive the installed `serf-ts agent` with a plain-JavaScript rpc-client script", async () => {
    writeFileSync(
      join(app, "members.mjs"),
      `import { RpcClient } from "@serf-ts/rpc-client";

const client = await RpcClient.connect({ addr: process.argv[2] });
const members = await client.members();
console.log(JSON.stringify(members.map((m) => ({ name: m.name, address: m.address, status: m.status }))));
await client.close();
`,
    );
    let log = "";
    const agent = await startAgentProcess(
      { label: "packed", file: join(app, "node_modules", ".bin", "serf-ts"), args: ["agent"] },
      {
        startTimeoutMs: 60_000,
        logLevel: "info",
        onLog: (t) => {
          log += t;
        },
      },
      async (p) => {
        const r = await runCommand(process.execPath, ["members.mjs", p.rpcAddress], {
          cwd: app,
          timeoutMs: 30_000,
        });
        if (r.code !== 0) throw new Error(r.stderr);
      },
    );
    const r = await runCommand(process.execPath, ["members.mjs", agent.rpcAddress], {
      cwd: app,
      timeoutMs: 30_000,
    });
    expect([r.code, r.stderr], log).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toEqual([
      { name: agent.name, address: agent.bindAddress, status: "alive" },
    ]);
    await agent.stop("SIGINT", 10_000);
  }, 120_000);
});
