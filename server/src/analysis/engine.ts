/**
 * Runs the enabled rules over one file: parse (incrementally when a previous tree is given), one walk that
 * gathers the node types any rule listens to, then each rule's visitors over those nodes. Never throws for bad
 * input: a file that cannot be analyzed is reported as skipped, and a rule that throws is reported and skipped.
 */
import type { Tree } from 'web-tree-sitter';
import { getChecklistItem } from '../../../shared/checklist-items';
import type { AnalysisResult, Finding, Fix, RuleError, Severity, SeveritySetting } from './finding';
import { LineIndex } from './line-index';
import { neutralizeAnnotations } from './neutralize';
import { languageFor, ParserPool, type ParserOptions, type SourceLanguage } from './parser';
import type { Node } from './query';
import type { FixDescriptor, ReportDescriptor, Rule, RuleVisitor } from './rule';
import { SourceFile } from './source-file';
import { applySuppressions, parseSuppressions } from './suppressions';
import type { WorkspaceIndex } from './workspace-index';

export interface AnalyzeDocument {
  text: string;
  fileName: string;
  /** VS Code language id ('c' | 'cpp'); the file extension decides when absent. */
  languageId?: string;
}

export interface AnalyzeOptions {
  /** Per-rule severity overrides; 'off' disables a rule. */
  rules?: Readonly<Record<string, SeveritySetting>>;
  workspace?: WorkspaceIndex;
  /** Files longer than this many characters are skipped with a reason. */
  maxFileSize?: number;
  /** Give up (with a rule error) when rules run longer than this many milliseconds. */
  timeBudgetMs?: number;
}

/** A parsed document kept between edits so the next parse can reuse the tree. Call `dispose()` when done. */
export interface ParsedDocument {
  readonly text: string;
  /** The text after neutralizing annotations (what tree-sitter saw). */
  readonly parsedText: string;
  readonly language: SourceLanguage;
  readonly tree: Tree;
  dispose(): void;
}

/** Node types the core itself needs from the single walk (driver model, macros, suppressions). */
const CORE_NODE_TYPES = [
  'function_definition', 'declaration', 'init_declarator', 'assignment_expression', 'call_expression',
  'preproc_def', 'preproc_function_def', 'switch_statement', 'comment',
  'if_statement', 'while_statement', 'for_statement', 'do_statement', 'conditional_expression',
];

export const DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024;
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
  parse(document: AnalyzeDocument, previous?: ParsedDocument, deadline?: number): ParsedDocument | undefined {
    const language = languageFor(document.fileName, document.languageId, document.text);
    const parsedText = neutralizeAnnotations(document.text).text;
    let oldTree: Tree | undefined;
    if (previous && previous.language === language) {
      oldTree = previous.tree.copy();
      oldTree.edit(computeEdit(previous.parsedText, parsedText));
    }
    const tree = this.pool.parse(parsedText, language, oldTree, deadline);
    oldTree?.delete();
    if (!tree) return undefined;
    return { text: document.text, parsedText, language, tree, dispose: () => tree.delete() };
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
    const parsed = this.parse(document, undefined, deadline);
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
  private *analysisSteps(fileName: string, parsed: ParsedDocument, options: AnalyzeOptions): Generator<void, AnalysisResult> {
    const skipped = Analyzer.skipReason(parsed.text, options.maxFileSize);
    if (skipped) return { findings: [], parseErrors: 0, skipped: { reason: skipped }, ruleErrors: [] };
    const overrides = options.rules ?? {};
    const activeRules = this.rules.filter((rule) => (overrides[rule.meta.id] ?? rule.meta.severity) !== 'off');
    const findings: Finding[] = [];
    const ruleErrors: RuleError[] = [];
    const byType = new Map<string, Node[]>();
    const lines = new LineIndex(parsed.text);
    const file = new SourceFile(fileName, parsed.text, parsed.language, parsed.tree, byType, options.workspace);

    const visitors: { rule: Rule; visitor: RuleVisitor }[] = [];
    for (const rule of activeRules) {
      try {
        const userSeverity = overrides[rule.meta.id] as Severity | undefined;
        const context = {
          file,
          report: (descriptor: ReportDescriptor) => findings.push(toFinding(rule, userSeverity ?? descriptor.severity ?? rule.meta.severity, descriptor, lines)),
        };
        visitors.push({ rule, visitor: rule.create(context) });
      } catch (error) {
        ruleErrors.push({ ruleId: rule.meta.id, message: errorMessage(error) });
      }
    }

    const wanted = new Set(CORE_NODE_TYPES);
    for (const { visitor } of visitors) for (const type of Object.keys(visitor)) if (type !== 'onEnd') wanted.add(type);
    for (const type of wanted) byType.set(type, []);
    collectNodes(parsed.tree.rootNode, byType);

    const deadline = options.timeBudgetMs === undefined ? Infinity : Date.now() + options.timeBudgetMs;
    const notRun: string[] = [];
    for (const { rule, visitor } of visitors) {
      if (Date.now() > deadline) {
        notRun.push(rule.meta.id);
        continue;
      }
      try {
        for (const [type, callback] of Object.entries(visitor)) {
          if (type === 'onEnd' || !callback) continue;
          for (const node of byType.get(type) ?? []) (callback as (node: Node) => void)(node);
        }
        visitor.onEnd?.();
      } catch (error) {
        ruleErrors.push({ ruleId: rule.meta.id, message: errorMessage(error) });
      }
      yield;
    }

    const unique = dedupe(findings);
    const suppressions = parseSuppressions(byType.get('comment') ?? [], lines);
    const unused = applySuppressions(unique, suppressions, {
      known: this.ruleIds,
      active: new Set(activeRules.map((rule) => rule.meta.id)),
      checklistItem: 'checklist.secure-coding',
    });
    const all = [...unique, ...unused].sort(compareFindings);
    const result: AnalysisResult = { findings: all, parseErrors: (byType.get('ERROR') ?? []).length, ruleErrors };
    if (notRun.length > 0) {
      result.skipped = { reason: `analysis exceeded its time budget; ${notRun.length} rule(s) did not run (${notRun.join(', ')})` };
    }
    return result;
  }
}

