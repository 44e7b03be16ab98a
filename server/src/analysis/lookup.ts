/**
 * Name tables (`FREES[calleeName]`, `FIELD_SOURCES[field]`, …) without `Object.prototype` behind them: a C
 * identifier can be `constructor`, `toString` or `__proto__`, and a plain object literal answers those with its
 * inherited members (a finding once read "Use function toString() { [native code] }").
 */
export function lookupTable<T>(entries: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** `text` as a regular expression that matches it literally (C++ names hold `(`, `*`, `:` and friends). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The index of the first value greater than `value` in ascending `values` (`values.length` when there is none). */
export function firstAbove(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (values[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * What `text.matchAll(pattern)` gives for a global pattern whose matches can only start at the given offsets
 * (ascending): `sticky` (the pattern with the `y` flag instead of `g`) is tried there alone, and offsets inside an
 * earlier match are skipped as a global scan skips them. For a pattern that opens with a literal this replaces a
 * try at every character of a big file with a few `indexOf` jumps.
 */
export function matchesAt(text: string, sticky: RegExp, starts: Iterable<number>): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  let next = 0;
  for (const start of starts) {
    if (start < next) continue;
    sticky.lastIndex = start;
    const match = sticky.exec(text);
    if (!match) continue;
    matches.push(match);
    next = start + Math.max(1, match[0].length);
  }
  return matches;
}

/** The offsets where any of the needles occurs, ascending, each once. */
export function occurrences(text: string, ...needles: string[]): number[] {
  const found: number[] = [];
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) found.push(at);
  }
  if (needles.length === 1) return found;
  found.sort((a, b) => a - b);
  let unique = 0;
  for (let index = 0; index < found.length; index++) if (index === 0 || found[index] !== found[index - 1]) found[unique++] = found[index];
  found.length = unique;
  return found;
}

const SPAN_CHUNK = 2048;

/** The single changed span between two texts: common prefix and suffix (offsets in `before` and `after`). */
export function changedSpan(before: string, after: string): TextSpan | undefined {
  if (before === after) return undefined;
  // The parse, the neutralizing, the call tokens and the reuse plan each ask about the same two texts once per edit.
  for (const known of recentSpans) if (known.before === before && known.after === after) return known.span;
  const span = computeChangedSpan(before, after);
  recentSpans.unshift({ before, after, span });
  recentSpans.length = Math.min(recentSpans.length, 2);
  return span;
}

export interface TextSpan {
  start: number;
  oldEnd: number;
  newEnd: number;
}

const recentSpans: { before: string; after: string; span: TextSpan }[] = [];

function computeChangedSpan(before: string, after: string): TextSpan {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  // Whole chunks first: comparing slices runs in native code, a character loop over a 16k-line file takes ms.
  while (start + SPAN_CHUNK <= shortest && before.slice(start, start + SPAN_CHUNK) === after.slice(start, start + SPAN_CHUNK)) start += SPAN_CHUNK;
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let oldEnd = before.length;
  let newEnd = after.length;
  while (oldEnd - SPAN_CHUNK >= start && newEnd - SPAN_CHUNK >= start && before.slice(oldEnd - SPAN_CHUNK, oldEnd) === after.slice(newEnd - SPAN_CHUNK, newEnd)) {
    oldEnd -= SPAN_CHUNK;
    newEnd -= SPAN_CHUNK;
  }
  while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === after.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return { start, oldEnd, newEnd };
}
