/**
 * One parsed file as the rules see it: the tree, the text, nodes gathered by type in the engine's single walk,
 * and analyses computed lazily once and shared by every rule (functions, macros, driver model, taint).
 */
import { DriverModel } from './driver-model';
import { LineIndex } from './line-index';
import { escapeRegExp } from './lookup';
import { MacroTable, type MacroDefinition } from './macros';
import { calleeName, descendantsOfType, declaratorName, type Node } from './query';
import type { SourceLanguage } from './parser';
import type { SyntaxTree } from './syntax-tree';
import { FunctionTaint, computeParameterTaint, type ParameterTaint } from './taint';
import type { TextDerivations } from './text-derivations';
import type { WorkspaceFacts } from './workspace-index';
import { guardCondition, wppFunctions, wppGuard, type WppFunction, type WppGuard } from './wpp';

export interface ParamInfo {
  name: string;
  /** Type text as written, without the declarator (`PIRP`, `size_t`). */
  type: string;
  isPointer: boolean;
  node: Node;
}

export interface FunctionInfo {
  name: string;
  node: Node;
  body: Node | null;
  params: ParamInfo[];
  returnType: string;
}

/** Per-function summaries of an earlier version of a file, by kind and function index (`SourceFile.takeOverSummaries`). */
export interface CarriedSummaries {
  summaries: ReadonlyMap<string, readonly unknown[]>;
  /** The function the edit lies in: its summaries are not taken over. */
  changed: number | undefined;
}

/** The last macro tables of a few files, so the next version of one takes over what its table worked out. */
const recentMacroTables = new Map<string, MacroTable>();
const RECENT_MACRO_TABLES = 8;

function rememberMacroTable(fileName: string, table: MacroTable): void {
  recentMacroTables.delete(fileName);
  recentMacroTables.set(fileName, table);
  if (recentMacroTables.size > RECENT_MACRO_TABLES) recentMacroTables.delete(recentMacroTables.keys().next().value!);
}

export class SourceFile {
  readonly lines: LineIndex;
  private readonly byType: Map<string, Node[]>;
  private functionList?: FunctionInfo[];
  private functionMap?: Map<string, FunctionInfo>;
  private macroTable?: MacroTable;
  private driverModel?: DriverModel;
  private parameterTaint?: Map<string, ParameterTaint>;
  /** FunctionTaints that computeParameterTaint built for callers, reusable when their parameters did not change. */
  private readonly callerTaints = new Map<number, { taint: FunctionTaint; parameters: number }>();
  private readonly taintByFunction = new Map<number, FunctionTaint>();
  /** The last version's per-function summaries, when this version differs from it inside one function only. */
  private summariesBefore?: CarriedSummaries;
  /** This analysis's per-function summaries, by kind and function index, for the next version. */
  private readonly summaries = new Map<string, unknown[]>();
  private functionIndexes?: Map<FunctionInfo, number>;
  private functionEnds?: number[];

  constructor(
    readonly fileName: string,
    /** The text as the user wrote it (fixes and messages use it). */
    readonly text: string,
    readonly language: SourceLanguage,
    readonly tree: SyntaxTree,
    byType: Map<string, Node[]>,
    readonly workspace?: WorkspaceFacts,
    /** Values derived from text alone, kept between analyses of an edited document (the language server's). */
    private readonly derivations?: TextDerivations,
  ) {
    this.lines = new LineIndex(text);
    this.byType = byType;
  }

  /**
   * `compute(text)`, or the value it gave for the same text in the previous analysis of this document. For
   * computations that depend on nothing but the text (a function body's NULL tests, say).
   */
  fromText<T>(kind: string, text: string, compute: (text: string) => T): T {
    return this.derivations ? this.derivations.get(kind, text, compute) : compute(text);
  }

  get root(): Node {
    return this.tree.rootNode;
  }

  /** Nodes of a type gathered during the engine's walk (only types some consumer registered). */
  nodes(type: string): Node[] {
    const nodes = this.byType.get(type);
    if (nodes) return nodes;
    const found = descendantsOfType(this.root, type);
    this.byType.set(type, found);
    return found;
  }

  /** Whether nodes of this type are at hand without a walk (gathered by the engine's walk or already asked for). */
  gathered(type: string): boolean {
    return this.byType.has(type);
  }

  /**
   * Nodes of a type inside `container` (the container itself included when it has the type), from the single walk:
   * a binary search over the file-wide list instead of another walk of the subtree.
   */
  within(container: Node, type: string): Node[] {
    const nodes = this.nodes(type);
    const start = container.startIndex;
    const end = container.endIndex;
    const result: Node[] = [];
    for (let index = firstStartingAt(nodes, start); index < nodes.length && nodes[index].startIndex < end; index++) {
      if (nodes[index].endIndex <= end) result.push(nodes[index]);
    }
    return result;
  }

