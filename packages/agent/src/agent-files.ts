/**
 * The agent's own files, with Go serf 0.9.4's behaviour and error texts (agent.md §9):
 *
 * - the tags file (`-tags-file`): a JSON object of strings, read at start, rewritten as
 *   `json.MarshalIndent` output (2-space indent, keys sorted, no trailing newline, mode 0600 for
 *   new files) whenever the tags change;
 * - the keyring file (`-keyring-file`): a JSON array of base64 keys, primary first, checked at
 *   start (serf rewrites it after key changes).
 *
 * Errors are `AgentFileError`s whose message is what Go prints after
 * `==> Failed to setup the Serf agent: `.
 */

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { type Tags, tagRecord } from "./config/agent-config.ts";
import { decodeGoBase64, GoBase64Error } from "@serf-ts/wire/gocompat";
import { type GoJsonValue, GoJsonError, unmarshalGoJson } from "@serf-ts/wire/gocompat";

/** A tags or keyring file problem; `message` is Go's text. */
export class AgentFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AgentFileError";
  }
}

/** Go's `syscall.Errno` texts for the errors a file operation commonly meets. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
};

/** A Node fs error as Go's `*PathError` prints it: `OP PATH: reason`. */
export function goPathError(op: string, path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const reason =
    typeof code === "string" && ERRNO_TEXT[code] !== undefined
      ? ERRNO_TEXT[code]
      : err instanceof Error
        ? err.message
        : String(err);
  return `${op} ${path}: ${reason}`;
}

/** Go's JSON kind word of a decoded value in `UnmarshalTypeError` (`number`, `object` …). */
function jsonKind(value: GoJsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  return Array.isArray(value) ? "array" : "object";
}

function readFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    // ioutil.ReadFile: `open PATH: …`, or `read PATH: is a directory`.
    const op = (err as { code?: unknown }).code === "EISDIR" ? "read" : "open";
    throw new AgentFileError(`Failed to read ${what} file: ${goPathError(op, path, err)}`, {
      cause: err,
    });
  }
}

function decodeJson(bytes: Uint8Array, what: string): GoJsonValue {
  try {
    return unmarshalGoJson(bytes);
  } catch (err) {
    if (err instanceof GoJsonError) {
      throw new AgentFileError(`Failed to decode ${what} file: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go `loadTagsFile`: `undefined` when the file does not exist (it is created on the first tag
 * change), else its tags. Tags from the configuration are not allowed together with a tags
 * file.
 */
export function loadTagsFile(path: string, configuredTags: Readonly<Tags>): Tags | undefined {
  if (Object.keys(configuredTags).length > 0) {
    throw new AgentFileError("Tags config not allowed while using tag files");
  }
  // Go: any Stat error (not only "does not exist") skips the file.
  if (!fileExists(path)) return undefined;
  const value = decodeJson(readFile(path, "tags"), "tags");
  const tags = tagRecord();
  if (value === null) return tags;
  if (!(value instanceof Map)) {
    throw new AgentFileError(
      `Failed to decode tags file: json: cannot unmarshal ${jsonKind(value)} into Go value of type map[string]string`,
    );
  }
  for (const [key, v] of value) {
    if (v === null) {
      tags[key] = "";
    } else if (typeof v === "string") {
      tags[key] = v;
    } else {
      throw new AgentFileError(
        `Failed to decode tags file: json: cannot unmarshal ${jsonKind(v)} into Go value of type string`,
      );
    }
  }
  return tags;
}

/** A string as Go's `encoding/json` writes it (HTML-safe escaping). */
export function goJsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += "\\ufffd"; // a lone surrogate: Go would have had invalid UTF-8 here
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Go `json.MarshalIndent(map[string]string, "", "  ")`: keys sorted, `{}` when empty. */
export function formatTagsFile(tags: Readonly<Tags>): string {
  const keys = Object.keys(tags).sort(compareGoStrings);
  if (keys.length === 0) return "{}";
  const lines = keys.map((k) => `  ${goJsonString(k)}: ${goJsonString(tags[k] ?? "")}`);
  return `{\n${lines.join(",\n")}\n}`;
}

/**
 * Go `writeTagsFile`: `ioutil.WriteFile(path, json, 0600)` (an existing file keeps its mode).
 * Throws `AgentFileError` `Failed to write tags file: open PATH: …`.
 */
export function writeTagsFile(path: string, tags: Readonly<Tags>): void {
  try {
    writeFileSync(path, formatTagsFile(tags), { mode: 0o600 });
  } catch (err) {
    throw new AgentFileError(`Failed to write tags file: ${goPathError("open", path, err)}`, {
      cause: err,
    });
  }
}

/** Key sizes memberlist accepts (AES-128/192/256). */
const KEY_SIZES: ReadonlySet<number> = new Set([16, 24, 32]);

/**
 * Go `loadKeyringFile`: the keys of a keyring file, primary first. Checks everything Go checks,
 * in Go's order, with its texts (`stat PATH: no such file or directory`,
 * `Keyring file contains no keys`, `Failed to decode key from keyring: …`, …).
 */
export function loadKeyringFile(path: string, encryptKey: string): Uint8Array[] {
  if (encryptKey.length > 0) {
    throw new AgentFileError("Encryption key not allowed while using a keyring");
  }
  try {
    statSync(path);
  } catch (err) {
    throw new AgentFileError(goPathError("stat", path, err), { cause: err });
  }
  const value = decodeJson(readFile(path, "keyring"), "keyring");
  const texts: string[] = [];
  if (value !== null) {
    if (!Array.isArray(value)) {
      throw new AgentFileError(
        `Failed to decode keyring file: json: cannot unmarshal ${jsonKind(value)} into Go value of type []string`,
      );
    }
    for (const v of value) {
      if (v !== null && typeof v !== "string") {
        throw new AgentFileError(
          `Failed to decode keyring file: json: cannot unmarshal ${jsonKind(v)} into Go value of type string`,
        );
      }
      texts.push(v ?? "");
    }
  }
  const keys = texts.map((text) => {
    try {
      return decodeGoBase64(text);
    } catch (err) {
      if (err instanceof GoBase64Error) {
        throw new AgentFileError(`Failed to decode key from keyring: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  });
  if (keys.length === 0) throw new AgentFileError("Keyring file contains no keys");
  if (keys.some((k) => !KEY_SIZES.has(k.length))) {
    throw new AgentFileError("Failed to restore keyring: key size must be 16, 24 or 32 bytes");
  }
  return keys;
}
