/**
 * The built binary (`node dist/main.js`): the same golden comparisons as golden.test.ts for a
 * few commands, Ctrl-C handling (only the real process has SIGINT), and the packed tarballs
 * installed into a fresh `node_modules` and run through the `serf` bin they link. Builds the package
 * first (`tsc -b`). Needs neither pnpm on PATH nor the registry: tarballs come from `npm pack`
 * (npm ships with node), third-party dependencies are linked from this workspace's install.
 */

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  eventually,
  type GoAgent,
  requireGoSerf,
  runCommand,
  startAgentProcess,
  startGoCluster,
  stopAll,
  writeQueryResponder,
} from "@serf-ts/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliVersion } from "./commands/version.ts";
import {
  baseEnv,
  infoText,
  membersText,
  normalize,
  PACKAGE_DIR,
  runBin,
  runGo,
  sortLines,
} from "./golden.harness.ts";

const haveGo = requireGoSerf();

/** A build/pack/install step (tracked, killed by PID on timeout); rejects unless it exits 0. */
async function exec(file: string, args: readonly string[], cwd: string, timeoutMs = 120_000) {
  const r = await runCommand(file, args, { cwd, timeoutMs });
  if (r.code !== 0) {
    throw new Error(
      `${file} ${args.join(" ")}: code ${r.code}, signal ${r.signal}\n${r.stderr}${r.stdout}`,
    );
  }
  return r.stdout;
}

/** Where `npm` is: beside this node, as node's installers put it, else on PATH. */
function npmCli(): string {
  const besideNode = join(dirname(process.execPath), "npm");
  return existsSync(besideNode) ? besideNode : "npm";
}

/** The directory of `dep` as the package in `sourceDir` resolves it (real path). */
function dependencyDir(sourceDir: string, dep: string): string {
  const require = createRequire(join(sourceDir, "package.json"));
  try {
    return realpathSync(dirname(require.resolve(`${dep}/package.json`)));
  } catch {
    // `exports` without ./package.json: walk up from the entry point.
    let dir = dirname(require.resolve(dep));
    while (!dir.endsWith(`/node_modules/${dep}`) && dirname(dir) !== dir) dir = dirname(dir);
    return realpathSync(dir);
  }
}

/**
 * Installs the packed tarballs of `packages` (dir names under packages/) into `app/node_modules`
 * as npm lays out a registry install: each tarball's `package/` becomes
 * `node_modules/@serf-ts/<name>`, each `bin` a link in `node_modules/.bin`, and each third-party
 * dependency a link to the copy this workspace installed (no registry). The `workspace:^`
 * ranges `npm pack` leaves in the manifests are never resolved: every @serf-ts package is there.
 */
async function installTarballs(tarballs: readonly string[], app: string): Promise<void> {
  const modules = join(app, "node_modules");
  mkdirSync(join(modules, ".bin"), { recursive: true });
  const linked = new Set<string>();
  for (const tarball of tarballs) {
    const staging = mkdtempSync(join(app, "unpack-"));
    await exec("tar", ["-xzf", tarball, "-C", staging], app);
    const manifest = JSON.parse(readFileSync(join(staging, "package", "package.json"), "utf8")) as {
      name: string;
      bin?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    const target = join(modules, ...manifest.name.split("/"));
    mkdirSync(dirname(target), { recursive: true });
    await exec("mv", [join(staging, "package"), target], app);
    rmSync(staging, { recursive: true, force: true });
    for (const [bin, file] of Object.entries(manifest.bin ?? {})) {
      chmodSync(join(target, file), 0o755); // as npm does for a bin
      symlinkSync(join(target, file), join(modules, ".bin", bin));
    }
    const source = resolve(PACKAGE_DIR, "..", manifest.name.replace("@serf-ts/", ""));
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      if (dep.startsWith("@serf-ts/") || linked.has(dep)) continue;
      const link = join(modules, ...dep.split("/"));
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(dependencyDir(source, dep), link);
      linked.add(dep);
    }
  }
}

