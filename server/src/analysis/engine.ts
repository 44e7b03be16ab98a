/**
 * Runs the enabled rules over one file: parse (incrementally when a previous tree is given), one walk that
 * gathers the node types any rule listens to, then each rule's visitors over those nodes. Never throws for bad
 * input: a file that cannot be analyzed is reported as skipped, and a rule that throws is reported and skipped.
 */
import type { Tree } from 'web-tree-sitter';
import { getChecklistItem } from '../../../shared/checklist-items';
import type { AnalysisResult, Finding, Fix, RuleError, Severity, SeveritySetting } from './finding';
import { buildMemo, editInsideOneFunction, functionRanges, planReuse, rangeIndex, reachUnder, reusedFindings, ruleReach, type AnalysisMemo, type RawFinding, type ReusePlan } from './incremental';
import type { LineIndex } from './line-index';
import { changedSpan } from './lookup';
import { neutralizeAnnotations, neutralizeEdit, type NeutralizeResult } from './neutralize';
import { languageFor, ParserPool, type ParserOptions, type SourceLanguage } from './parser';
import type { Node } from './query';
import { GATHER_ONLY, LineReference, type FixDescriptor, type ReportDescriptor, type Rule, type RuleVisitor } from './rule';
import { SourceFile } from './source-file';
import { TextDerivations } from './text-derivations';
import { SyntaxTree, type PreviousCopy } from './syntax-tree';
import { applySuppressions, parseSuppressions } from './suppressions';
import { isDeadAt } from './conditional';
import { fileSurface, type SurfaceCache } from './attack-surface';
import type { WorkspaceFacts } from './workspace-index';
import { dependenceHolds, mergeTraces, RecordingWorkspace } from './workspace-trace';

export interface AnalyzeDocument {
  text: string;
  fileName: string;
  /** VS Code language id ('c' | 'cpp'); the file extension decides when absent. */
  languageId?: string;
}

export interface AnalyzeOptions {
  /** Per-rule severity overrides; 'off' disables a rule. */
  rules?: Readonly<Record<string, SeveritySetting>>;
  workspace?: WorkspaceFacts;
  /** Files longer than this many characters are skipped with a reason. */
  maxFileSize?: number;
  /** Give up (with a rule error) when rules run longer than this many milliseconds. */
  timeBudgetMs?: number;
  /**
   * Keep per-function findings on the parsed document, and take over those of an earlier version's analysis for
   * the functions an edit cannot have affected (the language server, between keystrokes). See `incremental.ts`.
   */
  reuse?: boolean;
  /** Adds the milliseconds spent in each phase (`parse`, `walk`, `rule:<id>`, …) to this record (`scan --profile`). */
  profile?: Record<string, number>;
}

function addTime(profile: Record<string, number> | undefined, phase: string, started: number): void {
  if (profile) profile[phase] = (profile[phase] ?? 0) + (performance.now() - started);
}

/** A parsed document kept between edits so the next parse can reuse the tree. Call `dispose()` when done. */
export interface ParsedDocument {
  readonly text: string;
  /** The text after neutralizing annotations (what tree-sitter saw). */
  readonly parsedText: string;
  /** The neutralized text with the scan's checkpoints, for neutralizing the next version incrementally. */
  readonly neutralized: NeutralizeResult;
  readonly language: SourceLanguage;
  readonly tree: Tree;
  /** What the last analysis with `reuse` left for the next one. */
  memo?: AnalysisMemo;
  /**
   * Memos of earlier versions, the newest first: the version this one was parsed from, then the ones before it (a
   * keystroke undone, or typed and deleted again, brings back a text analyzed two versions ago).
   */
  readonly bases: readonly AnalysisMemo[];
  dispose(): void;
}

/** Node types the core itself needs from the single walk (driver model, macros, suppressions). */
const CORE_NODE_TYPES = [
  'function_definition', 'declaration', 'init_declarator', 'assignment_expression', 'call_expression',
  'preproc_def', 'preproc_function_def', 'switch_statement', 'comment',
  'if_statement', 'while_statement', 'for_statement', 'do_statement', 'conditional_expression',
  'preproc_if', 'preproc_ifdef',
];

