/**
 * Every identifier written as `Name(` in a text (`\b[A-Za-z_]\w*\s*\(`, matches taken left to right, each consuming
 * its `(`), with the offsets of the name and of the `(`. The workspace index (`calledNames`) and the IRQL contracts
 * (prototypes of a function) both need them for the text of the document being edited: the last text's scan is
 * kept, so a keystroke scans it once, and the next text is scanned only around what changed (`rescan`).
 */
import { changedSpan, isNameCharAt, isNameStartAt, isSpaceAt } from './lookup';

export interface CallTokens {
  names: string[];
  starts: number[];
  parens: number[];
}

let lastText: string | undefined;
let lastTokens: CallTokens | undefined;

export function callTokens(text: string): CallTokens {
  if (lastTokens && text === lastText) return lastTokens;
  const tokens = lastTokens && lastText !== undefined ? rescan(lastText, lastTokens, text) : scanCallTokens(text);
  lastText = text;
  lastTokens = tokens;
  return tokens;
}

/** The tokens of a whole text, scanned from its start. */
export function scanCallTokens(text: string): CallTokens {
  const tokens: CallTokens = { names: [], starts: [], parens: [] };
  scanFrom(text, 0, tokens);
  return tokens;
}

/**
 * Scans from `from`; with `old`, stops at the first token that is also one of the old text's (moved by `delta`)
 * past the changed text, and takes the old tokens from there on.
 */
function scanFrom(text: string, from: number, tokens: CallTokens, old?: { tokens: CallTokens; delta: number; newEnd: number; next: number }): void {
  let oldIndex = old?.next ?? 0;
  // Driven by the `(`s, which are rarer than the names a pattern would try: the name is the whole word before one
  // (through whitespace), as the pattern's `\b` and greedy `\w*` make it.
  for (let paren = text.indexOf('(', from); paren !== -1; paren = text.indexOf('(', paren + 1)) {
    let nameEnd = paren;
    while (nameEnd > from && isSpaceAt(text, nameEnd - 1)) nameEnd--;
    let start = nameEnd;
    while (start > from && isNameCharAt(text, start - 1)) start--;
    if (start === nameEnd || isNameCharAt(text, start - 1) || !isNameStartAt(text, start)) continue;
    if (old && start - 1 >= old.newEnd) {
      // Everything this token's match read (from the character before it) lies in the unchanged tail, so the old scan
      // read the same there; if it found the same token, both scans go on from the same `(` over the same text.
      const { starts, parens, names } = old.tokens;
      while (oldIndex < starts.length && starts[oldIndex] + old.delta < start) oldIndex++;
      if (oldIndex < starts.length && starts[oldIndex] + old.delta === start && parens[oldIndex] + old.delta === paren) {
        for (let index = oldIndex; index < starts.length; index++) {
          tokens.names.push(names[index]);
          tokens.starts.push(starts[index] + old.delta);
          tokens.parens.push(parens[index] + old.delta);
        }
        return;
      }
    }
    tokens.names.push(text.slice(start, nameEnd));
    tokens.starts.push(start);
    tokens.parens.push(paren);
  }
}

/**
 * The tokens of `text` from those of `before`: a token whose match read only text before the change (up to its `(`)
 * is kept, the scan resumes after the last such `(`, and it ends at the first token it shares with the old scan past
 * the change. The same tokens as `scanCallTokens(text)` (a unit test compares them on random edits).
 */
function rescan(before: string, old: CallTokens, text: string): CallTokens {
  const span = changedSpan(before, text);
  if (!span) return old;
  // Tokens are in document order, and so are their `(`: keep those whose `(` lies before the change.
  let kept = 0;
  let high = old.parens.length;
  while (kept < high) {
    const mid = (kept + high) >> 1;
    if (old.parens[mid] < span.start) kept = mid + 1;
    else high = mid;
  }
  const tokens: CallTokens = { names: old.names.slice(0, kept), starts: old.starts.slice(0, kept), parens: old.parens.slice(0, kept) };
  const from = kept > 0 ? old.parens[kept - 1] + 1 : 0;
  scanFrom(text, from, tokens, { tokens: old, delta: span.newEnd - span.oldEnd, newEnd: span.newEnd, next: kept });
  return tokens;
}
