/** `key=value` tag strings, as `-tag` and RPC/CLI `tags` use them (Go `UnmarshalTags`). */

import { type Tags, tagRecord } from "./agent-config.ts";

/** A `-tag` value without a key (`Invalid tag: 'x'`). */
export class InvalidTagError extends Error {
  readonly tag: string;
  constructor(tag: string) {
    super(`Invalid tag: '${tag}'`);
    this.name = "InvalidTagError";
    this.tag = tag;
  }
}

/**
 * Parses `key=value` strings: split at the first `=`, key non-empty, value may be empty or
 * contain `=`. Later duplicates win. Throws `InvalidTagError`.
 */
export function unmarshalTags(pairs: readonly string[]): Tags {
  const tags = tagRecord();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InvalidTagError(pair);
    tags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return tags;
}

/** Tags as `key=value` strings (Go `MarshalTags`; Go's order is random, ours is insertion). */
export function marshalTags(tags: Readonly<Tags>): string[] {
  return Object.keys(tags).map((key) => `${key}=${tags[key]}`);
}