export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024;
/** Memos of earlier versions kept per document for `reuse` (each holds the text and the per-function findings). */
const KEPT_MEMOS = 3;
/** Cooperative analysis gives the event loop a turn after this much work. */
const YIELD_AFTER_MS = 8;
const BINARY_SNIFF_LENGTH = 8000;

export class Analyzer {
  private readonly ruleIds: Set<string>;

  private constructor(private readonly pool: ParserPool, readonly rules: readonly Rule[]) {
    this.ruleIds = new Set(rules.map((rule) => rule.meta.id));
  }

  static async create(rules: readonly Rule[], options: ParserOptions = {}): Promise<Analyzer> {
    return new Analyzer(await ParserPool.load(options), rules);
  }

  /** Loads the grammar a document needs when the analyzer was created without it (`preload`). */
  prepare(document: Pick<AnalyzeDocument, 'fileName' | 'languageId'>): Promise<void> {
    return this.pool.ensure(languageFor(document.fileName, document.languageId));
  }

  /** Why a text is not analyzed at all, if it is not. */
  static skipReason(text: string, maxFileSize = DEFAULT_MAX_FILE_SIZE): string | undefined {
    if (text.length > maxFileSize) {
      return `file is ${Math.round(text.length / 1024)} KiB, larger than the ${Math.round(maxFileSize / 1024)} KiB limit (driverGuard.maxFileSizeKB / --max-file-size)`;
    }
    if (text.slice(0, BINARY_SNIFF_LENGTH).includes('\u0000')) return 'file looks binary (it contains NUL characters)';
    return undefined;
  }

  /**
   * Parses a document. With `previous`, the old tree is edited with the changed span and reused, so a keystroke
   * re-parses only what changed. The caller owns the result and disposes it (and `previous`) when done.
   */
  parse(document: AnalyzeDocument, previous?: ParsedDocument, deadline?: number, profile?: Record<string, number>): ParsedDocument | undefined {
    let started = performance.now();
    const language = languageFor(document.fileName, document.languageId, document.text);
    const neutralized = previous ? neutralizeEdit(previous.text, previous.neutralized, document.text) : neutralizeAnnotations(document.text, true);
    const parsedText = neutralized.text;
    addTime(profile, 'neutralize', started);
    started = performance.now();
    let oldTree: Tree | undefined;
    let edit: ReturnType<typeof computeEdit> | undefined;
    if (previous && previous.language === language) {
      oldTree = previous.tree.copy();
      edit = computeEdit(previous.parsedText, parsedText);
      oldTree.edit(edit);
    }
    const tree = this.pool.parse(parsedText, language, oldTree, deadline);
    const priorCopy = previous && oldTree && tree ? syntaxTrees.get(previous) : undefined;
    const changed = priorCopy ? oldTree!.getChangedRanges(tree!).map((range) => ({ start: range.startIndex, end: range.endIndex })) : [];
    oldTree?.delete();
    addTime(profile, 'parse', started);
    if (!tree) return undefined;
    const bases = previous && previous.language === language ? [...(previous.memo ? [previous.memo] : []), ...previous.bases].slice(0, KEPT_MEMOS) : [];
    const parsed: ParsedDocument = {
      text: document.text, parsedText, neutralized, language, tree, bases,
      dispose: () => {
        syntaxTrees.get(parsed)?.detach();
        tree.delete();
      },
    };
    if (priorCopy && edit) {
      priorCopies.set(parsed, { copy: priorCopy, edit: { start: edit.startIndex, oldEnd: edit.oldEndIndex, newEnd: edit.newEndIndex }, changed });
    }
    return parsed;
  }

