/**
 * Reading `-config-file` / `-config-dir` paths (Go `agent.ReadConfigPaths`): paths in the given
 * order; a directory contributes its `*.json` entries sorted by name (byte order), without
 * recursing; every file is decoded and folded left to right over an empty configuration.
 */

import { closeSync, fstatSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentConfig, emptyConfig } from "./agent-config.ts";
import { ConfigError, ConfigErrorCode } from "./config-error.ts";
import { ConfigDecodeError, decodeConfig } from "./decode-config.ts";
import { mergeConfig } from "./merge-config.ts";

/** Go's texts for the errno values file reading can produce (Linux `syscall.Errno`). */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files in system",
  EIO: "input/output error",
  ENXIO: "no such device or address",
  EINVAL: "invalid argument",
};

/** A Node fs error as Go's `*os.PathError` prints it: `OP PATH: errno text`. */
export function goPathError(op: string, path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  let text = typeof code === "string" ? ERRNO_TEXT[code] : undefined;
  if (text === undefined) {
    const message = err instanceof Error ? err.message : String(err);
    text = /^[A-Z0-9]+: ([^,]*)/.exec(message)?.[1] ?? message;
  }
  return `${op} ${path}: ${text}`;
}

function readError(path: string, detail: string, cause: unknown): ConfigError {
  return new ConfigError(ConfigErrorCode.READ, `Error reading '${path}': ${detail}`, { cause });
}

function decodeFile(path: string, fd: number): AgentConfig {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fd);
  } catch (err) {
    throw new ConfigError(
      ConfigErrorCode.DECODE,
      `Error decoding '${path}': ${goPathError("read", path, err)}`,
      { cause: err },
    );
  }
  try {
    return decodeConfig(bytes);
  } catch (err) {
    if (err instanceof ConfigDecodeError) {
      throw new ConfigError(ConfigErrorCode.DECODE, `Error decoding '${path}': ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

function openPath(path: string): number {
  try {
    return openSync(path, "r");
  } catch (err) {
    throw readError(path, goPathError("open", path, err), err);
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Reads and merges the config files and directories in `paths` (synchronously, as Go does at
 * startup). Returns the merged file layer, to be merged over `defaultConfig()`. Throws
 * `ConfigError` `READ` (`Error reading 'P': open P: no such file or directory`) or `DECODE`
 * (`Error decoding 'P': …`).
 */
export function loadConfigFiles(paths: readonly string[]): AgentConfig {
  let result = emptyConfig();
  for (const path of paths) {
    const fd = openPath(path);
    let isDir: boolean;
    try {
      isDir = fstatSync(fd).isDirectory();
    } catch (err) {
      closeSync(fd);
      throw readError(path, goPathError("stat", path, err), err);
    }
    if (!isDir) {
      try {
        result = mergeConfig(result, decodeFile(path, fd));
      } finally {
        closeSync(fd);
      }
      continue;
    }
    closeSync(fd);
    let names: string[];
    try {
      names = readdirSync(path, { withFileTypes: true })
        .filter((entry) => !entry.isDirectory() && entry.name.endsWith(".json"))
        .map((entry) => entry.name)
        .sort(byteOrder);
    } catch (err) {
      throw readError(path, goPathError("readdirent", path, err), err);
    }
    for (const name of names) {
      const sub = join(path, name);
      const subFd = openPath(sub);
      try {
        result = mergeConfig(result, decodeFile(sub, subFd));
      } finally {
        closeSync(subFd);
      }
    }
  }
  return result;
}
