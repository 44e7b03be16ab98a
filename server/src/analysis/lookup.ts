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

const isWordCode = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isSpaceCode = (code: number) => code === 32 || (code >= 9 && code <= 13) || (code > 127 && /\s/.test(String.fromCharCode(code)));

/**
 * Where a match can start when it must reach one of the `anchors` (a global pattern) over a C access path and
 * whitespace (`p->Field . x  ==`): each anchor's own offset, and the name starts on the path-shaped text right before
 * it; ascending, each once. With `matchesAt` this stands in for a global scan of a pattern like
 * `PATH\s*==|!PATH|…`, which tries the path at every name of the text: the anchors are rare, the names are not.
 */
export function *pathStartsBefore(text: string, anchors: RegExp): Generator<number> {
  let tried = -1;
  anchors.lastIndex = 0;
  for (let found = anchors.exec(text); found; found = anchors.exec(text)) {
    const at = found.index;
    anchors.lastIndex = at + 1;
    let start = at;
    for (;;) {
      const code = text.charCodeAt(start - 1);
      if (start > 0 && (isWordCode(code) || isSpaceCode(code) || code === 46)) start--;
      else if (start > 1 && code === 62 && text.charCodeAt(start - 2) === 45) start -= 2;
      else break;
    }
    for (let offset = Math.max(start, tried + 1); offset <= at; offset++) {
      if (offset === at || isWordCode(text.charCodeAt(offset)) && !isWordCode(text.charCodeAt(offset - 1))) yield (tried = offset);
    }
  }
}

/**
 * Where the access path `parts` (`['a', '->', 'b']`, from `path.split(/(->|\.)/)`) written at `at` ends in text
 * before `to`, with any whitespace around its `->` and `.` (what `a\s*->\s*b` matches there); -1 when it is not there.
 */
export function pathEndAt(text: string, at: number, parts: readonly string[], to: number): number {
  let offset = at;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    const separator = index % 2 === 1;
    if (separator) while (offset < to && isSpaceCode(text.charCodeAt(offset))) offset++;
    if (offset + part.length > to || !text.startsWith(part, offset)) return -1;
    offset += part.length;
    if (separator) while (offset < to && isSpaceCode(text.charCodeAt(offset))) offset++;
  }
  return offset;
}

/** Whether the character at `offset` is a name character (`\w`); false outside the text. */
export function isNameCharAt(text: string, offset: number): boolean {
  return offset >= 0 && offset < text.length && isWordCode(text.charCodeAt(offset));
}

/** Whether the character at `offset` can start a name (`[A-Za-z_]`: not a digit); false outside the text. */
export function isNameStartAt(text: string, offset: number): boolean {
  const code = text.charCodeAt(offset);
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** Whether the character at `offset` is whitespace (`\s`); false outside the text. */
export function isSpaceAt(text: string, offset: number): boolean {
  return offset >= 0 && offset < text.length && isSpaceCode(text.charCodeAt(offset));
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