  /**
   * How many ERROR nodes tree-sitter produces for a document, parsed as written (`neutralize: false`) or after
   * blanking annotations as the analysis does. A measurement for `scripts/precision-report.ts`; analysis never uses it.
   */
  countParseErrors(document: AnalyzeDocument, options: { neutralize: boolean }): number {
    const language = languageFor(document.fileName, document.languageId, document.text);
    const text = options.neutralize ? neutralizeAnnotations(document.text).text : document.text;
    const tree = this.pool.parse(text, language);
    if (!tree) return 0;
    try {
      return tree.rootNode.hasError ? tree.rootNode.descendantsOfType('ERROR').length : 0;
    } finally {
      tree.delete();
    }
  }

  /** Parses and analyzes a document in one go (CLI, tests, benchmarks). */
  analyze(document: AnalyzeDocument, options: AnalyzeOptions = {}): AnalysisResult {
    const skipped = Analyzer.skipReason(document.text, options.maxFileSize);
    if (skipped) return { findings: [], parseErrors: 0, skipped: { reason: skipped }, ruleErrors: [] };
    const deadline = options.timeBudgetMs === undefined ? undefined : Date.now() + options.timeBudgetMs;
    const parsed = this.parse(document, undefined, deadline, options.profile);
    if (!parsed) return { findings: [], parseErrors: 0, skipped: { reason: `parsing took longer than ${options.timeBudgetMs} ms` }, ruleErrors: [] };
    try {
      const remaining = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
      return this.analyzeParsed(document.fileName, parsed, { ...options, timeBudgetMs: remaining });
    } finally {
      parsed.dispose();
    }
  }

  /** Runs the rules over an already parsed document (the server keeps trees between edits). */
  analyzeParsed(fileName: string, parsed: ParsedDocument, options: AnalyzeOptions = {}): AnalysisResult {
    const steps = this.analysisSteps(fileName, parsed, options);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The same analysis, giving the event loop a turn between rules so a newer edit can arrive; resolves to
   * undefined as soon as `isCancelled()` says the result is no longer wanted.
   */
  async analyzeParsedCooperatively(fileName: string, parsed: ParsedDocument, options: AnalyzeOptions, isCancelled: () => boolean): Promise<AnalysisResult | undefined> {
    const steps = this.analysisSteps(fileName, parsed, options);
    let sliceStart = Date.now();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (Date.now() - sliceStart >= YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = Date.now();
      }
      if (isCancelled()) return undefined;
    }
  }

