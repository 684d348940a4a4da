/**
 * Counting what gossip legitimately misses, instead of running a command again until two
 * outputs agree. A query, a key command or a gossiped update reaches every node of a converged
 * cluster almost always, in Go as in ours; now and then (UDP on a loaded machine, a query
 * deadline) one node does not answer. A suite runs each comparison ONCE, records the nodes that
 * did not answer per implementation, and at its end asserts that ours missed no more than Go
 * did in the same run (plus a small slack). A TS agent that dropped half its replies shows
 * dozens of misses and fails; rerunning until agreement would hide it.
 */

/** One comparison in which some nodes did not answer. */
export interface GossipMiss {
  readonly impl: string;
  readonly what: string;
  readonly missing: readonly string[];
}

/** The misses of one suite, by implementation. */
export class GossipMissLedger {
  readonly #misses: GossipMiss[] = [];
  readonly #trials = new Map<string, number>();

  /** Records one comparison run against `impl`; `missing` are the nodes that did not answer. */
  record(impl: string, what: string, missing: readonly string[]): void {
    this.#trials.set(impl, (this.#trials.get(impl) ?? 0) + 1);
    if (missing.length > 0) this.#misses.push({ impl, what, missing: [...missing] });
  }

  /** Nodes that did not answer, summed over the comparisons run against `impl`. */
  count(impl: string): number {
    return this.#misses
      .filter((m) => m.impl === impl)
      .reduce((sum, m) => sum + m.missing.length, 0);
  }

  /** Comparisons run against `impl`. */
  trials(impl: string): number {
    return this.#trials.get(impl) ?? 0;
  }

  /** One line per implementation, then one per miss. */
  report(): string {
    const impls = [...this.#trials.keys()].sort();
    const lines = impls.map(
      (impl) => `${impl}: ${this.count(impl)} missed answers in ${this.trials(impl)} comparisons`,
    );
    for (const m of this.#misses) lines.push(`  ${m.impl}: ${m.what}: ${m.missing.join(", ")}`);
    return lines.join("\n");
  }

  /**
   * `undefined` if `subject` missed at most `slack` more answers than `baseline`, else why not.
   * Throws if `baseline` ran no comparison (nothing to compare with).
   */
  excess(subject: string, baseline: string, slack: number): string | undefined {
    if (this.trials(baseline) === 0) throw new Error(`no ${baseline} comparisons were recorded`);
    const [s, b] = [this.count(subject), this.count(baseline)];
    return s <= b + slack
      ? undefined
      : `${subject} missed ${s} answers, ${baseline} ${b} (allowed: ${b} + ${slack}):\n${this.report()}`;
  }
}

/** Whether `line` names `name`: as `'name'`, `"name"`, `name:` or a whitespace-separated word. */
function mentions(line: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?:^|[\\s'"])${escaped}(?:$|[\\s'":])`).test(line);
}

/**
 * The names among `expected` that no line of `text` mentions (as `'name'`, `"name"`, `name:` or
 * a whitespace-separated word: how Go's CLI prints a responder in text, JSON and key output).
 */
export function unmentioned(text: string, expected: readonly string[]): string[] {
  const lines = text.split("\n");
  return expected.filter((name) => !lines.some((line) => mentions(line, name)));
}

/**
 * `text` without the lines that mention any of `names` (see `unmentioned`), and with the counts
 * that depend on how many answered (`Total Acks: 3`, `[2/3]`, `2/3 nodes`) masked as `*`, and
 * trailing commas dropped (JSON). Applied to both outputs of a comparison when a node missed in
 * either.
 */
export function withoutNodes(text: string, names: readonly string[]): string {
  if (names.length === 0) return text;
  return text
    .split("\n")
    .filter((line) => !names.some((n) => mentions(line, n)))
    .map((line) =>
      line
        .replace(/^(Total (?:Acks|Responses): )\d+$/, "$1*")
        .replace(/\[\d+\/\d+\]/g, "[*/*]")
        .replace(/\b\d+\/\d+ nodes\b/g, "*/* nodes")
        .replace(/,$/, ""),
    )
    .join("\n");
}

/**
 * For `serf keys -list` output (`<key> [k/n]`) and key-command RPC counts: how many of the `n`
 * nodes did not answer (the largest `n - k` over the listed keys; 0 if none is listed).
 */
export function keyListMisses(text: string): number {
  let most = 0;
  for (const m of text.matchAll(/\[(\d+)\/(\d+)\]/g)) {
    most = Math.max(most, Number(m[2]) - Number(m[1]));
  }
  return most;
}