  /**
   * Several types inside a container, in document order. With `typesOut`, also the type of each node (the list it
   * came from, so the caller needs no read of it): `typesOut[i]` is the type of the i-th node.
   */
  withinAll(container: Node, types: readonly string[], typesOut?: string[]): Node[] {
    if (types.length === 1) {
      const nodes = this.within(container, types[0]);
      if (typesOut) for (let index = 0; index < nodes.length; index++) typesOut[index] = types[0];
      return nodes;
    }
    const lists = types.map((type) => this.within(container, type));
    const merged = mergeInDocumentOrder(lists, typesOut && ((which) => typesOut.push(types[which])));
    if (merged) return merged;
    const sorted = lists.flat().sort(byStartThenOuter);
    if (typesOut) {
      typesOut.length = 0;
      for (const node of sorted) typesOut.push(node.type);
    }
    return sorted;
  }

  /**
   * For each whole-word occurrence of one of `words` in the parsed text, the outermost node spanning exactly that
   * word (none for one inside a comment or a string, whose node spans more), in document order. A consumer that looks
   * for a few names finds their nodes from where the names occur, instead of reading a field of every node of a
   * type. One pattern for all the words: a scan per word (indexOf) costs several times more on a big file.
   */
  wordNodes(words: readonly string[]): Node[] {
    const text = this.tree.text;
    const nodes: Node[] = [];
    const pattern = wordsPattern(words);
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const at = match.index;
      const end = at + match[0].length;
      if (isWordCharacter(text.charCodeAt(at - 1)) || isWordCharacter(text.charCodeAt(end))) continue;
      let node = this.root.descendantForIndex(at, end);
      if (!node || node.startIndex !== at || node.endIndex !== end) continue;
      for (let parent = node.parent; parent && parent.startIndex === at && parent.endIndex === end; parent = parent.parent) node = parent;
      nodes.push(node);
    }
    return nodes;
  }

  /**
   * The calls whose `calleeName` is one of `names`, in document order: found from the names' occurrences (the
   * callee, up through `obj->`, `ns::`, parentheses and casts, to the call), so rare names cost a few lookups.
   */
  callsNamed(names: readonly string[]): Node[] {
    const calls: Node[] = [];
    for (const word of this.wordNodes(names)) {
      const call = callNamedBy(word);
      if (call) calls.push(call);
    }
    return calls;
  }

  /** Original source text of a node (identical to the parsed text except where annotations were blanked). */
  textOf(node: Node): string {
    return this.text.slice(node.startIndex, node.endIndex);
  }

  /**
   * The file's function definitions, in document order. A definition in a statement list is left out: C has no
   * nested functions, so it is the parser's reading of half-typed code (`x if (a) { … }` parses as a function `if`
   * returning `x`), and the code stays part of the function it sits in.
   */
  functions(): FunctionInfo[] {
    if (!this.functionList) {
      this.functionList = this.nodes('function_definition').filter((node) => node.parent?.type !== 'compound_statement')
        .map((node) => toFunctionInfo(node)).filter((fn): fn is FunctionInfo => fn !== undefined);
    }
    return this.functionList;
  }

  functionByName(name: string): FunctionInfo | undefined {
    if (!this.functionMap) {
      this.functionMap = new Map();
      for (const fn of this.functions()) if (!this.functionMap.has(fn.name)) this.functionMap.set(fn.name, fn);
    }
    return this.functionMap.get(name);
  }

  /** The innermost function whose definition contains the node (binary search: functions are in document order). */
  enclosingFunction(node: Node): FunctionInfo | undefined {
    return this.functionAt(node.startIndex);
  }

  /** The innermost function whose definition contains the offset. */
  functionAt(offset: number): FunctionInfo | undefined {
    const functions = this.functions();
    this.functionEnds ??= functions.map((fn) => fn.node.endIndex);
    let low = 0;
    let high = functions.length - 1;
    let candidate = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (functions[mid].node.startIndex <= offset) {
        candidate = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    for (let index = candidate; index >= 0; index--) {
      const fn = functions[index];
      if (fn.node.startIndex <= offset && offset < this.functionEnds[index]) return fn;
    }
    return undefined;
  }

  get macros(): MacroTable {
    if (!this.macroTable) {
      const local: MacroDefinition[] = [];
      for (const node of [...this.nodes('preproc_def'), ...this.nodes('preproc_function_def')]) {
        const definition = toMacroDefinition(node, this.fileName);
        if (definition) local.push(definition);
      }
      this.macroTable = MacroTable.reusing(local, this.workspace?.macrosFor(this.fileName), recentMacroTables.get(this.fileName));
      rememberMacroTable(this.fileName, this.macroTable);
    }
    return this.macroTable;
  }

  private wppLocal?: Map<string, WppFunction>;
  private readonly wppGuards = new Map<string, WppGuard | null>();

  /**
   * A call of a WPP trace function whose PRE/POST macros make it `if (<condition>) { …; goto <label>; }` (see
   * `wpp.ts`): the condition with the call's arguments, and the label. Undefined for every other call.
   */
  wppGuardOf(call: Node): { condition: Node; label: string } | undefined {
    const callee = call.childForFieldName('function');
    if (callee?.type !== 'identifier') return undefined;
    const name = callee.text;
    let guard = this.wppGuards.get(name);
    if (guard === undefined) {
      this.wppLocal ??= new Map(wppFunctions(this.text, this.fileName).map((fn) => [fn.name, fn]));
      // A function of this file is no trace function: only other names are asked of the workspace.
      const fn = this.wppLocal.get(name) ?? (this.functionByName(name) ? undefined : this.workspace?.wppFunction(name, this.fileName));
      guard = (fn ? wppGuard(fn, this.macros) : undefined) ?? null;
      this.wppGuards.set(name, guard);
    }
    if (!guard) return undefined;
    const args = call.childForFieldName('arguments')?.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment') ?? [];
    const condition = guardCondition(guard, call, args);
    return condition ? { condition, label: guard.label } : undefined;
  }

  get driver(): DriverModel {
    this.driverModel ??= new DriverModel(this);
    return this.driverModel;
  }

  /** User-controlled data inside one function (with one-level summaries of callers in this file). */
  taint(fn: FunctionInfo): FunctionTaint {
    let taint = this.taintByFunction.get(fn.node.id);
    if (!taint) {
      const parameters = this.parameterTaintOf(fn);
      // A caller's taint built while propagating to its callees is the same object when its own parameters
      // gained nothing since (parameter taints are only ever added).
      const built = this.callerTaints.get(fn.node.id);
      taint = built && built.parameters === (parameters?.size ?? 0) ? built.taint : new FunctionTaint(this, fn, parameters);
      this.taintByFunction.set(fn.node.id, taint);
    }
    return taint;
  }

  /** What the file's callers of `fn` pass into its parameters (propagated across the file once, with the first taint). */
  parameterTaintOf(fn: FunctionInfo): ParameterTaint | undefined {
    this.parameterTaint ??= computeParameterTaint(this, this.callerTaints);
    return this.parameterTaint.get(fn.name);
  }

  /**
   * Hands this file the per-function summaries of an earlier version of it. Only valid when that version differs
   * from this one inside function `previous.changed` alone (`editInsideOneFunction`): then every other function has
   * the same text, parse and surroundings, and a summary computed from those alone still holds.
   */
  takeOverSummaries(previous: CarriedSummaries): void {
    this.summariesBefore = previous;
  }

  /** Summary `kind` of `fn` in the earlier version (`takeOverSummaries`), unless `fn` is the edited function. */
  summaryBefore<T>(kind: string, fn: FunctionInfo): T | undefined {
    if (!this.summariesBefore) return undefined;
    const index = this.functionIndex(fn);
    if (index === undefined || index === this.summariesBefore.changed) return undefined;
    return this.summariesBefore.summaries.get(kind)?.[index] as T | undefined;
  }

  /**
   * Keeps summary `kind` of `fn` for the next version of the file. It must depend on nothing but the function's text
   * and parse, what lies between functions, the file's function names and roles, and the inputs its consumer
   * compares before taking it over (what callers hand it, callees' summaries).
   */
  keepSummary(kind: string, fn: FunctionInfo, summary: unknown): void {
    const index = this.functionIndex(fn);
    if (index === undefined) return;
    let list = this.summaries.get(kind);
    if (!list) this.summaries.set(kind, (list = []));
    list[index] = summary;
  }

  /** The summaries kept in this analysis, by kind and function index. */
  keptSummaries(): ReadonlyMap<string, readonly unknown[]> {
    return this.summaries;
  }

  private functionIndex(fn: FunctionInfo): number | undefined {
    this.functionIndexes ??= new Map(this.functions().map((info, index) => [info, index]));
    return this.functionIndexes.get(fn);
  }

  /** The leading whitespace of the line a node starts on. */
  indentationOf(node: Node): string {
    const line = this.lines.positionAt(node.startIndex).line;
    return /^[ \t]*/.exec(this.lines.lineText(line))?.[0] ?? '';
  }

  /** The file's line break, so inserted code matches it. */
  get eol(): string {
    return this.text.includes('\r\n') ? '\r\n' : '\n';
  }
}