  /** The analysis as steps: one per rule, so callers decide whether to pause between them. */
  private *analysisSteps(fileName: string, parsed: ParsedDocument, options: AnalyzeOptions, allowReuse = true): Generator<void, AnalysisResult> {
    const skipped = Analyzer.skipReason(parsed.text, options.maxFileSize);
    if (skipped) return { findings: [], parseErrors: 0, skipped: { reason: skipped }, ruleErrors: [] };
    const overrides = options.rules ?? {};
    const activeRules = this.rules.filter((rule) => (overrides[rule.meta.id] ?? rule.meta.severity) !== 'off');
    const found: RawFinding[] = [];
    const ruleErrors: RuleError[] = [];
    const byType = new Map<string, Node[]>();
    const copyStarted = performance.now();
    const syntax = syntaxTreeOf(parsed);
    addTime(options.profile, 'tree copy', copyStarted);
    const key = options.reuse ? reuseKey(fileName, parsed.language, options) : undefined;
    // With `reuse`, the workspace questions are recorded: a later version takes this analysis's findings over while
    // the answers hold, even after the workspace changed (as it does when a keystroke adds a call).
    const recorder = key !== undefined && options.workspace ? new RecordingWorkspace(options.workspace) : undefined;
    const derivations = key !== undefined ? new TextDerivations([parsed.memo, ...parsed.bases].find((memo) => memo?.derivations)?.derivations) : undefined;
    const file = new SourceFile(fileName, parsed.text, parsed.language, syntax, byType, recorder ?? options.workspace, derivations);
    const holding = new Map<AnalysisMemo, boolean>();
    const usable = (memo: AnalysisMemo | undefined): memo is AnalysisMemo => {
      if (!memo || memo.key !== key) return false;
      let holds = holding.get(memo);
      if (holds === undefined) holding.set(memo, (holds = dependenceHolds(memo.workspace, options.workspace)));
      return holds;
    };

    // Per-function bookkeeping for `reuse`: which function a reported finding belongs to (the function of the node
    // being visited; for `onEnd`, the function of the reported node).
    let ranges: { start: number; end: number }[] | undefined;
    const recorded = new Map<number, RawFinding[]>();
    let owner: number | 'top-level' | 'end' = 'top-level';
    let plan: ReturnType<typeof planReuse>;
    /** The memo whose per-function summaries this analysis took over (the workspace answers they rest on carry over too). */
    let summariesMemo: AnalysisMemo | undefined;
    const facts = new Map<string, string>();
    let contractBroken = false;

    const visitors: { rule: Rule; visitor: RuleVisitor }[] = [];
    for (const rule of activeRules) {
      try {
        const userSeverity = overrides[rule.meta.id] as Severity | undefined;
        const perFunction = rule.meta.scope === 'function' || rule.meta.scope === 'function-local';
        const reach = ruleReach(rule.meta);
        const context = {
          file,
          report: (descriptor: ReportDescriptor) => {
            const raw = toRawFinding(rule, userSeverity ?? descriptor.severity ?? rule.meta.severity, descriptor);
            found.push(raw);
            if (!perFunction || !ranges) return;
            const index = owner === 'end' ? rangeIndex(ranges, raw.start) : owner;
            if (index === 'top-level' || index === undefined) return;
            // Reported into a function whose findings of this rule were taken over.
            if (plan && plan.distance[index] > reachUnder(plan, rule.meta.id, reach)) contractBroken = true;
            const list = recorded.get(index);
            if (list) list.push(raw);
            else recorded.set(index, [raw]);
          },
        };
        visitors.push({ rule, visitor: rule.create(context) });
      } catch (error) {
        ruleErrors.push({ ruleId: rule.meta.id, message: errorMessage(error) });
      }
    }

    const wanted = new Set(CORE_NODE_TYPES);
    for (const { visitor } of visitors) for (const type of Object.keys(visitor)) if (type !== 'onEnd') wanted.add(type);
    for (const type of wanted) byType.set(type, []);
    const walkStarted = performance.now();
    collectNodes(syntax, byType);
    addTime(options.profile, 'walk', walkStarted);

    if (key !== undefined) {
      ranges = functionRanges(file);
      const summariesStarted = performance.now();
      if (allowReuse && ranges) {
        // The unchanged functions' summaries of the last version, when the edit stays inside one function.
        for (const memo of parsed.memo ? [parsed.memo, ...parsed.bases] : parsed.bases) {
          if (!memo?.summaries || !usable(memo)) continue;
          const edit = editInsideOneFunction(file, parsed.parsedText, ranges, memo);
          if (!edit) continue;
          file.takeOverSummaries({ summaries: memo.summaries, changed: edit.changed });
          summariesMemo = memo;
          break;
        }
      }
      addTime(options.profile, 'reuse plan', summariesStarted);
      for (const rule of activeRules) {
        if (rule.meta.scope === undefined || !rule.fileFacts) continue;
        const factsStarted = performance.now();
        facts.set(rule.meta.id, rule.fileFacts(file));
        addTime(options.profile, `facts:${rule.meta.id}`, factsStarted);
      }
      const planStarted = performance.now();
      if (allowReuse && ranges) {
        for (const memo of parsed.memo ? [parsed.memo, ...parsed.bases] : parsed.bases) {
          if (!usable(memo)) continue;
          plan = planReuse(file, parsed.parsedText, ranges, key, facts, memo);
          if (plan) break;
        }
      }
      addTime(options.profile, 'reuse plan', planStarted);
    }
    // Each gathered node with the index of the function it lies in, computed once per type and rule reach: a rule
    // skips the functions where its findings are taken over.
    const owned = new Map<string, { nodes: Node[]; owners: (number | 'top-level')[] }>();
    const ownedNodes = (type: string, reach: number) => {
      const cacheKey = `${reach} ${type}`;
      let entry = owned.get(cacheKey);
      if (!entry) {
        entry = ownersOf(byType.get(type) ?? [], ranges!, plan, reach);
        owned.set(cacheKey, entry);
      }
      return entry;
    };

    // The budget counts time spent in rules only: a cooperative caller pauses between steps, and time given to other
    // work meanwhile (other documents, requests, a busy machine) must not make this file's analysis incomplete.
    const budget = options.timeBudgetMs ?? Infinity;
    let spent = 0;
    const notRun: string[] = [];
    for (const { rule, visitor } of visitors) {
      if (spent > budget) {
        notRun.push(rule.meta.id);
        continue;
      }
      const ruleStarted = performance.now();
      const tracked = rule.meta.scope !== undefined && ranges !== undefined;
      const reach = reachUnder(plan, rule.meta.id, ruleReach(rule.meta));
      try {
        for (const [type, callback] of Object.entries(visitor)) {
          if (type === 'onEnd' || !callback || callback === GATHER_ONLY) continue;
          const visit = callback as (node: Node) => void;
          if (tracked) {
            const { nodes, owners } = ownedNodes(type, reach);
            for (let index = 0; index < nodes.length; index++) {
              owner = owners[index];
              visit(nodes[index]);
            }
            owner = 'top-level';
          } else {
            for (const node of byType.get(type) ?? []) visit(node);
          }
        }
        owner = 'end';
        visitor.onEnd?.();
      } catch (error) {
        ruleErrors.push({ ruleId: rule.meta.id, message: errorMessage(error) });
      } finally {
        owner = 'top-level';
      }
      spent += performance.now() - ruleStarted;
      addTime(options.profile, `rule:${rule.meta.id}`, ruleStarted);
      yield;
    }
    if (contractBroken) return yield* this.analysisSteps(fileName, parsed, options, false);

    const reachOf = new Map(activeRules.filter((rule) => rule.meta.scope !== undefined).map((rule) => [rule.meta.id, reachUnder(plan, rule.meta.id, ruleReach(rule.meta))]));
    const reusedOf = plan ? plan.kept.map((_, index) => reusedFindings(plan!, index, reachOf)) : [];
    const reused = reusedOf.flat();
    const memoStarted = performance.now();
    if (key !== undefined && ranges && ruleErrors.length === 0 && notRun.length === 0) {
      parsed.memo = buildMemo(file, parsed.parsedText, key, facts, ranges, (index) => [...(reusedOf[index] ?? []), ...(recorded.get(index) ?? [])], plan);
    } else if (key !== undefined) {
      parsed.memo = undefined;
    }
    addTime(options.profile, 'memo', memoStarted);

    const finishStarted = performance.now();
    const lines = file.lines;
    const unique = dedupe([...found, ...reused].filter((raw) => !isDeadAt(file, raw.start)).map((raw) => toFinding(raw, lines)).sort(compareFindings));
    const suppressions = parseSuppressions(byType.get('comment') ?? [], lines);
    const unused = applySuppressions(unique, suppressions, {
      known: this.ruleIds,
      active: new Set(activeRules.map((rule) => rule.meta.id)),
      checklistItem: 'checklist.secure-coding',
    });
    const all = [...unique, ...unused].sort(compareFindings);
    addTime(options.profile, 'findings and suppressions', finishStarted);
    const result: AnalysisResult = { findings: all, parseErrors: (byType.get('ERROR') ?? []).length, ruleErrors };
    if (plan) {
      const rerunBy = (reach: number) => plan!.distance.filter((distance) => distance <= reach).length;
      result.reuse = { functions: plan.distance.length, reanalyzed: rerunBy(Number.MAX_SAFE_INTEGER), reanalyzedOwn: rerunBy(0), reanalyzedLocal: rerunBy(-1) };
    }
    const surfaceStarted = performance.now();
    let surfaceMemo: AnalysisMemo | undefined;
    try {
      // With `reuse`, the facts of functions an edit left alone come from the last analysis with the same settings.
      let cache: SurfaceCache | undefined;
      if (key !== undefined) {
        surfaceMemo = [parsed.memo, ...parsed.bases].find((memo) => memo?.surface && usable(memo));
        cache = { parsedText: parsed.parsedText, prior: surfaceMemo?.surface, next: new Map() };
      }
      const surface = fileSurface(file, cache);
      if (cache && parsed.memo) parsed.memo.surface = cache.next;
      if (surface) result.surface = surface;
    } catch (error) {
      ruleErrors.push({ ruleId: 'attack-surface', message: errorMessage(error) });
    }
    addTime(options.profile, 'attack surface', surfaceStarted);
    derivations?.seal();
    if (parsed.memo && derivations) parsed.memo.derivations = derivations;
    if (parsed.memo && recorder && options.workspace) {
      parsed.memo.workspace = { revision: options.workspace.revision, trace: mergeTraces(plan?.memo.workspace?.trace, summariesMemo?.workspace?.trace, surfaceMemo?.workspace?.trace, recorder.trace()) };
    }
    if (notRun.length > 0) {
      result.skipped = { reason: `analysis exceeded its time budget; ${notRun.length} rule(s) did not run (${notRun.join(', ')})` };
    }
    return result;
  }
}