describe.skipIf(!haveGo)("the built `serf` binary", () => {
  let dir = "";
  let cluster: GoAgent[] = [];
  const a = (): string => `-rpc-addr=${cluster[0]?.rpcAddress}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serf-ts-cli-bin-"));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const [, agents] = await Promise.all([
      exec(process.execPath, [tsc, "-b", PACKAGE_DIR], PACKAGE_DIR),
      startGoCluster(2, () => ({
        profile: "local",
        eventHandlers: [`query:greet=${writeQueryResponder(dir)}`],
      })),
    ]);
    cluster = agents;
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints what Go prints", async () => {
    const cases: [string[], (t: string) => string][] = [
      [["members", a()], membersText],
      [["members", "-format=json", a()], sortLines],
      [["info", a()], infoText],
      [["query", "-timeout=2s", a(), "greet"], sortLines],
      [["members", "-rpc-addr=127.0.0.1:1"], (t) => t],
      [["join", a()], (t) => t],
      [["--help"], (t) => t],
      [["bogus"], (t) => t],
    ];
    for (const [args, f] of cases) {
      const go = await runGo(args);
      const ours = await runBin(args);
      expect(normalize(ours, f), `serf ${args.join(" ")}`).toEqual(normalize(go, f));
    }
    const version = await runBin(["version"]);
    expect(version.stdout).toMatch(
      /^\d+\.\d+\.\d+\S*\nAgent Protocol: 5 \(Understands back to: 2\)\n$/,
    );
  });

  it("Ctrl-C: monitor exits 0, query and reachability exit 1, as Go", async () => {
    const cases: [string[], (t: string) => string][] = [
      [["monitor", a()], () => ""],
      [["query", "-timeout=30s", a(), "slow"], sortLines],
      [["reachability", a()], (t) => t],
    ];
    for (const [args, f] of cases) {
      const [go, ours] = await Promise.all([
        runGo(args, { interruptAfterMs: 800 }),
        runBin(args, { interruptAfterMs: 800 }),
      ]);
      expect(normalize(ours, f), `serf ${args.join(" ")}`).toEqual(normalize(go, f));
    }
  });

  it("installs from the packed tarballs and runs their `serf` bin", async () => {
    const tgz = join(dir, "tgz");
    const app = join(dir, "app");
    const packages = ["wire", "keygen", "memberlist", "serf", "agent", "rpc-client", "cli"];
    mkdirSync(tgz, { recursive: true });
    for (const pkg of packages) {
      // Already built by beforeAll's `tsc -b` (project references): no prepack scripts.
      await exec(
        npmCli(),
        ["pack", "--ignore-scripts", "--silent", "--pack-destination", tgz],
        resolve(PACKAGE_DIR, "..", pkg),
      );
    }
    const tarballs = readdirSync(tgz).map((f) => join(tgz, f));
    expect(tarballs).toHaveLength(packages.length);
    rmSync(app, { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
    await installTarballs(tarballs, app);

    // The bin as npm would link it (npx runs the same file); Go's `serf` is on PATH too.
    const bin = join(app, "node_modules", ".bin", "serf");
    const npx = (args: string[]) =>
      runCommand(bin, args, { env: baseEnv(), cwd: app, timeoutMs: 30_000 });
    const version = await npx(["version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${cliVersion()}\nAgent Protocol: 5 (Understands back to: 2)\n`);
    const key = await npx(["keygen"]);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const members = normalize(await npx(["members", a()]), membersText);
    const go = normalize(await runGo(["members", a()]), membersText);
    expect([members.stdout, members.code]).toEqual([go.stdout, go.code]);

    // `serf agent` from the installed tarballs (the bin npx runs): it starts, joins a Go agent, and leaves
    // gracefully on SIGINT.
    const seed = cluster[0]!;
    let agentLog = "";
    const agent = await startAgentProcess(
      { label: "packed", file: join(app, "node_modules", ".bin", "serf"), args: ["agent"] },
      {
        join: [seed.bindAddress],
        startTimeoutMs: 30_000,
        onLog: (t) => {
          agentLog += t;
        },
      },
      async (p) => {
        const r = await runGo(["members", `-rpc-addr=${p.rpcAddress}`]);
        if (r.code !== 0) throw new Error(r.stderr);
      },
    );
    const statusOnGo = async (): Promise<string> => {
      const r = await runGo(["members", a(), `-name=${agent.name}`]);
      return r.stdout;
    };
    await eventually(async () => (await statusOnGo()).includes(" alive"), {
      describe: () => `packed agent's log:\n${agentLog}`,
    });
    await agent.stop("SIGINT", 10_000);
    await eventually(async () => (await statusOnGo()).includes(" left"), {
      describe: statusOnGo,
    });
  }, 120_000);
});
