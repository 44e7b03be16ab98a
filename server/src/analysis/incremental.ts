/**
 * Reuse of per-function findings between analyses of an edited document (the language server's keystroke path).
 *
 * After an analysis the engine keeps, for each function of the file, the findings that `scope: 'function'` rules
 * reported while visiting it (in text offsets) and what the rest of the file hands it (`callerFactsOf`). When the
 * next version differs from one of the last few analyzed versions by an edit inside one function (or by whitespace
 * and comments between functions), the rules run again on that function and, each as far as it reads callers
 * (`ruleReach`), on the functions below it and below any function whose caller facts changed (through calls,
 * dispatch table assignments, callbacks passed on); a rule whose `fileFacts` changed runs on every function. The
 * other findings are taken over with their offsets shifted by the edit. Anything the plan cannot vouch for — other
 * code between functions, a changed set of functions, changed driver roles or references, a #define, #include or
 * #pragma in the edited function, other settings or workspace facts — gives a full analysis instead. `test/unit/incremental.test.ts` checks on random edits that
 * the result equals a fresh analysis.
 */
import type { CachedEntry } from './attack-surface';
import { changedSpan, escapeRegExp, type TextSpan } from './lookup';
import type { Severity } from './finding';
import type { OffsetEdit } from './rule';
import { firstStartingAt, type SourceFile } from './source-file';
import type { Taint } from './taint';
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
  /** What its callers hand it: the taint of its parameters and whether user entries reach it (`callerFactsOf`). */
  callerFacts: string;
  /**
   * Its syntax tree's `shape`. The same text can parse differently: after an edit elsewhere, tree-sitter's error
   * recovery may read a broken file's function another way than the last parse did.
   */
  shape: string;
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
  /** What function-scoped rules read file-wide (`Rule.fileFacts`), by rule id. */
  facts: ReadonlyMap<string, string>;
  /** The text between functions (before the first, between each two, after the last) without comments and whitespace. */
  gaps: string[];
  functions: FunctionResult[];
  /** The workspace answers its findings depend on (set once the analysis is done; undefined without a workspace). */
  workspace?: WorkspaceDependence;
  /** Values derived from function texts (`SourceFile.fromText`), for the next analysis. */
  derivations?: TextDerivations;
  /** The attack-surface facts of its functions (`fileSurface`'s cache), set once the surface is computed. */
  surface?: ReadonlyMap<string, readonly CachedEntry[]>;
  /** Per-function summaries for the next version (`SourceFile.keepSummary`), by kind and function index. */
  summaries?: ReadonlyMap<string, readonly unknown[]>;
}

export interface ReusePlan {
  /**
   * For each function (index as in `file.functions()`): how far it lies below a change — -1 for the edited function
   * (and any whose findings point into it), 0 for a function whose caller facts changed, n for one reached in n
   * levels of references from those, Infinity for the rest. A per-function rule whose reach (`ruleReach`) is at
   * least that distance runs there again; the others' findings are taken over.
   */
  distance: number[];
  /** For each function: the findings of the last analysis, moved by the edit (empty where `distance` is -1). */
  kept: RawFinding[][];
  /** Function ranges in document order, for attributing nodes to functions. */
  ranges: { start: number; end: number }[];
  /** Rules whose `fileFacts` changed: they run again on every function. */
  factsChanged: ReadonlySet<string>;
}

/** A rule with callers at any level: it runs again on every function reached from a change. */
const ANY_LEVEL = Number.MAX_SAFE_INTEGER;

/** How many levels below a change a per-function rule runs again: -1 (`function-local`: the edited function only) up to any. */
export function ruleReach(meta: { scope?: string; callerLevels?: number }): number {
  return meta.scope === 'function-local' ? -1 : meta.callerLevels ?? ANY_LEVEL;
}