/** Settings that findings depend on besides the text and the workspace's answers (`AnalysisMemo.workspace`). */
function reuseKey(fileName: string, language: SourceLanguage, options: AnalyzeOptions): string {
  return JSON.stringify([fileName, language, options.rules ?? {}, options.maxFileSize ?? null, options.workspace !== undefined]);
}

/**
 * The nodes (in document order) with the function each lies in, leaving out nodes of functions where a rule of this
 * reach takes its findings over from the previous analysis.
 */
function ownersOf(nodes: readonly Node[], ranges: readonly { start: number; end: number }[], plan: ReusePlan | undefined, reach: number) {
  const kept: Node[] = [];
  const owners: (number | 'top-level')[] = [];
  let index = 0;
  for (const node of nodes) {
    const start = node.startIndex;
    while (index < ranges.length && ranges[index].end <= start) index++;
    const inside = index < ranges.length && ranges[index].start <= start;
    if (inside && plan && plan.distance[index] > reach) continue;
    kept.push(node);
    owners.push(inside ? index : 'top-level');
  }
  return { nodes: kept, owners };
}

/** The single walk over the tree: every node of a wanted type, by type, in document order. */
function collectNodes(tree: SyntaxTree, byType: Map<string, Node[]>): void {
  byType.set('ERROR', []);
  const lists: (Node[] | undefined)[] = tree.tables.types.map((type) => byType.get(type));
  for (let index = 0; index < tree.count; index++) {
    const list = lists[tree.symbols[index]];
    if (list) list.push(tree.node(index)!);
  }
}