/** Document order: by start, the outer of two nodes that start together first. */
function byStartThenOuter(a: Node, b: Node): number {
  return a.startIndex - b.startIndex || b.endIndex - a.endIndex;
}

/**
 * The lists merged into the order a stable sort of their concatenation by `byStartThenOuter` gives: each list is
 * in that order already (the single walk is in document order), so merging them is enough. Undefined when a list
 * is not (zero-width nodes can make document order differ from it): the caller sorts then.
 */
function mergeInDocumentOrder(lists: readonly Node[][], took?: (which: number) => void): Node[] | undefined {
  for (const list of lists) {
    for (let index = 1; index < list.length; index++) if (byStartThenOuter(list[index - 1], list[index]) > 0) return undefined;
  }
  const heads = lists.map(() => 0);
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  const result: Node[] = [];
  while (result.length < total) {
    let best = -1;
    for (let which = 0; which < lists.length; which++) {
      if (heads[which] >= lists[which].length) continue;
      // Ties go to the earlier list, as in the stable sort of the concatenation.
      if (best < 0 || byStartThenOuter(lists[which][heads[which]], lists[best][heads[best]]) < 0) best = which;
    }
    result.push(lists[best][heads[best]++]);
    took?.(best);
  }
  return result;
}

/** The index of the first node (of a list in document order) that starts at or after `offset`. */
export function firstStartingAt(nodes: readonly Node[], offset: number): number {
  let low = 0;
  let high = nodes.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (nodes[mid].startIndex < offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

function toFunctionInfo(node: Node): FunctionInfo | undefined {
  let declarator = node.childForFieldName('declarator');
  while (declarator && declarator.type !== 'function_declarator') {
    declarator = declarator.childForFieldName('declarator');
  }
  if (!declarator) return undefined;
  const name = declaratorName(declarator.childForFieldName('declarator'));
  if (!name) return undefined;
  const params: ParamInfo[] = [];
  const list = declarator.childForFieldName('parameters');
  for (const param of list?.namedChildren ?? []) {
    if (!param || param.type !== 'parameter_declaration') continue;
    const paramDeclarator = param.childForFieldName('declarator');
    const paramName = declaratorName(paramDeclarator);
    if (!paramName) continue;
    const type = param.childForFieldName('type')?.text ?? '';
    params.push({ name: paramName, type, isPointer: paramDeclarator?.type === 'pointer_declarator' || /^P[A-Z]/.test(type) || /PVOID/.test(type), node: param });
  }
  return {
    name,
    node,
    body: node.childForFieldName('body'),
    params,
    returnType: node.childForFieldName('type')?.text ?? '',
  };
}

function toMacroDefinition(node: Node, fileName: string): MacroDefinition | undefined {
  const name = node.childForFieldName('name')?.text;
  if (!name) return undefined;
  const body = (node.childForFieldName('value')?.text ?? '').replace(/\\\r?\n/g, ' ');
  const paramsNode = node.type === 'preproc_function_def' ? node.childForFieldName('parameters') : null;
  const params = paramsNode ? paramsNode.namedChildren.filter((child) => child?.type === 'identifier').map((child) => child!.text) : undefined;
  return { name, params, body, fileName, line: node.startPosition.row };
}

/** `[A-Za-z0-9_]`, the characters that continue an identifier (NaN, before the start or past the end, is none). */
function isWordCharacter(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** The call whose `calleeName` is this word (one of `wordNodes`), if the word names the callee of one. */
export function callNamedBy(word: Node): Node | undefined {
  let callee = word;
  const parent = callee.parent;
  if ((parent?.type === 'field_expression' && parent.childForFieldName('field')?.id === callee.id) || (parent?.type === 'qualified_identifier' && parent.childForFieldName('name')?.id === callee.id)) callee = parent;
  while (callee.parent && (callee.parent.type === 'parenthesized_expression' || callee.parent.type === 'cast_expression')) callee = callee.parent;
  const call = callee.parent;
  return call?.type === 'call_expression' && call.childForFieldName('function')?.id === callee.id && calleeName(call) === word.text ? call : undefined;
}

const wordPatterns = new Map<string, RegExp>();

/** One pattern matching any of the words, longest first (so `IoSetCompletionRoutineEx` is not cut at `…Routine`). */
function wordsPattern(words: readonly string[]): RegExp {
  const key = words.join(' ');
  let pattern = wordPatterns.get(key);
  if (!pattern) {
    pattern = new RegExp([...words].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    wordPatterns.set(key, pattern);
  }
  return pattern;
}