/** How far below a change a rule runs again under this plan: everywhere when its `fileFacts` changed. */
export function reachUnder(plan: ReusePlan | undefined, id: string, reach: number): number {
  return plan?.factsChanged.has(id) ? Infinity : reach;
}

/** The findings taken over for function `index`: those of rules that do not run there again (`reachOf`: `reachUnder`). */
export function reusedFindings(plan: ReusePlan, index: number, reachOf: ReadonlyMap<string, number>): RawFinding[] {
  const distance = plan.distance[index];
  if (distance === -1) return [];
  return plan.kept[index].filter((finding) => distance > (reachOf.get(finding.ruleId) ?? ANY_LEVEL));
}

/**
 * For each function, what the rest of the file hands it: the taint its callers pass into its parameters (where the
 * taint came from as a function index, offsets inside that function and its text, so it survives edits elsewhere)
 * and whether user entries reach it. With `edit`, offsets inside the edited function are given as they were before
 * the edit, and a source the edit overlaps never matches.
 */
export function callerFactsOf(file: SourceFile, ranges: readonly { start: number; end: number }[], edit?: { index: number; oldStart: number; span: { start: number; oldEnd: number; newEnd: number } }): string[] {
  const where = (node: { startIndex: number; endIndex: number; type: string; text: string }): string => {
    const index = rangeIndex(ranges, node.startIndex);
    if (index === undefined) return `@${node.startIndex}:${node.endIndex}:${node.type}`;
    if (index !== edit?.index) return `${index}+${node.startIndex - ranges[index].start}:${node.endIndex - node.startIndex}:${node.type}:${node.text}`;
    const { span, oldStart } = edit;
    const delta = span.newEnd - span.oldEnd;
    const before = node.endIndex <= span.start ? node.startIndex : node.startIndex >= span.newEnd ? node.startIndex - delta : undefined;
    if (before === undefined) return 'edited';
    return `${index}+${before - oldStart}:${node.endIndex - node.startIndex}:${node.type}:${node.text}`;
  };
  return file.functions().map((fn) => {
    const parameters = [...(file.parameterTaintOf(fn) ?? [])].sort((a, b) => a[0] - b[0]);
    const taints = parameters.map(([index, taint]) => `${index}=${taintWithSource(taint, where(taint.source))}`);
    return `${file.driver.isUserReachable(fn.name) ? 'reachable' : 'unreached'} ${taints.join(' ')}`;
  });
}

const SOURCE_PLACEHOLDER = '\u0000source';
const taintTexts = new WeakMap<Taint, string>();

/**
 * `JSON.stringify({ ...taint, source })`: the rest of the taint is written once per taint object (the plan and the
 * memo of one analysis both format every parameter taint of the file).
 */
function taintWithSource(taint: Taint, source: string): string {
  let text = taintTexts.get(taint);
  if (text === undefined) {
    text = JSON.stringify({ ...taint, source: SOURCE_PLACEHOLDER });
    taintTexts.set(taint, text);
  }
  const placeholder = JSON.stringify(SOURCE_PLACEHOLDER);
  const at = text.indexOf(placeholder);
  return text.slice(0, at) + JSON.stringify(source) + text.slice(at + placeholder.length);
}

/** The index of the range containing an offset. */
export function rangeIndex(ranges: readonly { start: number; end: number }[], offset: number): number | undefined {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (ranges[mid].end <= offset) low = mid + 1;
    else if (ranges[mid].start > offset) high = mid - 1;
    else return mid;
  }
  return undefined;
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
  facts: ReadonlyMap<string, string>,
  ranges: { start: number; end: number }[],
  findingsOf: (index: number) => RawFinding[],
  previous?: { memo: AnalysisMemo; reusedFrom: (number | undefined)[] },
): AnalysisMemo {
  const functions = file.functions();
  const callerFacts = callerFactsOf(file, ranges);
  let pattern: RegExp | undefined;
  return {
    key,
    parsedText,
    roles: rolesFingerprint(file),
    facts,
    summaries: file.keptSummaries(),
    gaps: ranges.map((_, index) => index).concat(ranges.length).map((gap) => gapText(file, parsedText, ranges, gap)),
    functions: functions.map((fn, index) => {
      const { start, end } = ranges[index];
      const text = parsedText.slice(start, end);
      const old = previous?.reusedFrom[index];
      // An unchanged function keeps its references (its text is the same, and so is the set of names).
      pattern ??= namesPattern(new Set(functions.map((other) => other.name)));
      const references = old !== undefined ? previous!.memo.functions[old].references : referencesIn(text, pattern);
      return { name: fn.name, start, end, text, references, callerFacts: callerFacts[index], shape: fn.node.shape, findings: findingsOf(index) };
    }),
  };
}