/**
 * The single walk over the tree, done inside the WASM runtime (`descendantsOfType` with every wanted type at once):
 * walking node by node from JavaScript costs several boundary crossings per node and dominated analysis time.
 */
function collectNodes(root: Node, byType: Map<string, Node[]>): void {
  // NOTE: 'ERROR' must not be mixed with other types: web-tree-sitter 0.25 then returns nothing at all.
  const types = [...byType.keys()].filter((type) => type !== 'ERROR');
  for (const node of root.descendantsOfType(types)) {
    if (node) byType.get(node.type)?.push(node);
  }
  byType.set('ERROR', root.hasError ? root.descendantsOfType('ERROR').filter((node): node is Node => node !== null) : []);
}

/** The single edit that turns `before` into `after` (common prefix and suffix), in tree-sitter's terms. */
export function computeEdit(before: string, after: string) {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let oldEnd = before.length;
  let newEnd = after.length;
  while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === after.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(before, start),
    oldEndPosition: pointAt(before, oldEnd),
    newEndPosition: pointAt(after, newEnd),
  };
}

function pointAt(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    row++;
    lineStart = index + 1;
  }
  return { row, column: offset - lineStart };
}

function interpolate(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}

function toFinding(rule: Rule, severity: Severity, descriptor: ReportDescriptor, lines: LineIndex): Finding {
  const template = rule.meta.messages[descriptor.messageId];
  if (template === undefined) throw new Error(`rule ${rule.meta.id} reported unknown messageId '${descriptor.messageId}'`);
  if (descriptor.fix && !rule.meta.fixable) throw new Error(`rule ${rule.meta.id} reported a fix but meta.fixable is not set`);
  if (descriptor.suggestions?.length && !rule.meta.hasSuggestions) throw new Error(`rule ${rule.meta.id} reported suggestions but meta.hasSuggestions is not set`);
  const toFix = (fix: FixDescriptor, isPreferred: boolean): Fix => ({
    title: fix.title,
    isPreferred,
    edits: fix.edits.map((edit) => ({ range: lines.rangeOf(edit.start, edit.end), newText: edit.text })),
  });
  const fixes: Fix[] = [];
  if (descriptor.fix) fixes.push(toFix(descriptor.fix, true));
  for (const suggestion of descriptor.suggestions ?? []) fixes.push(toFix(suggestion, false));
  return {
    ruleId: rule.meta.id,
    checklistItem: rule.meta.checklistItem,
    severity,
    message: interpolate(template, descriptor.data),
    range: lines.rangeOf(descriptor.node.startIndex, descriptor.node.endIndex),
    related: (descriptor.related ?? []).map((related) => ({ range: lines.rangeOf(related.node.startIndex, related.node.endIndex), message: related.message })),
    fixes,
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

function compareFindings(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || a.ruleId.localeCompare(b.ruleId);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The checklist title for messages and reports. */
export function checklistTitle(id: string): string {
  return getChecklistItem(id)?.title ?? id;
}
