/**
 * Reuse of per-function findings between analyses of an edited document (the language server's keystroke path).
 *
 * After an analysis the engine keeps, for each function of the file, the findings that `scope: 'function'` rules
 * reported while visiting it (in text offsets). When the next version differs from one of the last few analyzed
 * versions by an edit inside one function (or by whitespace and comments between functions), only that function
 * and the functions it reaches through references (calls, dispatch table assignments, callbacks passed on;
 * transitively) are analyzed again; the findings of every other function are taken over with their offsets shifted
 * by the edit. Anything the plan cannot vouch for — other code between functions, a changed set of functions,
 * changed driver roles or references, a #define, #include or #pragma in the edited function, other settings or
 * workspace facts — gives a full analysis instead. `test/unit/incremental.test.ts` checks on random edits that
 * the result equals a fresh analysis.
 */
import type { CachedFact } from './attack-surface';
import { escapeRegExp } from './lookup';
import type { Severity } from './finding';
import type { OffsetEdit } from './rule';
import { firstStartingAt, type SourceFile } from './source-file';
import type { TextDerivations } from './text-derivations';
import type { WorkspaceDependence } from './workspace-trace';

/** A finding in offsets of the analyzed text: the form kept between analyses (lines are derived at the end). */
export interface RawFinding {
  ruleId: string;
  checklistItem: string;
  severity: Severity;
  /** The message with `{{key}}` left in for each line reference, resolved when the finding is built. */
  message: string;
  /** Offsets whose line numbers the message names, by placeholder. */
  lineReferences?: Record<string, number>;
  start: number;
  end: number;
  related: { start: number; end: number; message: string }[];
  fixes: { title: string; isPreferred: boolean; edits: OffsetEdit[] }[];
}

interface FunctionResult {
  name: string;
  start: number;
  end: number;
  text: string;
  /** Names of the file's functions this one mentions (calls, dispatch-table assignments, callbacks passed on). */
  references: string[];
  findings: RawFinding[];
}

/** What an analysis leaves behind for the next one. */
export interface AnalysisMemo {
  /** Settings and workspace state the findings were computed under. */
  key: string;
  /** The analyzed text (after neutralizing annotations). */
  parsedText: string;
  /** Driver roles of the file. */
  roles: string;
  /** What function-scoped rules read file-wide (`Rule.fileFacts`). */
  facts: string;
  /** The text between functions (before the first, between each two, after the last) without comments and whitespace. */
  gaps: string[];
  functions: FunctionResult[];
  /** The workspace answers its findings depend on (set once the analysis is done; undefined without a workspace). */
  workspace?: WorkspaceDependence;
  /** Values derived from function texts (`SourceFile.fromText`), for the next analysis. */
  derivations?: TextDerivations;
  /** The attack-surface facts of its functions (`fileSurface`'s cache), set once the surface is computed. */
  surface?: ReadonlyMap<string, CachedFact>;
}

export interface ReusePlan {
  /** For each function (index as in `file.functions()`): the findings to take over, or undefined to analyze it again. */
  reused: (RawFinding[] | undefined)[];
  /**
   * For a function whose `function` rules run again because it is reached from the edited one (`reused` undefined)
   * but which is not itself edited: the findings of `function-local` rules to take over (they do not depend on
   * callers), or undefined to run those rules there too.
   */
  reusedLocal: (RawFinding[] | undefined)[];
  /** Function ranges in document order, for attributing nodes to functions. */
  ranges: { start: number; end: number }[];
}

/** Function ranges when functions do not nest or overlap (always so in C; C++ local classes are the exception). */
export function functionRanges(file: SourceFile): { start: number; end: number }[] | undefined {
  const ranges = file.functions().map((fn) => ({ start: fn.node.startIndex, end: fn.node.endIndex }));
  for (let index = 1; index < ranges.length; index++) if (ranges[index].start < ranges[index - 1].end) return undefined;
  return ranges;
}

const rolesByFile = new WeakMap<SourceFile, string>();

/** The file's driver roles as one string (computed once per analysis: the plan and the memo both need it). */
export function rolesFingerprint(file: SourceFile): string {
  let roles = rolesByFile.get(file);
  if (roles === undefined) {
    roles = file.driver.roles.map((role) => `${role.functionName}|${role.role}|${role.detail ?? ''}`).join('\n');
    rolesByFile.set(file, roles);
  }
  return roles;
}

/** One regular expression for "any of these names as a whole word" (far faster than testing every identifier). */
function namesPattern(names: ReadonlySet<string>): RegExp | undefined {
  if (names.size === 0) return undefined;
  // C++ names can hold regular-expression characters (`operator()`, `Outer::Inner`).
  const escaped = [...names].map(escapeRegExp);
  return new RegExp(`(?<![\\w$])(?:${escaped.join('|')})(?![\\w$])`, 'g');
}

