/**
 * The dashboard's static files (`/ui/…`), built by `scripts/build-dashboard.mjs` into
 * `dist/ui/` of this package and read once at start. Only the files found there are served
 * (no path from the URL reaches the file system); each is kept gzipped too, for clients that
 * accept it. `/` and `/ui` redirect to `/ui/`.
 */

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Same-origin only: no inline scripts, no third-party anything, no framing. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** Where the build puts the bundle, from `src/http/` and from `dist/http/` alike. */
export const DEFAULT_DASHBOARD_DIR = new URL("../../dist/ui/", import.meta.url);

/**
 * Where to look for the bundle, in order: this package's `dist/ui/` seen from this module;
 * a `ui/` folder beside this module (when the agent is bundled into another package's file,
 * copy `dist/ui/` there); the installed `@serf-ts/agent` package's `dist/ui/`.
 */
export function dashboardDirCandidates(): URL[] {
  const out = [DEFAULT_DASHBOARD_DIR, new URL("./ui/", import.meta.url)];
  try {
    const pkg = createRequire(import.meta.url).resolve("@serf-ts/agent/package.json");
    out.push(new URL("dist/ui/", pathToFileURL(pkg)));
  } catch {
    // not resolvable from here
  }
  return out;
}

/** The dashboard files, in memory. */
export class DashboardAssets {
  readonly #files: ReadonlyMap<string, Asset>;

  constructor(files: ReadonlyMap<string, { type: string; body: Buffer }>) {
    const out = new Map<string, Asset>();
    for (const [name, f] of files) out.set(name, { ...f, gzip: gzipSync(f.body, { level: 9 }) });
    this.#files = out;
  }

  /**
   * Reads every file of `dir`, or of the first of `dashboardDirCandidates()` that holds an
   * `index.html`; none if there is none.
   */
  static load(dir?: URL | string): DashboardAssets {
    if (dir === undefined) {
      for (const candidate of dashboardDirCandidates()) {
        const assets = DashboardAssets.load(candidate);
        if (assets.available) return assets;
      }
      return new DashboardAssets(new Map());
    }
    const files = new Map<string, { type: string; body: Buffer }>();
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // not built: every /ui/ request says so
    }
    const base = typeof dir === "string" ? dir.replace(/\/?$/, "/") : dir.href;
    for (const name of names) {
      const ext = name.slice(name.lastIndexOf("."));
      const type = TYPES[ext];
      if (type === undefined) continue;
      const url = typeof dir === "string" ? `${base}${name}` : new URL(name, base);
      files.set(name, { type, body: readFileSync(url) });
    }
    return new DashboardAssets(files);
  }

  /** Whether the bundle was found. */
  get available(): boolean {
    return this.#files.has("index.html");
  }

  /** Bytes of every file, plain and gzipped (the size budget test). */
  sizes(): { name: string; bytes: number; gzipBytes: number }[] {
    return [...this.#files].map(([name, a]) => ({
      name,
      bytes: a.body.length,
      gzipBytes: a.gzip.length,
    }));
  }

  /** Answers `/`, `/ui` and `/ui/<file>`. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path === "/" || path === "/ui") {
      res.writeHead(302, { Location: "/ui/", "Content-Length": 0 });
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end("method not allowed\n");
      return;
    }
    const name = path === "/ui/" ? "index.html" : path.slice("/ui/".length);
    const asset = this.#files.get(name);
    if (asset === undefined) {
      const text = this.available
        ? "not found\n"
        : "dashboard not built: run the @serf-ts/agent build (npx -y pnpm@10 build)\n";
      res.writeHead(this.available ? 404 : 503, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(text);
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? asset.gzip : asset.body;
    res.writeHead(200, {
      "Content-Type": asset.type,
      "Content-Length": body.length,
      "Cache-Control": "no-cache",
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
      Vary: "Accept-Encoding",
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}
