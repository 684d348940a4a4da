import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, formatConfigError } from "./config-error.ts";
import { loadConfigFiles } from "./load-config-files.ts";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "serf-agent-config-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function loadError(paths: string[]): ConfigError {
  try {
    loadConfigFiles(paths);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfigFiles", () => {
  it("reads a directory's *.json files in byte order, skipping others and subdirectories", () => {
    const conf = join(dir, "conf");
    mkdirSync(conf);
    mkdirSync(join(conf, "sub.json"));
    writeFileSync(join(conf, "sub.json", "x.json"), '{"node_name": "nested"}');
    writeFileSync(join(conf, "b.json"), '{"node_name": "b", "event_handlers": ["hb"]}');
    writeFileSync(join(conf, "B.json"), '{"node_name": "B", "event_handlers": ["hB"]}');
    writeFileSync(join(conf, "a.json"), '{"node_name": "a", "event_handlers": ["ha"]}');
    writeFileSync(join(conf, "c.txt"), "not json");
    writeFileSync(join(conf, "d.json.bak"), "not json");
    const config = loadConfigFiles([conf]);
    expect(config.nodeName).toBe("b");
    expect(config.eventHandlers).toEqual(["hB", "ha", "hb"]);
  });

  it("follows symlinked files in a directory", () => {
    const conf = join(dir, "conf");
    mkdirSync(conf);
    const target = write("target.txt", '{"node_name": "linked"}');
    symlinkSync(target, join(conf, "l.json"));
    expect(loadConfigFiles([conf]).nodeName).toBe("linked");
  });

  it("reproduces the merge observed with serf 0.9.4 (agent.md §3.2)", () => {
    const conf = join(dir, "conf");
    mkdirSync(conf);
    writeFileSync(
      join(conf, "01.json"),
      JSON.stringify({
        node_name: "first",
        tags: { a: "1", b: "1" },
        log_level: "debug",
        event_handlers: ["h1"],
      }),
    );
    writeFileSync(
      join(conf, "02.json"),
      JSON.stringify({
        node_name: "second",
        tags: { b: "2" },
        log_level: "",
        event_handlers: ["h2"],
      }),
    );
    const file = write("extra.json", { tags: { c: "3" }, event_handlers: ["h3"] });
    const config = loadConfigFiles([conf, file]);
    expect(config.nodeName).toBe("second");
    expect(config.tags).toEqual({ a: "1", b: "2", c: "3" });
    expect(config.logLevel).toBe("debug");
    expect(config.eventHandlers).toEqual(["h1", "h2", "h3"]);
  });

  it("lets a file's enable_compression=false win over an earlier true (then flags override)", () => {
    const a = write("a.json", { enable_compression: true });
    const b = write("b.json", { enable_compression: false });
    expect(loadConfigFiles([a, b]).enableCompression).toBe(false);
    expect(loadConfigFiles([b, a]).enableCompression).toBe(true);
  });

  it("reports a missing path as Go does", () => {
    const missing = join(dir, "nope.json");
    const err = loadError([missing]);
    expect(err.code).toBe(ConfigErrorCode.READ);
    expect(formatConfigError(err)).toBe(
      `==> Error reading '${missing}': open ${missing}: no such file or directory`,
    );
  });

  it("reports decode errors with the file path, stopping at the first bad file", () => {
    const conf = join(dir, "conf");
    mkdirSync(conf);
    writeFileSync(join(conf, "1.json"), '{"bogus_key": 1}');
    writeFileSync(join(conf, "2.json"), "{");
    const err = loadError([conf]);
    expect(err.code).toBe(ConfigErrorCode.DECODE);
    expect(err.message).toBe(
      `Error decoding '${join(conf, "1.json")}': 1 error(s) decoding:\n\n* '' has invalid keys: bogus_key`,
    );
    // Only the first line gets the prefix when printed.
    expect(formatConfigError(err).split("\n")).toEqual([
      `==> Error decoding '${join(conf, "1.json")}': 1 error(s) decoding:`,
      "",
      "* '' has invalid keys: bogus_key",
    ]);
  });

  it("reports a symlinked directory named *.json as a read error while decoding", () => {
    const conf = join(dir, "conf");
    mkdirSync(conf);
    mkdirSync(join(dir, "real"));
    symlinkSync(join(dir, "real"), join(conf, "d.json"));
    const sub = join(conf, "d.json");
    expect(loadError([conf]).message).toBe(`Error decoding '${sub}': read ${sub}: is a directory`);
  });

  it.skipIf(process.getuid?.() === 0)("reports unreadable files", () => {
    const file = write("locked.json", "{}");
    chmodSync(file, 0o000);
    expect(loadError([file]).message).toBe(
      `Error reading '${file}': open ${file}: permission denied`,
    );
  });

  it("joins directory entries like Go's filepath.Join", () => {
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "x.json"), "[");
    expect(loadError([`${dir}/./conf/`]).message).toBe(
      `Error decoding '${dir}/conf/x.json': unexpected EOF`,
    );
  });
});