function referencesIn(text: string, pattern: RegExp | undefined): string[] {
  if (!pattern) return [];
  const found = new Set<string>();
  for (const match of text.matchAll(pattern)) found.add(match[0]);
  return [...found].sort();
}

/** The memo of a finished analysis: `findingsOf(index)` gives the findings recorded for each function. */
export function buildMemo(
  file: SourceFile,
  parsedText: string,
  key: string,
  facts: string,
  ranges: { start: number; end: number }[],
  findingsOf: (index: number) => RawFinding[],
  previous?: { memo: AnalysisMemo; reusedFrom: (number | undefined)[] },
): AnalysisMemo {
  const functions = file.functions();
  let pattern: RegExp | undefined;
  return {
    key,
    parsedText,
    roles: rolesFingerprint(file),
    facts,
    gaps: ranges.map((_, index) => index).concat(ranges.length).map((gap) => gapText(file, parsedText, ranges, gap)),
    functions: functions.map((fn, index) => {
      const { start, end } = ranges[index];
      const text = parsedText.slice(start, end);
      const old = previous?.reusedFrom[index];
      // An unchanged function keeps its references (its text is the same, and so is the set of names).
      pattern ??= namesPattern(new Set(functions.map((other) => other.name)));
      const references = old !== undefined ? previous!.memo.functions[old].references : referencesIn(text, pattern);
      return { name: fn.name, start, end, text, references, findings: findingsOf(index) };
    }),
  };
}

/** The single changed span between two texts: common prefix and suffix (offsets in `before` and `after`). */
export function changedSpan(before: string, after: string): { start: number; oldEnd: number; newEnd: number } | undefined {
  if (before === after) return undefined;
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let oldEnd = before.length;
  let newEnd = after.length;
  while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === after.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return { start, oldEnd, newEnd };
}

/**
 * Which functions' findings can be taken over from `memo` for the file as it is now, or undefined when the whole
 * file must be analyzed. `ranges` are the file's function ranges (`functionRanges`); `reusedFrom[i]` is the memo's
 * index of function i when its findings were reused.
 * `facts` sums up what function-scoped rules read file-wide besides roles (`Rule.fileFacts`).
 */
export function planReuse(file: SourceFile, parsedText: string, ranges: { start: number; end: number }[], key: string, facts: string, memo: AnalysisMemo | undefined, localRules: ReadonlySet<string> = new Set()):
  (ReusePlan & { memo: AnalysisMemo; reusedFrom: (number | undefined)[] }) | undefined {
  if (!memo || memo.key !== key || ranges.length !== memo.functions.length) return undefined;
  const functions = file.functions();
  const reused: (RawFinding[] | undefined)[] = new Array(ranges.length).fill(undefined);
  const reusedLocal: (RawFinding[] | undefined)[] = new Array(ranges.length).fill(undefined);
  const reusedFrom: (number | undefined)[] = new Array(ranges.length).fill(undefined);
  const span = changedSpan(memo.parsedText, parsedText);
  if (!span) {
    if (facts !== memo.facts) return undefined;
    // The same text under the same settings: everything is reused.
    memo.functions.forEach((old, index) => {
      reused[index] = old.findings;
      reusedFrom[index] = index;
    });
    return { reused, reusedLocal, reusedFrom, ranges, memo };
  }
  const delta = span.newEnd - span.oldEnd;
  // Functions before and after the edit keep their text; at most one function is touched by it.
  let changed: number | undefined;
  for (let index = 0; index < ranges.length; index++) {
    const now = ranges[index];
    const old = memo.functions[index];
    if (old.name !== functions[index].name) return undefined;
    if (now.end <= span.start) {
      if (old.start !== now.start || old.end !== now.end) return undefined;
    } else if (now.start >= span.newEnd) {
      if (old.start !== now.start - delta || old.end !== now.end - delta) return undefined;
    } else {
      if (changed !== undefined) return undefined;
      changed = index;
      continue;
    }
    if (parsedText.slice(now.start, now.end) !== old.text) return undefined;
  }
  // Declarations, macros, pragmas and role declarations live between functions: the text there may differ in
  // comments and whitespace only (typing on a blank line before a function makes it part of that function's range).
  for (let gap = 0; gap <= ranges.length; gap++) {
    const start = gap > 0 ? ranges[gap - 1].end : 0;
    const end = gap < ranges.length ? ranges[gap].start : parsedText.length;
    if (end < span.start || start > span.newEnd) continue;
    if (gapText(file, parsedText, ranges, gap) !== memo.gaps[gap]) return undefined;
  }
  if (rolesFingerprint(file) !== memo.roles || facts !== memo.facts) return undefined;
  let dirty = new Set<string>();
  let edited: { start: number; end: number } = { start: span.start, end: span.oldEnd };
  if (changed !== undefined) {
    const changedText = parsedText.slice(ranges[changed].start, ranges[changed].end);
    // A #define, #include or #pragma (other than warning/prefast) inside a function reaches the rest of the file, and a type defined inside one
    // is seen by rules that look up fields and typedefs file-wide.
    if (!isSelfContained(changedText) || !isSelfContained(memo.functions[changed].text)) return undefined;
    const references = referencesIn(changedText, namesPattern(new Set(functions.map((fn) => fn.name))));
    if (references.join(' ') !== memo.functions[changed].references.join(' ')) return undefined;
    dirty = reachedFrom(memo.functions[changed].name, memo.functions);
    const old = memo.functions[changed];
    edited = { start: Math.min(old.start, span.start), end: Math.max(old.end, span.oldEnd) };
  }
  for (let index = 0; index < ranges.length; index++) {
    const old = memo.functions[index];
    if (index === changed) continue;
    if (dirty.has(old.name)) {
      // Reached from the edited function: caller-dependent rules run again, caller-independent ones keep theirs.
      if (localRules.size > 0) reusedLocal[index] = shiftFindings(old.findings.filter((finding) => localRules.has(finding.ruleId)), span, edited);
      continue;
    }
    const shifted = shiftFindings(old.findings, span, edited);
    if (!shifted) continue; // it points into the edited function: analyze it again
    reused[index] = shifted;
    reusedFrom[index] = index;
  }
  return { reused, reusedLocal, reusedFrom, ranges, memo };
}