/**
 * Which functions' findings can be taken over from `memo` for the file as it is now, or undefined when the whole
 * file must be analyzed. `ranges` are the file's function ranges (`functionRanges`); `reusedFrom[i]` is the memo's
 * index of function i when its text is unchanged.
 * `facts` sums up, per rule, what function-scoped rules read file-wide besides roles (`Rule.fileFacts`).
 */
export function planReuse(file: SourceFile, parsedText: string, ranges: { start: number; end: number }[], key: string, facts: ReadonlyMap<string, string>, memo: AnalysisMemo | undefined):
  (ReusePlan & { memo: AnalysisMemo; reusedFrom: (number | undefined)[] }) | undefined {
  if (!memo || memo.key !== key) return undefined;
  const edit = editInsideOneFunction(file, parsedText, ranges, memo);
  if (!edit) return undefined;
  const functions = file.functions();
  const distance: number[] = new Array(ranges.length).fill(Infinity);
  const kept: RawFinding[][] = new Array(ranges.length).fill([]);
  const reusedFrom: (number | undefined)[] = new Array(ranges.length).fill(undefined);
  // A rule whose file-wide facts changed runs again everywhere; the others keep their findings where they hold.
  const factsChanged = new Set<string>();
  for (const [id, value] of facts) if (memo.facts.get(id) !== value) factsChanged.add(id);
  const { span, changed } = edit;
  if (!span) {
    // The same text under the same settings: everything is reused.
    memo.functions.forEach((old, index) => {
      kept[index] = old.findings;
      reusedFrom[index] = index;
    });
    return { distance, kept, reusedFrom, ranges, memo, factsChanged };
  }
  let edited: { start: number; end: number } = { start: span.start, end: span.oldEnd };
  const changes: number[] = [];
  if (changed !== undefined) {
    const changedText = parsedText.slice(ranges[changed].start, ranges[changed].end);
    const references = referencesIn(changedText, namesPattern(new Set(functions.map((fn) => fn.name))));
    if (references.join(' ') !== memo.functions[changed].references.join(' ')) return undefined;
    const old = memo.functions[changed];
    edited = { start: Math.min(old.start, span.start), end: Math.max(old.end, span.oldEnd) };
    changes.push(changed);
  }
  // What the rest of the file hands each function: where it changed, rules that read no callers run again there.
  const callerFacts = callerFactsOf(file, ranges, changed === undefined ? undefined : { index: changed, oldStart: memo.functions[changed].start, span });
  for (let index = 0; index < ranges.length; index++) {
    if (index !== changed && callerFacts[index] !== memo.functions[index].callerFacts) changes.push(index);
  }
  levelsBelow(changes, memo.functions, distance);
  for (let index = 0; index < ranges.length; index++) {
    if (index === changed) {
      distance[index] = -1;
      continue;
    }
    reusedFrom[index] = index;
    const shifted = shiftFindings(memo.functions[index].findings, span, edited);
    // A finding that points into the edited function: analyze this one again.
    if (shifted) kept[index] = shifted;
    else distance[index] = -1;
  }
  return { distance, kept, reusedFrom, ranges, memo, factsChanged };
}

