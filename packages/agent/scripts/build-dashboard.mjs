// Bundles the dashboard (dashboard/app.ts + preact + htm + the wire HTTP schema it uses) into
// dist/ui/ with esbuild: app.js, app.css, index.html. Run by this package's `build` script,
// after `tsc -b`; the agent serves the files at /ui/. No CDN: everything is in the bundle.
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const src = (p) => new URL(`dashboard/${p}`, root).pathname;
const out = new URL("dist/ui/", root).pathname;
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: src("app.ts") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022", "chrome110", "firefox110", "safari16"],
  platform: "browser",
  conditions: ["@serf-ts/source", "browser", "module", "import"],
  outdir: out,
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: { app: src("app.css") },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: "warning",
});
copyFileSync(src("index.html"), `${out}index.html`);

const BUDGET = 100 * 1024;
let total = 0;
for (const f of ["index.html", "app.js", "app.css"])
  total += gzipSync(readFileSync(`${out}${f}`)).length;
if (total > BUDGET) {
  console.error(`dashboard bundle is ${total} bytes gzipped, over the ${BUDGET}-byte budget`);
  process.exit(1);
}
console.log(
  `dashboard: ${statSync(`${out}app.js`).size} bytes of JS, ${total} bytes gzipped in all`,
);