/** The JavaScript copy of a parsed document's tree, made once per parse (a document can be analyzed again). */
const syntaxTrees = new WeakMap<ParsedDocument, SyntaxTree>();
/**
 * The copy of the version a document was parsed from incrementally, until its own copy is made: the new copy takes
 * the top-level subtrees tree-sitter reused from it. Dropped then, so copies never chain.
 */
const priorCopies = new WeakMap<ParsedDocument, PreviousCopy>();

/** The copy the analysis reads (exported for tests). */
export function syntaxTreeOf(parsed: ParsedDocument): SyntaxTree {
  let syntax = syntaxTrees.get(parsed);
  if (!syntax) {
    syntax = new SyntaxTree(parsed.tree, parsed.parsedText, priorCopies.get(parsed));
    priorCopies.delete(parsed);
    syntaxTrees.set(parsed, syntax);
  }
  return syntax;
}

/** The single edit that turns `before` into `after` (common prefix and suffix), in tree-sitter's terms. */
export function computeEdit(before: string, after: string) {
  const { start, oldEnd, newEnd } = changedSpan(before, after) ?? { start: before.length, oldEnd: before.length, newEnd: after.length };
  // The rows up to the start are common to both texts: count them once, then only the lines inside the edit.
  const startPoint = advance(before, { offset: 0, row: 0, lineStart: 0 }, start);
  const point = (at: { row: number; lineStart: number; offset: number }) => ({ row: at.row, column: at.offset - at.lineStart });
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: point(startPoint),
    oldEndPosition: point(advance(before, startPoint, oldEnd)),
    newEndPosition: point(advance(after, startPoint, newEnd)),
  };
}