/** How the file differs from the text of a memo: `span` (none for the same text), inside function `changed` or between functions. */
export interface EditInsideOneFunction {
  span: TextSpan | undefined;
  changed: number | undefined;
}

const editsByMemo = new WeakMap<AnalysisMemo, { file: SourceFile; edit: EditInsideOneFunction | undefined }>();

/**
 * Whether the file is the memo's text but for an edit inside one function body (or in comments and whitespace
 * between functions): the same functions in the same order, each other one with the same text and parse; the same
 * code between them; the same driver roles; no #define, #include, #pragma or type definition in the edited function.
 * Then whatever a function's analysis reads outside its own text (other functions' names, declarations, macros,
 * types, roles) is as it was. Asked by the reuse plan and by the parameter taint, once per file and memo.
 */
export function editInsideOneFunction(file: SourceFile, parsedText: string, ranges: readonly { start: number; end: number }[], memo: AnalysisMemo): EditInsideOneFunction | undefined {
  const known = editsByMemo.get(memo);
  if (known?.file === file) return known.edit;
  const edit = findEditInsideOneFunction(file, parsedText, ranges, memo);
  editsByMemo.set(memo, { file, edit });
  return edit;
}

function findEditInsideOneFunction(file: SourceFile, parsedText: string, ranges: readonly { start: number; end: number }[], memo: AnalysisMemo): EditInsideOneFunction | undefined {
  if (ranges.length !== memo.functions.length) return undefined;
  const span = changedSpan(memo.parsedText, parsedText);
  if (!span) return rolesFingerprint(file) === memo.roles ? { span: undefined, changed: undefined } : undefined;
  const functions = file.functions();
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
    if (parsedText.slice(now.start, now.end) !== old.text || functions[index].node.shape !== old.shape) return undefined;
  }
  // Declarations, macros, pragmas and role declarations live between functions: the text there may differ in
  // comments and whitespace only (typing on a blank line before a function makes it part of that function's range).
  for (let gap = 0; gap <= ranges.length; gap++) {
    const start = gap > 0 ? ranges[gap - 1].end : 0;
    const end = gap < ranges.length ? ranges[gap].start : parsedText.length;
    if (end < span.start || start > span.newEnd) continue;
    if (gapText(file, parsedText, ranges, gap) !== memo.gaps[gap]) return undefined;
  }
  if (rolesFingerprint(file) !== memo.roles) return undefined;
  // A #define, #include or #pragma (other than warning/prefast) inside a function reaches the rest of the file, and a
  // type defined inside one is seen by rules that look up fields and typedefs file-wide.
  if (changed !== undefined && (!isSelfContained(parsedText.slice(ranges[changed].start, ranges[changed].end)) || !isSelfContained(memo.functions[changed].text))) return undefined;
  return { span, changed };
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
 * Sets `distance[i]` to the fewest levels of references (calls, dispatch-table assignments, callbacks passed on) from
 * one of `changes` down to function i (0 for the changes themselves). What a function-scoped rule finds in a
 * function depends on the functions that call it (taint passed in, checks made before the call), not on its
 * callees, so a change can reach the findings of the functions below it, directly or not.
 */
function levelsBelow(changes: readonly number[], functions: readonly FunctionResult[], distance: number[]): void {
  const byName = new Map<string, number[]>();
  functions.forEach((fn, index) => {
    const list = byName.get(fn.name);
    if (list) list.push(index);
    else byName.set(fn.name, [index]);
  });
  let frontier = [...changes];
  for (const index of frontier) distance[index] = 0;
  for (let level = 1; frontier.length > 0; level++) {
    const next: number[] = [];
    for (const index of frontier) {
      for (const reference of functions[index].references) {
        if (reference === functions[index].name) continue;
        for (const callee of byName.get(reference) ?? []) {
          if (distance[callee] <= level) continue;
          distance[callee] = level;
          next.push(callee);
        }
      }
    }
    frontier = next;
  }
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
