/**
 * Query filter evaluation at a receiving node (Go `shouldProcessQuery`). Every filter must
 * pass; if one does not, or cannot be evaluated, the query is not processed (no ack, no
 * delivery) but is still rebroadcast.
 */

import type { QueryFilter } from "@serf-ts/wire";
import { compileGoRegexp, type GoRegexpResult } from "./go-regexp.ts";

/** What a filter is evaluated against: the local node. */
export interface FilterTarget {
  readonly nodeName: string;
  /** Local tags; a missing tag reads as `""` (Go map zero value). */
  readonly tags: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** Why a query is not processed. */
export type FilterRejection =
  | { readonly reason: "node-not-listed"; readonly filterIndex: number }
  | { readonly reason: "tag-mismatch"; readonly filterIndex: number; readonly tag: string }
  | {
      readonly reason: "bad-regexp";
      readonly filterIndex: number;
      readonly tag: string;
      readonly expr: string;
      /** Go rejects the expression too (Go logs and refuses the query). */
      readonly kind: "invalid";
      readonly message: string;
    }
  | { readonly reason: "undecodable"; readonly filterIndex: number };

/** Result of {@link evaluateFilters}. */
export type FilterResult = { readonly pass: true } | ({ readonly pass: false } & FilterRejection);

function tagValue(tags: FilterTarget["tags"], tag: string): string {
  if (tags instanceof Map) return tags.get(tag) ?? "";
  const record = tags as Readonly<Record<string, string>>;
  return Object.hasOwn(record, tag) ? (record[tag] ?? "") : "";
}

/** A small cache: the same few expressions arrive with every query of a deployment. */
const REGEXP_CACHE_MAX = 64;
const regexpCache = new Map<string, GoRegexpResult>();

function compileCached(expr: string): GoRegexpResult {
  let r = regexpCache.get(expr);
  if (r === undefined) {
    r = compileGoRegexp(expr);
    if (regexpCache.size >= REGEXP_CACHE_MAX) {
      const oldest = regexpCache.keys().next();
      if (!oldest.done) regexpCache.delete(oldest.value);
    }
    regexpCache.set(expr, r);
  }
  return r;
}

/** Evaluates one decoded filter. */
export function evaluateFilter(
  filter: QueryFilter,
  target: FilterTarget,
  filterIndex = 0,
): FilterResult {
  if (filter.type === "node") {
    return filter.nodes.includes(target.nodeName)
      ? { pass: true }
      : { pass: false, reason: "node-not-listed", filterIndex };
  }
  const compiled = compileCached(filter.expr);
  if (!compiled.ok) {
    return {
      pass: false,
      reason: "bad-regexp",
      filterIndex,
      tag: filter.tag,
      expr: filter.expr,
      kind: compiled.kind,
      message: compiled.message,
    };
  }
  // Go regexp.MatchString: unanchored search, linear time (re2js).
  return compiled.regexp.test(tagValue(target.tags, filter.tag))
    ? { pass: true }
    : { pass: false, reason: "tag-mismatch", filterIndex, tag: filter.tag };
}

/**
 * Evaluates a query's filters in order; the first failing one decides. Pass `undefined` for a
 * filter that could not be decoded (Go logs and refuses the query). An empty or nil list
 * passes.
 */
export function evaluateFilters(
  filters: readonly (QueryFilter | undefined)[] | null,
  target: FilterTarget,
): FilterResult {
  if (filters === null) return { pass: true };
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    if (f === undefined) return { pass: false, reason: "undecodable", filterIndex: i };
    const r = evaluateFilter(f, target, i);
    if (!r.pass) return r;
  }
  return { pass: true };
}

/**
 * Builds the filters a query sender emits (Go `encodeFilters`): at most one node filter,
 * first, then one tag filter per tag in the given order.
 */
export function buildQueryFilters(
  filterNodes: readonly string[] | undefined,
  filterTags: ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined,
): QueryFilter[] {
  const out: QueryFilter[] = [];
  if (filterNodes !== undefined && filterNodes.length > 0) {
    out.push({ type: "node", nodes: [...filterNodes] });
  }
  if (filterTags !== undefined) {
    const entries = filterTags instanceof Map ? [...filterTags] : Object.entries(filterTags);
    for (const [tag, expr] of entries) out.push({ type: "tag", tag, expr });
  }
  return out;
}