/** Gap `gap` (0: before the first function) without its comments and whitespace. */
function gapText(file: SourceFile, parsedText: string, ranges: readonly { start: number; end: number }[], gap: number): string {
  const start = gap > 0 ? ranges[gap - 1].end : 0;
  const end = gap < ranges.length ? ranges[gap].start : parsedText.length;
  const comments = file.nodes('comment');
  let text = '';
  let from = start;
  for (let index = firstStartingAt(comments, start); index < comments.length && comments[index].startIndex < end; index++) {
    text += parsedText.slice(from, comments[index].startIndex);
    from = comments[index].endIndex;
  }
  return (text + parsedText.slice(from, end)).replace(/\s+/g, '');
}

const LOCAL_TYPE_DEFINITION = /\b(?:typedef|struct|union|enum)\b[^;(){}]*\{/;
/**
 * Directives whose effect reaches past the function (conditionals inside a function stay inside it). A
 * `#pragma warning(…)` or `#pragma prefast(…)` (`suppress:` for the next line, mostly) is read only by the rules
 * visiting the statement after it (null-pointer-dereference's C6011 suppressions, user-pointers' handler lookup): it
 * stays inside the function too. Other pragmas (`alloc_text`, `code_seg`, …) change file-wide facts.
 */
const FILE_WIDE_DIRECTIVE = /#\s*(?:define|undef|include|import|line)\b|#\s*pragma\b(?!\s*(?:warning|prefast)\s*\()/;

function isSelfContained(functionText: string): boolean {
  return !FILE_WIDE_DIRECTIVE.test(functionText) && !LOCAL_TYPE_DEFINITION.test(functionText);
}

/**
 * The function named `name` and every function it reaches through references: what a function-scoped rule finds
 * in a function depends on the functions that call it (taint passed in, checks made before the call), not on its
 * callees, so an edit can change the findings of the edited function and of what it calls, directly or not.
 */
function reachedFrom(name: string, functions: readonly FunctionResult[]): Set<string> {
  const callees = new Map<string, string[]>();
  for (const fn of functions) {
    const list = callees.get(fn.name) ?? [];
    list.push(...fn.references.filter((reference) => reference !== fn.name));
    callees.set(fn.name, list);
  }
  const result = new Set<string>([name]);
  const queue = [name];
  while (queue.length > 0) {
    for (const next of callees.get(queue.pop()!) ?? []) {
      if (result.has(next)) continue;
      result.add(next);
      queue.push(next);
    }
  }
  return result;
}

/** Findings moved by the edit, or undefined when one of their offsets lies in the edited function or text. */
function shiftFindings(findings: readonly RawFinding[], span: { start: number; oldEnd: number; newEnd: number }, edited: { start: number; end: number }): RawFinding[] | undefined {
  const delta = span.newEnd - span.oldEnd;
  let touchesEdited = false;
  const move = (offset: number): number => {
    if (offset >= edited.start && offset <= edited.end) touchesEdited = true;
    return offset < span.start ? offset : offset + delta;
  };
  const moved = findings.map((finding) => ({
    ...finding,
    start: move(finding.start),
    end: move(finding.end),
    lineReferences: finding.lineReferences && Object.fromEntries(Object.entries(finding.lineReferences).map(([key, offset]) => [key, move(offset)])),
    related: finding.related.map((related) => ({ ...related, start: move(related.start), end: move(related.end) })),
    fixes: finding.fixes.map((fix) => ({ ...fix, edits: fix.edits.map((edit) => ({ ...edit, start: move(edit.start), end: move(edit.end) })) })),
  }));
  return touchesEdited ? undefined : moved;
}