/** Moves a position forward to `offset`, counting the line breaks on the way. */
function advance(text: string, from: { offset: number; row: number; lineStart: number }, offset: number): { offset: number; row: number; lineStart: number } {
  let { row, lineStart } = from;
  for (let index = text.indexOf('\n', from.offset); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    row++;
    lineStart = index + 1;
  }
  return { offset, row, lineStart };
}

function interpolate(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}

function toRawFinding(rule: Rule, severity: Severity, descriptor: ReportDescriptor): RawFinding {
  const template = rule.meta.messages[descriptor.messageId];
  if (template === undefined) throw new Error(`rule ${rule.meta.id} reported unknown messageId '${descriptor.messageId}'`);
  if (descriptor.fix && !rule.meta.fixable) throw new Error(`rule ${rule.meta.id} reported a fix but meta.fixable is not set`);
  if (descriptor.suggestions?.length && !rule.meta.hasSuggestions) throw new Error(`rule ${rule.meta.id} reported suggestions but meta.hasSuggestions is not set`);
  const toFix = (fix: FixDescriptor, isPreferred: boolean) => ({ title: fix.title, isPreferred, edits: fix.edits.map((edit) => ({ ...edit })) });
  const fixes: RawFinding['fixes'] = [];
  if (descriptor.fix) fixes.push(toFix(descriptor.fix, true));
  for (const suggestion of descriptor.suggestions ?? []) fixes.push(toFix(suggestion, false));
  const data: Record<string, string | number> = {};
  let lineReferences: Record<string, number> | undefined;
  for (const [key, value] of Object.entries(descriptor.data ?? {})) {
    if (value instanceof LineReference) (lineReferences ??= {})[key] = value.offset;
    else data[key] = value;
  }
  return {
    ruleId: rule.meta.id,
    checklistItem: rule.meta.checklistItem,
    severity,
    message: interpolate(template, data),
    ...(lineReferences && { lineReferences }),
    start: descriptor.node.startIndex,
    end: descriptor.node.endIndex,
    related: (descriptor.related ?? []).map((related) => ({ start: related.node.startIndex, end: related.node.endIndex, message: related.message })),
    fixes,
  };
}

function toFinding(raw: RawFinding, lines: LineIndex): Finding {
  return {
    ruleId: raw.ruleId,
    checklistItem: raw.checklistItem,
    severity: raw.severity,
    message: raw.lineReferences
      ? interpolate(raw.message, Object.fromEntries(Object.entries(raw.lineReferences).map(([key, offset]) => [key, lines.positionAt(offset).line + 1])))
      : raw.message,
    range: lines.rangeOf(raw.start, raw.end),
    related: raw.related.map((related) => ({ range: lines.rangeOf(related.start, related.end), message: related.message })),
    fixes: raw.fixes.map((fix): Fix => ({ title: fix.title, isPreferred: fix.isPreferred, edits: fix.edits.map((edit) => ({ range: lines.rangeOf(edit.start, edit.end), newText: edit.text })) })),
  };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.ruleId}:${finding.range.start.line}:${finding.range.start.character}:${finding.range.end.line}:${finding.range.end.character}:${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A total order, so the result does not depend on the order rules reported in (reused findings come last). */
function compareFindings(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId)
    || a.range.end.line - b.range.end.line || a.range.end.character - b.range.end.character || compareText(a.message, b.message)
    || compareText(JSON.stringify([a.related, a.fixes]), JSON.stringify([b.related, b.fixes]));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The checklist title for messages and reports. */
export function checklistTitle(id: string): string {
  return getChecklistItem(id)?.title ?? id;
}
