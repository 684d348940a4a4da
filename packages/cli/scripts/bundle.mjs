// Bundles the `serf` binary (run after `tsc -b`, which it overwrites `dist/main.js` of):
// - `dist/main.js`: one ES module with the CLI, its RPC client and the wire codecs it uses, so a
//   command that talks to an agent parses one file instead of ~170 modules;
// - `dist/serf-agent.js` (`@serf-ts/agent/command`): the agent with serf and memberlist,
//   imported by `serf agent` only; what the agent itself loads lazily (mDNS for `-discover`) is
//   split into `dist/agent-chunks/`.
// Both are built from the workspace's TypeScript sources. The package's version comes in with
// src/package-version.ts (written from package.json by the build), so `serf version` reads no file.
//
// Outputs are written only when their bytes changed, each through a temporary file renamed over
// the old one, and stale chunks are removed last: agents started from dist/ while a rebuild runs
// (the tarball test's `prepack` beside the e2e suite) never see a missing or half-written chunk.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const AGENT_BUNDLE = "serf-agent.js";

const common = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  conditions: ["@serf-ts/source"],
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "warning",
  write: false,
};

// tsc's source map of the unbundled main.js would not match the bundle.
rmSync(new URL("../dist/main.js.map", import.meta.url), { force: true });
const results = await Promise.all([
  build({
    ...common,
    entryPoints: ["src/main.ts"],
    outfile: "dist/main.js",
    plugins: [
      {
        name: "agent-bundle",
        setup(b) {
          b.onResolve({ filter: /^@serf-ts\/agent\/command$/ }, () => ({
            path: `./${AGENT_BUNDLE}`,
            external: true,
          }));
        },
      },
    ],
  }),
  build({
    ...common,
    entryPoints: { [AGENT_BUNDLE.replace(/\.js$/, "")]: "@serf-ts/agent/command" },
    outdir: "dist",
    splitting: true,
    chunkNames: "agent-chunks/[name]-[hash]",
    // The agent's CommonJS dependencies (multicast-dns, prom-client) require() built-ins.
    banner: {
      js: 'import{createRequire as __serfCreateRequire}from"node:module";const require=__serfCreateRequire(import.meta.url);',
    },
  }),
]);

const written = new Set();
for (const { path, contents } of results.flatMap((r) => r.outputFiles)) {
  written.add(path);
  if (existsSync(path) && Buffer.compare(readFileSync(path), contents) === 0) continue;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.tmp`);
  writeFileSync(tmp, contents);
  if (existsSync(path)) chmodSync(tmp, statSync(path).mode);
  renameSync(tmp, path);
}
const chunks = join(root, "dist", "agent-chunks");
for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
  if (!written.has(join(chunks, name))) rmSync(join(chunks, name), { force: true });
}
